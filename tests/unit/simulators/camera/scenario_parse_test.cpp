#include <catch2/catch.hpp>

#include <string>

#include "common/config_reader.hpp"
#include "simulators/camera/scenario.hpp"

using gridwatch::ConfigError;
using gridwatch::ConfigInvalid;
using gridwatch::sim::parse_scenario_text;
using gridwatch::sim::Scenario;

namespace {

constexpr const char* kFile = "test.yaml";

// The one error a bad scenario must produce, or a failure naming what came instead.
std::vector<ConfigError> errors_of(const std::string& text) {
  try {
    parse_scenario_text(text, kFile);
  } catch (const ConfigInvalid& invalid) {
    return invalid.errors().list();
  }
  FAIL("the scenario was accepted:\n" << text);
  return {};
}

void require_error(const std::string& text, int line, const std::string& fragment) {
  const auto errors = errors_of(text);
  INFO("scenario:\n" << text);
  bool found = false;
  std::string all;
  for (const auto& error : errors) {
    all += error.to_string() + "\n";
    if (error.line == line && error.to_string().find(fragment) != std::string::npos) {
      CHECK(error.file == kFile);
      CHECK(error.to_string().rfind(std::string(kFile) + ":" + std::to_string(line) + ":", 0) == 0);
      found = true;
    }
  }
  INFO("errors:\n" << all);
  CHECK(found);
}

const std::string kHead = "name: t\npurpose: test\nduration_s: 100\n";  // lines 1-3

}  // namespace

TEST_CASE("a minimal scenario gets the documented defaults", "[scenario]") {
  const Scenario scenario = parse_scenario_text(kHead, kFile);
  CHECK(scenario.name == "t");
  CHECK(scenario.duration_s == 100);
  CHECK(scenario.fps == 10);
  CHECK(scenario.width == 1280);
  CHECK(scenario.height == 720);
  CHECK(scenario.frame_count() == 1000);
  CHECK(scenario.zones.empty());
  CHECK(scenario.time_of_day == gridwatch::sim::TimeOfDay::day);
  CHECK_FALSE(scenario.expect_violations.has_value());
}

TEST_CASE("every section of a full scenario is read", "[scenario]") {
  const Scenario scenario = parse_scenario_text(kHead + R"(seed: 77
fps: 12
width: 640
height: 360
camera_id: cam_x
camera: {height_m: 7, yaw_deg: 18, pitch_deg: 12, focal: 0.9, shake_px: 3, noise: 0.02}
scene: {time_of_day: night, trees: 2, buildings: 6, parked_decor: 3, pedestrians: {per_min: 2, crossing_share: 0.5}}
traffic: {outgoing_per_min: 4, oncoming_per_min: 2, speed_mps: 9, trucks_share: 0.2, buses_share: 0.1}
zones:
  - {id: Z1, dwell_s: 45, span: {from_m: 15, to_m: 30}}
  - {id: Z2, dwell_s: 90, polygon: [[0.1, 0.9], [0.3, 0.9], [0.3, 0.7]]}
vehicles:
  - {id: a, kind: van, colour: white, lane: kerb, enter_s: 5, stop: {at_m: 20, for_s: 50}}
  - {id: b, lane: outgoing, parked_at_start: true, stop: {at_m: 40}}
jams: [{lane: outgoing, at_m: 60, start_s: 10, end_s: 80, red_s: 20, green_s: 5}]
weather:
  rain: 0.5
  cloud_shadows: [{start_s: 30, duration_s: 6, darkness: 0.4}]
  fog: [{start_s: 20, ramp_s: 10, hold_s: 5, density: 0.6}]
smoke: [{start_s: 10, end_s: 60, source: {x_m: 4, z_m: 30}, shade: dark, wind_mps: [1.5, -0.5]}]
puffs: [{kind: steam, start_s: 40, duration_s: 3, source: {x_m: -2, z_m: 25}}]
tamper: [{kind: turned, start_s: 70, turn_deg: 20}, {kind: frozen, start_s: 50, end_s: 55}]
expect_violations: 0
)",
                                                kFile);
  CHECK(scenario.seed == 77);
  CHECK(scenario.camera.height_m == 7);
  CHECK(scenario.shake_px == 3);
  CHECK(scenario.time_of_day == gridwatch::sim::TimeOfDay::night);
  REQUIRE(scenario.zones.size() == 2);
  REQUIRE(scenario.zones[0].span.has_value());
  CHECK(scenario.zones[0].span->lanes == std::vector{gridwatch::sim::Lane::kerb});
  CHECK(scenario.zones[1].polygon.size() == 3);
  REQUIRE(scenario.vehicles.size() == 2);
  CHECK(scenario.vehicles[0].kind == gridwatch::sim::VehicleKind::van);
  CHECK(scenario.vehicles[0].stop->for_s == 50);
  CHECK_FALSE(scenario.vehicles[1].stop->for_s.has_value());
  CHECK(scenario.jams.size() == 1);
  CHECK(scenario.rain == 0.5);
  CHECK(scenario.smoke[0].shade == gridwatch::sim::SmokeShade::dark);
  CHECK(scenario.smoke[0].wind_mps.x == 1.5);
  CHECK(scenario.puffs[0].kind == gridwatch::sim::DistractorKind::steam);
  CHECK(scenario.tamper[0].turn_deg == 20);
  CHECK_FALSE(scenario.tamper[0].end_s.has_value());
  CHECK(scenario.tamper[1].end_s == 55);
  CHECK(scenario.expect_violations == 0);
}

