#include "central/core/grid_map.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/ids.hpp"

namespace gridwatch::central {
namespace {

using nlohmann::json;

constexpr const char* kLevelNames[] = {"grid", "village", "town", "county"};

// Ray casting (even-odd rule) with lon as x and lat as y. Cells are at
// most a few kilometres across, where treating degrees as a plane is far
// more accurate than the polygons themselves.
bool ring_contains(const Ring& ring, double lat, double lon) {
  bool inside = false;
  for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
    const auto& a = ring[i];
    const auto& b = ring[j];
    if ((a.lat > lat) != (b.lat > lat) && lon < (b.lon - a.lon) * (lat - a.lat) / (b.lat - a.lat) + a.lon) {
      inside = !inside;
    }
  }
  return inside;
}

class GeoJsonReader {
 public:
  explicit GeoJsonReader(FieldErrors& errors) : errors_(errors) {}

  std::vector<GridCell> read(const json& root) {
    std::vector<GridCell> cells;
    if (!root.is_object() || root.value("type", "") != "FeatureCollection") {
      error("type", "must be a GeoJSON FeatureCollection");
      return cells;
    }
    const auto features = root.find("features");
    if (features == root.end() || !features->is_array()) {
      error("features", "must be an array of Feature objects");
      return cells;
    }
    for (std::size_t i = 0; i < features->size(); ++i) {
      const std::string path = fmt::format("features[{}]", i);
      if (auto cell = read_feature((*features)[i], path)) cells.push_back(std::move(*cell));
    }
    check_graph(cells);
    return cells;
  }

 private:
  void error(std::string field, std::string message) { errors_.push_back({std::move(field), std::move(message)}); }

  std::optional<GridCell> read_feature(const json& feature, const std::string& path) {
    if (!feature.is_object() || feature.value("type", "") != "Feature") {
      error(path + ".type", "must be \"Feature\"");
      return std::nullopt;
    }
    const auto properties = feature.find("properties");
    if (properties == feature.end() || !properties->is_object()) {
      error(path + ".properties", "must be an object with id, level and routes");
      return std::nullopt;
    }
    GridCell cell;
    const std::string props = path + ".properties";
    cell.id = string_at(*properties, "id", props, true);
    if (!cell.id.empty() && !is_valid_id(cell.id)) error(props + ".id", "must be 1-64 characters of A-Z a-z 0-9 _ -");
    cell.name = string_at(*properties, "name", props, false);
    cell.parent = string_at(*properties, "parent", props, false);
    const auto level = admin_level_from_string(string_at(*properties, "level", props, true));
    if (!level) {
      error(props + ".level", "must be one of grid, village, town, county");
    } else {
      cell.level = *level;
    }
    for (const auto& [key, value] : properties->items()) {
      if (key != "id" && key != "name" && key != "parent" && key != "level" && key != "routes") {
        error(props + "." + key, "unknown property (see docs/routing.md)");
      }
    }
    read_routes(*properties, props, cell);
    read_geometry(feature, path + ".geometry", cell);
    return cell;
  }

  std::string string_at(const json& object, const char* key, const std::string& path, bool required) {
    const auto found = object.find(key);
    if (found == object.end()) {
      if (required) error(path + "." + key, "missing");
      return "";
    }
    if (!found->is_string()) {
      error(path + "." + key, "must be a string");
      return "";
    }
    return found->get<std::string>();
  }

