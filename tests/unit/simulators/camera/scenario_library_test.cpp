#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

#include "common/config_reader.hpp"
#include "simulators/camera/ground_truth.hpp"
#include "simulators/camera/scenario.hpp"

using namespace gridwatch::sim;

namespace {

std::vector<std::filesystem::path> scenario_files() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(GRIDWATCH_SOURCE_DIR) / "simulators/scenarios")) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("every scenario in the library parses and is named after its file", "[library]") {
  const auto files = scenario_files();
  CHECK(files.size() >= 25);
  std::set<std::string> names;
  for (const auto& file : files) {
    INFO(file.string());
    try {
      const Scenario scenario = parse_scenario_file(file.string());
      CHECK(scenario.name == file.stem().string());
      CHECK(names.insert(scenario.name).second);
      CHECK(scenario.purpose.size() > 20);
      CHECK(scenario.duration_s >= 60);
      CHECK(scenario.duration_s <= 240);
      for (const auto& polygon : zone_polygons(scenario)) CHECK(polygon.size() >= 3);
    } catch (const gridwatch::ConfigInvalid& invalid) {
      FAIL(invalid.errors().to_string());
    }
  }
}

TEST_CASE("every library scenario's ground truth has the violations it promises", "[library][truth]") {
  for (const auto& file : scenario_files()) {
    const Scenario scenario = parse_scenario_file(file.string());
    if (!scenario.expect_violations) continue;
    INFO(file.string());
    Scenario fast = scenario;
    fast.smoke.clear();  // plumes do not move vehicles; skipping them keeps this test quick
    fast.puffs.clear();
    CHECK(compute_ground_truth(fast).violation_count() == *scenario.expect_violations);
  }
}