TEST_CASE("scenario errors name the file and line", "[scenario][errors]") {
  SECTION("missing required keys") {
    require_error("duration_s: 10\n", 1, "name: missing required key");
    require_error("name: a\nduration_s: 10\n", 1, "purpose: missing required key");
  }
  SECTION("YAML syntax error") {
    const auto errors = errors_of(kHead + "zones: [\n  - id: Z1\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].file == kFile);
    CHECK(errors[0].line >= 4);  // where the parser noticed, inside the broken list
    CHECK(errors[0].message.find("YAML syntax error") != std::string::npos);
  }
  SECTION("unknown keys, top level and nested") {
    require_error(kHead + "durration_s: 5\n", 4, "durration_s: unknown key");
    require_error(kHead + "zones:\n  - id: Z1\n    dwell_s: 30\n    dwel_s: 30\n    span: {from_m: 10, to_m: 20}\n", 7,
                  "zones[0].dwel_s: unknown key");
    require_error(kHead + "camera:\n  yaw: 3\n", 5, "camera.yaw: unknown key");
  }
  SECTION("values out of range or of the wrong type") {
    require_error(kHead + "fps: 500\n", 4, "fps: must be between 1 and 60");
    require_error(kHead + "width: wide\n", 4, "expected a whole number");
    require_error(kHead + "scene: {time_of_day: noon}\n", 4, "is not one of: day, dusk, night");
  }
  SECTION("zones") {
    require_error(kHead + "zones:\n  - id: Z1\n    dwell_s: 30\n", 5, "give exactly one of polygon");
    require_error(kHead + "zones:\n  - id: Z1\n    dwell_s: 30\n    span: {from_m: 10, to_m: 20}\n    polygon: [[0,0],[1,0],[1,1]]\n", 5,
                  "give exactly one of polygon");
    require_error(kHead + "zones:\n  - id: Z1\n    dwell_s: 30\n    polygon:\n      - [0.1, 0.1]\n      - [1.5, 0.2]\n      - [0.3, 0.9]\n",
                  9, "zones[0].polygon[1]: expected [x, y] with both in 0..1");
    require_error(kHead + "zones:\n  - id: Z1\n    dwell_s: 30\n    polygon: [[0.1, 0.1], [0.2, 0.2]]\n", 7, "at least 3");
    require_error(kHead + "zones:\n  - id: Z1\n    dwell_s: 30\n    polygon: [[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]\n", 7, "no area");
    require_error(kHead + "zones:\n  - id: Z1\n    dwell_s: 0\n    span: {from_m: 10, to_m: 20}\n", 6, "dwell_s: must be between");
    require_error(kHead + "zones:\n  - id: Z1\n    dwell_s: 30\n    span: {from_m: 20, to_m: 10}\n", 7, "must be greater than from_m");
    require_error(kHead + "zones:\n  - id: Z1\n    dwell_s: 30\n    span: {from_m: 10, to_m: 20, lanes: [oncoming, kerb]}\n", 7,
                  "next to each other");
    require_error(kHead + "zones:\n  - {id: Z1, dwell_s: 30, span: {from_m: 10, to_m: 20}}\n  - {id: Z1, dwell_s: 30, span: {from_m: 30, to_m: 40}}\n",
                  6, "used twice");
    require_error(kHead + "zones:\n  - {id: 'bad id', dwell_s: 30, span: {from_m: 10, to_m: 20}}\n", 5, "not a valid id");
  }
  SECTION("vehicles") {
    require_error(kHead + "vehicles:\n  - id: a\n    lane: kerb\n", 6, "needs a stop");
    require_error(kHead + "vehicles:\n  - id: a\n    lane: outgoing\n    colour: mauve\n", 7, "\"mauve\" is not one of");
    require_error(kHead + "vehicles:\n  - id: a\n    lane: outgoing\n    enter_s: 150\n", 7, "after the end of the scenario");
    require_error(kHead + "vehicles:\n  - id: a\n    lane: outgoing\n    parked_at_start: true\n", 7, "needs a stop");
    require_error(kHead + "vehicles:\n  - id: a\n    lane: sideways\n", 6, "is not one of");
  }
  SECTION("events") {
    require_error(kHead + "smoke:\n  - start_s: 50\n    end_s: 20\n    source: {x_m: 1, z_m: 30}\n", 6, "must be after start_s");
    require_error(kHead + "smoke:\n  - start_s: 5\n    source: {x_m: 1}\n", 6, "z_m: missing required key");
    require_error(kHead + "smoke:\n  - start_s: 5\n    source: {x_m: 1, z_m: 30}\n    wind_mps: 3\n", 7, "expected [across, along]");
    require_error(kHead + "jams:\n  - {lane: outgoing, at_m: 50, start_s: 40, end_s: 30}\n", 5, "must be after start_s");
    require_error(kHead + "tamper:\n  - kind: smashed\n    start_s: 5\n", 5, "is not one of: covered, defocus, turned, frozen");
    require_error(kHead + "tamper:\n  - kind: covered\n    start_s: 5\n    turn_deg: 10\n", 7, "only applies to kind: turned");
    require_error(kHead + "weather:\n  fog:\n    - {start_s: 5, density: 2}\n", 6, "density: must be between");
    require_error(kHead + "puffs:\n  - {kind: smog, start_s: 5, source: {x_m: 1, z_m: 20}}\n", 5, "is not one of: steam, dust");
  }
}

TEST_CASE("all problems are reported at once", "[scenario][errors]") {
  const auto errors = errors_of("name: a\npurpose: x\nfps: 0\nwidth: 10\nbogus: 1\n");
  CHECK(errors.size() == 3);
}

TEST_CASE("a missing scenario file is an error naming it", "[scenario][errors]") {
  try {
    gridwatch::sim::parse_scenario_file("/nonexistent/scenario.yaml");
    FAIL("a missing file was accepted");
  } catch (const ConfigInvalid& invalid) {
    REQUIRE(invalid.errors().size() == 1);
    CHECK(invalid.errors().list()[0].file == "/nonexistent/scenario.yaml");
  }
}