  void read_routes(const json& properties, const std::string& path, GridCell& cell) {
    const auto routes = properties.find("routes");
    if (routes == properties.end()) return;  // a cell may inherit everything from its parent
    if (!routes->is_object()) {
      error(path + ".routes", "must be an object: alert kind -> {department, unit}");
      return;
    }
    static const std::set<std::string> kKinds{"smoke",  "fire",         "parking",      "tamper",
                                              "sensor_fault", "camera_fault", "maintenance", "default"};
    for (const auto& [kind, value] : routes->items()) {
      const std::string where = path + ".routes." + kind;
      if (!kKinds.contains(kind)) {
        error(where, "unknown alert kind (smoke, fire, parking, tamper, sensor_fault, camera_fault, maintenance, default)");
        continue;
      }
      if (!value.is_object()) {
        error(where, "must be {\"department\": ..., \"unit\": ...}");
        continue;
      }
      Assignment assignment;
      assignment.department = string_at(value, "department", where, true);
      assignment.unit = string_at(value, "unit", where, true);
      for (const auto& [key, ignored] : value.items()) {
        if (key != "department" && key != "unit") error(where + "." + key, "unknown key");
      }
      cell.routes[kind] = assignment;
    }
  }

  std::optional<Ring> read_ring(const json& ring, const std::string& path) {
    if (!ring.is_array() || ring.size() < 4) {
      error(path, "a linear ring needs at least 4 positions (the first repeated last)");
      return std::nullopt;
    }
    Ring out;
    for (std::size_t i = 0; i < ring.size(); ++i) {
      const auto& position = ring[i];
      if (!position.is_array() || position.size() < 2 || !position[0].is_number() || !position[1].is_number()) {
        error(fmt::format("{}[{}]", path, i), "must be [longitude, latitude]");
        return std::nullopt;
      }
      const double lon = position[0].get<double>();
      const double lat = position[1].get<double>();
      if (std::abs(lon) > 180 || std::abs(lat) > 90) {
        error(fmt::format("{}[{}]", path, i), "longitude must be within ±180 and latitude within ±90 (GeoJSON is [lon, lat])");
        return std::nullopt;
      }
      out.push_back({lon, lat});
    }
    return out;
  }

  std::optional<Polygon> read_polygon(const json& rings, const std::string& path) {
    if (!rings.is_array() || rings.empty()) {
      error(path, "a Polygon is an array of linear rings");
      return std::nullopt;
    }
    Polygon polygon;
    auto outer = read_ring(rings[0], path + "[0]");
    if (!outer) return std::nullopt;
    polygon.outer = std::move(*outer);
    for (std::size_t i = 1; i < rings.size(); ++i) {
      if (auto hole = read_ring(rings[i], fmt::format("{}[{}]", path, i))) polygon.holes.push_back(std::move(*hole));
    }
    return polygon;
  }

  void read_geometry(const json& feature, const std::string& path, GridCell& cell) {
    const auto geometry = feature.find("geometry");
    if (geometry == feature.end() || !geometry->is_object()) {
      error(path, "must be a Polygon or MultiPolygon");
      return;
    }
    const std::string type = geometry->value("type", "");
    const auto coordinates = geometry->find("coordinates");
    if (coordinates == geometry->end()) {
      error(path + ".coordinates", "missing");
      return;
    }
    if (type == "Polygon") {
      if (auto polygon = read_polygon(*coordinates, path + ".coordinates")) cell.polygons.push_back(std::move(*polygon));
    } else if (type == "MultiPolygon" && coordinates->is_array()) {
      for (std::size_t i = 0; i < coordinates->size(); ++i) {
        if (auto polygon = read_polygon((*coordinates)[i], fmt::format("{}.coordinates[{}]", path, i))) {
          cell.polygons.push_back(std::move(*polygon));
        }
      }
    } else {
      error(path + ".type", "must be Polygon or MultiPolygon");
    }
  }

  // Ids are unique, parents exist and sit at a higher level, and there is
  // no cycle (guaranteed by the strictly rising levels).
  void check_graph(const std::vector<GridCell>& cells) {
    std::map<std::string, const GridCell*> by_id;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (cells[i].id.empty()) continue;
      if (!by_id.emplace(cells[i].id, &cells[i]).second) {
        error(fmt::format("features[{}].properties.id", i), "\"" + cells[i].id + "\" is used by another cell");
      }
    }
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const auto& cell = cells[i];
      if (cell.parent.empty()) continue;
      const auto parent = by_id.find(cell.parent);
      const std::string where = fmt::format("features[{}].properties.parent", i);
      if (parent == by_id.end()) {
        error(where, "no cell has id \"" + cell.parent + "\"");
      } else if (static_cast<int>(parent->second->level) <= static_cast<int>(cell.level)) {
        error(where, fmt::format("\"{}\" is a {}; a parent must be at a higher level than this {}", cell.parent,
                                 to_string(parent->second->level), to_string(cell.level)));
      }
    }
  }

  FieldErrors& errors_;
};

}  // namespace

