#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/config_reader.hpp"
#include "simulators/sensor_scenario.hpp"
#include "simulators/sensor_truth.hpp"

using namespace gridwatch::sim;

namespace {

std::string errors_of(const std::string& yaml) {
  try {
    parse_sensor_scenario(yaml, "bad.yaml");
  } catch (const gridwatch::ConfigInvalid& invalid) {
    return invalid.errors().to_string();
  }
  return "";
}

const char* kValid = R"(name: smoulder_link
purpose: a smoulder, then the link drops
seed: 5
duration_s: 600
sensor_id: plant_room_2
baseline:
  smoke: 0.5
  noise: 0.1
events:
  - kind: disconnect
    at_s: 300
    for_s: 60
  - kind: smoulder
    at_s: 60
    rise_per_s: 0.2
)";

}  // namespace

TEST_CASE("a sensor scenario file is parsed into a sorted timeline", "[sensor-sim][scenario]") {
  const auto spec = parse_sensor_scenario(kValid, "ok.yaml");
  CHECK(spec.name == "smoulder_link");
  CHECK(spec.seed == 5);
  CHECK(spec.sensor_id == "plant_room_2");
  CHECK(spec.baseline_smoke == 0.5);
  REQUIRE(spec.events.size() == 2);
  CHECK(spec.events[0].kind == SensorEventKind::smoulder);
  CHECK(spec.events[0].rise_per_s == 0.2);
  CHECK(spec.events[0].peak == 25);  // the default, untouched
  CHECK(spec.events[1].kind == SensorEventKind::disconnect);
  CHECK(spec.events[1].end_s() == 360);
}

TEST_CASE("bad sensor scenario files get every error with file:line", "[sensor-sim][scenario]") {
  SECTION("unknown keys, kinds and misplaced parameters") {
    const auto errors = errors_of(R"(name: x
purpose: y
duration_s: 100
colour: red
events:
  - kind: volcano
    at_s: 5
  - kind: stuck
    at_s: 10
    rise_per_s: 2
  - kind: smoulder
    at_s: 500
)");
    CHECK_THAT(errors, Catch::Contains("bad.yaml:4:1: colour: unknown key"));
    CHECK_THAT(errors, Catch::Contains("bad.yaml:6:") );
    CHECK_THAT(errors, Catch::Contains("events[0].kind"));
    CHECK_THAT(errors, Catch::Contains("bad.yaml:10:5: events[1].rise_per_s: not a parameter of a stuck event"));
    CHECK_THAT(errors, Catch::Contains("bad.yaml:12:") );
    CHECK_THAT(errors, Catch::Contains("events[2].at_s"));
  }
  SECTION("required keys") {
    const auto errors = errors_of("name: x\n");
    CHECK_THAT(errors, Catch::Contains("purpose"));
    CHECK_THAT(errors, Catch::Contains("duration_s"));
  }
  SECTION("YAML syntax") {
    CHECK_THAT(errors_of("name: [x\n"), Catch::Contains("bad.yaml:"));
  }
}

TEST_CASE("every sensor scenario in the library parses and its truth fits its purpose", "[sensor-sim][scenario]") {
  const std::filesystem::path library = GRIDWATCH_SOURCE_DIR "/simulators/sensor_scenarios";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(library)) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    INFO(entry.path().string());
    const auto spec = load_sensor_scenario(entry.path().string());
    CHECK(spec.name == entry.path().stem().string());
    const auto truth = sensor_truth(SensorModel(spec), 0);
    bool has_fire = false;
    for (const auto& event : spec.events) has_fire = has_fire || category_of(event.kind) == EventCategory::fire;
    // A fire crosses the alarm level; nothing else in the library does for
    // long (nuisance spikes are short by design).
    CHECK(truth["expected_alarm_s"].is_null() == !has_fire);
    for (const auto& event : truth["events"]) {
      if (event["category"] == "nuisance") CHECK(event["seconds_over_level"].get<double>() < 10.0);
    }
  }
  CHECK(files >= 10);
}

TEST_CASE("sensor ground truth is byte-identical for the same seed", "[sensor-sim][scenario]") {
  const auto spec = parse_sensor_scenario(kValid, "ok.yaml");
  const auto first = sensor_truth(SensorModel(spec), 0).dump();
  CHECK(first == sensor_truth(SensorModel(spec), 0).dump());
  auto other = spec;
  other.seed = 6;
  const auto truth = nlohmann::json::parse(first);
  CHECK(truth["expected_alarm_s"].get<double>() == Approx(97.5).margin(3.0));  // 0.2 %/m/s from 60 s to 8 %/m
  CHECK(truth["events"][1]["kind"] == "disconnect");
  CHECK(truth["events"][1]["fault_expected"] == true);
  CHECK(sensor_truth(SensorModel(other), 0).dump() != first);
}
