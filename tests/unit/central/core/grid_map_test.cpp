#include <catch2/catch.hpp>

#include "central/core/grid_map.hpp"

using namespace gridwatch::central;

namespace {
const GridMap& fixture() {
  static const GridMap map = GridMap::load(GRIDWATCH_SOURCE_DIR "/tests/fixtures/central/grid.geojson");
  return map;
}

std::string errors_of(const std::string& text) {
  try {
    GridMap::parse(text, "cells.geojson");
  } catch (const GridMapInvalid& invalid) {
    return invalid.what();
  }
  return "";
}
}  // namespace

TEST_CASE("a point is assigned to the most specific cell that contains it", "[routing]") {
  const auto& map = fixture();
  REQUIRE(map.cells().size() == 8);
  CHECK(map.locate(30.61, 104.01)->id == "grid-1");
  CHECK(map.locate(30.64, 104.01)->id == "grid-2");
  CHECK(map.locate(30.605, 104.035)->id == "grid-3");
  // Inside grid-3's hole: only the village contains it.
  CHECK(map.locate(30.615, 104.045)->id == "village-2");
  // Both parts of a MultiPolygon.
  CHECK(map.locate(30.635, 104.035)->id == "grid-4");
  CHECK(map.locate(30.655, 104.055)->id == "grid-4");
  // In the county but outside the town.
  CHECK(map.locate(30.68, 104.08)->id == "county-1");
  CHECK(map.locate(31.0, 104.0) == nullptr);
}

TEST_CASE("routing walks up the cell chain until a cell handles the kind", "[routing]") {
  const auto& map = fixture();
  auto route = map.route(30.61, 104.01, "parking");
  REQUIRE(route);
  CHECK(route->cell->id == "grid-1");
  CHECK(route->handler->id == "grid-1");
  CHECK(route->assignment.unit == "market-grid-warden");
  // grid-1 has no smoke route and no default; its village's default wins.
  route = map.route(30.61, 104.01, "smoke");
  REQUIRE(route);
  CHECK(route->handler->id == "village-1");
  CHECK(route->assignment.department == "village_committee");
  // grid-2 routes nothing itself.
  route = map.route(30.64, 104.01, "parking");
  REQUIRE(route);
  CHECK(route->handler->id == "village-1");
  CHECK(map.route(31.0, 104.0, "smoke") == std::nullopt);

  const auto* grid = map.find("grid-1");
  REQUIRE(grid);
  CHECK(map.at_level(*grid, AdminLevel::village)->id == "village-1");
  CHECK(map.at_level(*grid, AdminLevel::town)->id == "town-1");
  CHECK(map.at_level(*grid, AdminLevel::county)->id == "county-1");
  const auto escalated = map.route_from(*map.at_level(*grid, AdminLevel::town), "smoke");
  REQUIRE(escalated);
  CHECK(escalated->assignment.unit == "baihe-fire-station");
  CHECK(map.chain(*grid).size() == 4);
}

TEST_CASE("a bad cell file names every problem by its JSON path", "[routing]") {
  CHECK_THAT(errors_of("{\"type\": \"FeatureCollection\",\n \"features\": [\n"),
             Catch::Contains("cells.geojson: line 3: not valid JSON"));
  const auto errors = errors_of(R"({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"id": "a", "level": "hamlet", "colour": "red",
       "routes": {"parking": {"department": "traffic"}, "volcano": {"department": "x", "unit": "y"}}},
     "geometry": {"type": "Polygon", "coordinates": [[[104, 30], [104.1, 30], [104.1, 30.1], [104, 30]]]}},
    {"type": "Feature", "properties": {"id": "a", "level": "grid", "parent": "nowhere"},
     "geometry": {"type": "Point", "coordinates": [104, 30]}},
    {"type": "Feature", "properties": {"id": "b", "level": "county", "parent": "c"},
     "geometry": {"type": "Polygon", "coordinates": [[[30, 104], [30, 104.1], [30.1, 104.1], [30, 104]]]}},
    {"type": "Feature", "properties": {"id": "c", "level": "grid"},
     "geometry": {"type": "Polygon", "coordinates": [[[104, 30], [104.1, 30], [104, 30]]]}}
  ]})");
  CHECK_THAT(errors, Catch::Contains("features[0].properties.level: must be one of grid, village, town, county"));
  CHECK_THAT(errors, Catch::Contains("features[0].properties.colour: unknown property"));
  CHECK_THAT(errors, Catch::Contains("features[0].properties.routes.parking.unit: missing"));
  CHECK_THAT(errors, Catch::Contains("features[0].properties.routes.volcano: unknown alert kind"));
  CHECK_THAT(errors, Catch::Contains("features[1].geometry.type: must be Polygon or MultiPolygon"));
  CHECK_THAT(errors, Catch::Contains("features[1].properties.id: \"a\" is used by another cell"));
  CHECK_THAT(errors, Catch::Contains("features[1].properties.parent: no cell has id \"nowhere\""));
  CHECK_THAT(errors, Catch::Contains("features[2].geometry.coordinates[0][0]: longitude must be within"));
  CHECK_THAT(errors, Catch::Contains("features[2].properties.parent: \"c\" is a grid; a parent must be at a higher level"));
  CHECK_THAT(errors, Catch::Contains("features[3].geometry.coordinates[0]: a linear ring needs at least 4 positions"));
}
