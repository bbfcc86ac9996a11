#pragma once
// Where an incident belongs: grid cells are GeoJSON polygons with an
// administrative level (grid < village < town < county), a parent cell one
// level up, and per alert kind the department and duty unit that handle
// it. Pure: parsed from text, queried with coordinates.
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/field_error.hpp"

namespace gridwatch::central {

enum class AdminLevel { grid = 0, village = 1, town = 2, county = 3 };

std::string to_string(AdminLevel level);
std::optional<AdminLevel> admin_level_from_string(const std::string& text);

struct Assignment {
  std::string department;  ///< e.g. "fire", "traffic", "urban_management"
  std::string unit;        ///< the duty unit that receives the order
};

struct LonLat {
  double lon = 0;
  double lat = 0;
};
using Ring = std::vector<LonLat>;
/// An outer ring and its holes.
struct Polygon {
  Ring outer;
  std::vector<Ring> holes;
};

struct GridCell {
  std::string id;
  std::string name;
  AdminLevel level = AdminLevel::grid;
  std::string parent;  ///< id of the enclosing cell one or more levels up; empty at the top
  std::vector<Polygon> polygons;  ///< a Polygon or MultiPolygon
  std::map<std::string, Assignment> routes;  ///< by alert kind, plus "default"

  bool contains(double lat, double lon) const;
};

struct Route {
  const GridCell* cell = nullptr;  ///< where the point lies (most specific level)
  const GridCell* handler = nullptr;  ///< the cell whose assignment was used (the cell or an ancestor)
  Assignment assignment;
};

class GridMap {
 public:
  /// Parses a GeoJSON FeatureCollection (docs/routing.md). Throws
  /// GridMapInvalid listing every problem by file and JSON path.
  static GridMap parse(const std::string& geojson_text, const std::string& name);
  static GridMap load(const std::string& path);

  /// The most specific (lowest-level) cell containing the point, or null.
  const GridCell* locate(double lat, double lon) const;
  const GridCell* find(const std::string& id) const;
  /// The cell and its ancestors, lowest first.
  std::vector<const GridCell*> chain(const GridCell& cell) const;
  /// The ancestor (or the cell itself) at `level` or, when the chain skips
  /// that level, the next one up; null above the top.
  const GridCell* at_level(const GridCell& cell, AdminLevel level) const;
  /// Who handles `kind` at a point: the cell's route for the kind (or its
  /// "default"), else the nearest ancestor's. nullopt when the point lies
  /// in no cell or no cell in the chain routes the kind.
  std::optional<Route> route(double lat, double lon, const std::string& kind) const;
  /// The same from a given cell (used when escalating to a higher level).
  std::optional<Route> route_from(const GridCell& cell, const std::string& kind) const;

  const std::vector<GridCell>& cells() const { return cells_; }

 private:
  std::vector<GridCell> cells_;
};

class GridMapInvalid : public std::runtime_error {
 public:
  GridMapInvalid(std::string file, FieldErrors errors);
  const FieldErrors& errors() const { return errors_; }

 private:
  FieldErrors errors_;
};

}  // namespace gridwatch::central