std::string to_string(AdminLevel level) { return kLevelNames[static_cast<int>(level)]; }

std::optional<AdminLevel> admin_level_from_string(const std::string& text) {
  for (int i = 0; i < 4; ++i) {
    if (text == kLevelNames[i]) return static_cast<AdminLevel>(i);
  }
  return std::nullopt;
}

bool GridCell::contains(double lat, double lon) const {
  for (const auto& polygon : polygons) {
    if (!ring_contains(polygon.outer, lat, lon)) continue;
    bool in_hole = false;
    for (const auto& hole : polygon.holes) in_hole = in_hole || ring_contains(hole, lat, lon);
    if (!in_hole) return true;
  }
  return false;
}

GridMapInvalid::GridMapInvalid(std::string file, FieldErrors errors)
    : std::runtime_error(fmt::format("{}: {}", file, join_errors(errors))), errors_(std::move(errors)) {}

GridMap GridMap::parse(const std::string& geojson_text, const std::string& name) {
  FieldErrors errors;
  json root;
  try {
    root = json::parse(geojson_text);
  } catch (const json::parse_error& error) {
    // nlohmann reports the byte offset; turn it into a line for the installer.
    const auto offset = std::min(error.byte, geojson_text.size());
    const auto line = 1 + std::count(geojson_text.begin(), geojson_text.begin() + static_cast<std::ptrdiff_t>(offset), '\n');
    errors.push_back({fmt::format("line {}", line), "not valid JSON"});
    throw GridMapInvalid(name, std::move(errors));
  }
  GridMap map;
  map.cells_ = GeoJsonReader(errors).read(root);
  if (!errors.empty()) throw GridMapInvalid(name, std::move(errors));
  return map;
}

GridMap GridMap::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw GridMapInvalid(path, {{"file", "cannot be read"}});
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

const GridCell* GridMap::locate(double lat, double lon) const {
  const GridCell* best = nullptr;
  for (const auto& cell : cells_) {
    if (!cell.contains(lat, lon)) continue;
    if (best == nullptr || static_cast<int>(cell.level) < static_cast<int>(best->level)) best = &cell;
  }
  return best;
}

const GridCell* GridMap::find(const std::string& id) const {
  for (const auto& cell : cells_) {
    if (cell.id == id) return &cell;
  }
  return nullptr;
}

std::vector<const GridCell*> GridMap::chain(const GridCell& cell) const {
  std::vector<const GridCell*> out{&cell};
  // Levels rise strictly along parents (checked at parse), so this ends.
  while (!out.back()->parent.empty()) {
    const auto* parent = find(out.back()->parent);
    if (parent == nullptr) break;
    out.push_back(parent);
  }
  return out;
}

const GridCell* GridMap::at_level(const GridCell& cell, AdminLevel level) const {
  for (const auto* link : chain(cell)) {
    if (static_cast<int>(link->level) >= static_cast<int>(level)) return link;
  }
  return nullptr;
}

std::optional<Route> GridMap::route_from(const GridCell& cell, const std::string& kind) const {
  for (const auto* link : chain(cell)) {
    auto found = link->routes.find(kind);
    if (found == link->routes.end()) found = link->routes.find("default");
    if (found != link->routes.end()) return Route{&cell, link, found->second};
  }
  return std::nullopt;
}

std::optional<Route> GridMap::route(double lat, double lon, const std::string& kind) const {
  const auto* cell = locate(lat, lon);
  if (cell == nullptr) return std::nullopt;
  return route_from(*cell, kind);
}

}  // namespace gridwatch::central
