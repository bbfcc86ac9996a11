#include <catch2/catch.hpp>

#include "edge/vision/camera_settings.hpp"

using namespace gridwatch;
using namespace gridwatch::edge::vision;

TEST_CASE("the minimal camera file of the issue parses and every other key takes its default", "[vision][config]") {
  const auto camera = parse_camera_settings(R"(id: cam1
zones:
  - id: Z1
    polygon: [[0.67, 0.70], [0.79, 0.67], [0.47, 0.30], [0.40, 0.31]]   # normalised x, y
    dwell_s: 60
)", "cam1.yaml");
  CHECK(camera.id == "cam1");
  REQUIRE(camera.zones.size() == 1);
  CHECK(camera.zones[0].id == "Z1");
  CHECK(camera.zones[0].dwell_s == 60);
  REQUIRE(camera.zones[0].polygon.size() == 4);
  CHECK(camera.zones[0].polygon[2].x == Approx(0.47));
  CHECK(camera.zones[0].schedule.windows.empty());
  CHECK(camera.analysis.fps == 5);
  CHECK(camera.analysis.width == 320);
  CHECK(camera.masks.empty());
  CHECK_FALSE(camera.dnn.has_value());
  CHECK(camera.tamper.enabled);
}

TEST_CASE("zones: [] is a valid camera and a gateway source key is accepted", "[vision][config]") {
  const auto camera = parse_camera_settings("id: cam2\nzones: []\nsource: {url: rtsp://10.0.0.5/stream}\n", "c.yaml");
  CHECK(camera.zones.empty());
}

TEST_CASE("camera config problems are all reported with file and line", "[vision][config]") {
  try {
    parse_camera_settings(R"(id: cam 1
zones:
  - id: Z1
    polygon: [[0.1, 0.1], [1.5, 0.2], [0.3, 0.9]]
  - id: Z2
    polygon: [[0.1, 0.1], [0.2, 0.2]]
    dwell_s: 0
    schedule: ["mon-fri 7-20"]
analysis: {fps: 100}
colour: red
)", "bad.yaml");
    FAIL("expected ConfigInvalid");
  } catch (const ConfigInvalid& invalid) {
    const auto text = invalid.errors().to_string();
    INFO(text);
    CHECK(text.find("bad.yaml:1:5: id:") != std::string::npos);
    CHECK(text.find("bad.yaml:4:27: zones[0].polygon[1]: expected [x, y] with both in 0..1") != std::string::npos);
    CHECK(text.find("zones[1].polygon: expected a list of at least 3") != std::string::npos);
    CHECK(text.find("zones[1].dwell_s: must be between 1 and 86400") != std::string::npos);
    CHECK(text.find("zones[1].schedule[0]") != std::string::npos);
    CHECK(text.find("analysis.fps: must be between") != std::string::npos);
    CHECK(text.find("bad.yaml:10:1: colour: unknown key") != std::string::npos);
  }
}

TEST_CASE("schedules: weekday windows, lists of days and windows over midnight", "[vision][config]") {
  const auto weekdays = parse_schedule_window("mon-fri 07:00-20:00");
  REQUIRE(weekdays);
  Schedule schedule{{*weekdays}};
  CHECK(schedule.active_at({0, 7 * 60}));         // Monday 07:00
  CHECK(schedule.active_at({4, 19 * 60 + 59}));   // Friday 19:59
  CHECK_FALSE(schedule.active_at({4, 20 * 60}));  // Friday 20:00
  CHECK_FALSE(schedule.active_at({5, 12 * 60}));  // Saturday noon
  CHECK_FALSE(schedule.active_at({2, 6 * 60 + 59}));

  const auto nights = parse_schedule_window("sat,sun 22:00-06:00");
  REQUIRE(nights);
  Schedule night{{*nights}};
  CHECK(night.active_at({5, 23 * 60}));   // Saturday 23:00
  CHECK(night.active_at({6, 5 * 60}));    // Sunday 05:00 (from Saturday night)
  CHECK(night.active_at({0, 5 * 60}));    // Monday 05:00 (from Sunday night)
  CHECK_FALSE(night.active_at({1, 5 * 60}));
  CHECK_FALSE(night.active_at({6, 12 * 60}));

  CHECK(parse_schedule_window("daily 00:00-24:00"));
  CHECK_FALSE(parse_schedule_window("weekdays 07:00-20:00"));
  CHECK_FALSE(parse_schedule_window("mon 07:00"));
  CHECK_FALSE(parse_schedule_window("mon 08:00-08:00"));
  CHECK(Schedule{}.active_at({3, 3}));  // no windows: always
}

TEST_CASE("dnn classes must be a non-empty list of names, each problem named by its item", "[vision][config]") {
  const auto problems = [](const std::string& classes) {
    try {
      parse_camera_settings("id: cam1\nzones: []\ndnn: {model: m.weights, names: coco.names, classes: " + classes + "}\n",
                            "dnn.yaml");
    } catch (const ConfigInvalid& invalid) {
      return invalid.errors().to_string();
    }
    return std::string();
  };
  CHECK(problems("[car, bus]").empty());
  CHECK(problems("[]").find("dnn.classes: expected a non-empty list of class names") != std::string::npos);
  CHECK(problems("[car, {x: 1}]").find("dnn.classes[1]: expected a text item") != std::string::npos);
  CHECK(problems("car").find("dnn.classes: expected a list") != std::string::npos);
}
