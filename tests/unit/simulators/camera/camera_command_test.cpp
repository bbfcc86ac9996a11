#include <catch2/catch.hpp>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include "simulators/camera/camera_command.hpp"

namespace {

struct TempDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("unit_sim_camera_cmd_" + std::to_string(::getpid()));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// Runs `gridwatch-sim camera ARGS...`; returns the exit code and stderr.
std::pair<int, std::string> run_camera(std::vector<std::string> args) {
  CLI::App app{"test"};
  app.require_subcommand(1);
  gridwatch::sim::add_camera_command(app);
  args.insert(args.begin(), "camera");
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last-first
  std::ostringstream captured;
  auto* previous = std::cerr.rdbuf(captured.rdbuf());
  int code = 0;
  try {
    app.parse(args);
  } catch (const CLI::Error& error) {
    code = error.get_exit_code();
  }
  std::cerr.rdbuf(previous);
  return {code, captured.str()};
}

}  // namespace

TEST_CASE("a bad scenario makes the camera command print file:line errors and exit 2", "[command]") {
  TempDir dir;
  const auto scenario = dir.path / "bad.yaml";
  std::ofstream(scenario) << "name: bad\npurpose: broken on purpose\nfps: 0\nzones:\n  - id: Z1\n    dwell_s: 30\n";
  const auto [code, errors] = run_camera({"--scenario", scenario.string(), "--out", dir.path.string()});
  CHECK(code == 2);
  CHECK(errors.find(scenario.string() + ":3:") != std::string::npos);  // fps
  CHECK(errors.find(scenario.string() + ":5:") != std::string::npos);  // zone without polygon or span
}

TEST_CASE("the camera command writes the truth and a camera config usable by analyze", "[command]") {
  TempDir dir;
  const auto scenario = dir.path / "ok.yaml";
  std::ofstream(scenario) << "name: ok\npurpose: command test\nduration_s: 20\ncamera_id: cam9\n"
                             "zones: [{id: Z1, dwell_s: 5, span: {from_m: 18, to_m: 34}}]\n"
                             "vehicles: [{id: v1, lane: kerb, parked_at_start: true, stop: {at_m: 26}}]\n";
  const auto [code, errors] = run_camera({"--scenario", scenario.string(), "--out", dir.path.string(), "--truth-only"});
  INFO(errors);
  REQUIRE(code == 0);
  const YAML::Node camera = YAML::LoadFile((dir.path / "ok.camera.yaml").string());
  CHECK(camera["id"].as<std::string>() == "cam9");
  REQUIRE(camera["zones"].size() == 1);
  CHECK(camera["zones"][0]["id"].as<std::string>() == "Z1");
  CHECK(camera["zones"][0]["polygon"].size() == 4);
  CHECK(camera["zones"][0]["dwell_s"].as<double>() == 5);
  CHECK(std::filesystem::file_size(dir.path / "ok.truth.json") > 100);
}

TEST_CASE("overrides that would break the encoder are refused", "[command]") {
  TempDir dir;
  const auto scenario = dir.path / "odd.yaml";
  std::ofstream(scenario) << "name: odd\npurpose: odd size test\nduration_s: 2\n";
  const auto [code, errors] = run_camera({"--scenario", scenario.string(), "--out", dir.path.string(), "--width", "161", "--format", "mp4"});
  CHECK(code == 2);
  CHECK(errors.find("even") != std::string::npos);
}
