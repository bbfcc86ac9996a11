// Issue 6, video smoke through the real binaries: gridwatch-sim renders a
// short scene with a dark smoke plume; `gridwatch-edge analyze` with the
// minimal camera file (id and `zones: []`) prints a smoke line, and
// `gridwatch-edge evaluate smoke` scores a one-scene library (plus the
// real wildfire clip when ../shared is there).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/child_process.hpp"
#include "tests/support/test_env.hpp"

using namespace gridwatch;
using namespace std::chrono_literals;

namespace {

constexpr const char* kScene =
    "name: it_smoke\npurpose: integration\nseed: 77\nduration_s: 50\nfps: 5\nwidth: 320\nheight: 180\n"
    "camera_id: cam_smoke\nscene: {trees: 3, pedestrians: {per_min: 2}}\n"
    "traffic: {outgoing_per_min: 3, oncoming_per_min: 3}\n"
    "smoke:\n  - {start_s: 8, source: {x_m: 5.8, z_m: 38, height_m: 3}, shade: dark, rate: 1.4, growth_s: 10, "
    "wind_mps: [-1.0, 0.5], turbulence: 0.5}\n";

}  // namespace

TEST_CASE("analyze with the minimal camera file prints the smoke episode and evaluate smoke scores it",
          "[integration][smoke]") {
  test::TempDir dir;
  const auto library = dir.file("library");
  const auto cache = dir.file("cache");
  REQUIRE(test::run_command({"/bin/mkdir", "-p", library, cache}, 10s).exit_code == 0);
  test::write_file(library + "/it_smoke.yaml", kScene);
  const auto render = test::run_command({test::binary_path("gridwatch-sim"), "camera", "--scenario",
                                         library + "/it_smoke.yaml", "--out", cache, "--format", "avi"},
                                        120s);
  INFO(render.output);
  REQUIRE(render.exit_code == 0);
  const auto truth = nlohmann::json::parse(test::read_file(cache + "/it_smoke.truth.json"));
  REQUIRE(truth["smoke"].size() == 1);
  const double onset_s = truth["smoke"][0]["visible_onset_s"].get<double>();

  test::write_file(dir.file("camera.yaml"), "id: cam_smoke\nzones: []\n");
  const auto analyze = test::run_command(
      {test::binary_path("gridwatch-edge"), "analyze", "--camera", dir.file("camera.yaml"), cache + "/it_smoke.avi"}, 120s);
  INFO(analyze.output);
  REQUIRE(analyze.exit_code == 0);
  std::istringstream lines(analyze.output);
  std::string line;
  int smoke_lines = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("{\"type\":\"smoke\"", 0) != 0) continue;
    ++smoke_lines;
    const auto record = nlohmann::json::parse(line);
    CHECK(record["camera"] == "cam_smoke");
    CHECK(record["zone"].is_null());
    CHECK(record["start_s"].get<double>() >= onset_s - 5);
    CHECK(record["start_s"].get<double>() <= onset_s + 10);
    CHECK(record.contains("end_s"));
    REQUIRE(record["box"].size() == 4);
  }
  CHECK(smoke_lines == 1);

  // The real wildfire clip when ../shared is there; the negatives are left
  // out to keep the test short (the evaluation in docs runs them).
  const auto shared = test::shared_data_dir();
  if (!shared) WARN("SKIPPED the real smoke clip: ../shared/data not found");
  const auto clips = shared ? *shared + "/smoke_video" : dir.file("no-such-dir");
  const auto evaluate = test::run_command(
      {test::binary_path("gridwatch-edge"), "evaluate", "smoke", "--scenarios", library, "--cache", cache,
       "--smoke-clips", clips, "--smoke-fixtures", std::string(GRIDWATCH_SOURCE_DIR) + "/tests/fixtures/smoke_video",
       "--negatives", dir.file("no-negatives"), "-j", "1"},
      300s);
  INFO(evaluate.output);
  REQUIRE(evaluate.exit_code == 0);
  CHECK(evaluate.output.find("| it_smoke | 50 | 1 | 1 | 1 | 0 | 0 |") != std::string::npos);
  CHECK(evaluate.output.find("recall 1.000") != std::string::npos);
  CHECK(evaluate.output.find("real clips skipped: " + dir.file("no-negatives") + " not found") != std::string::npos);
  if (shared) {
    CHECK(evaluate.output.find("real positive hpwren_wildfire_timelapse.mp4") != std::string::npos);
  } else {
    CHECK(evaluate.output.find("real clips skipped: " + clips + " not found") != std::string::npos);
  }
}
