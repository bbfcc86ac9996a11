#include <catch2/catch.hpp>

#include <cstring>
#include <opencv2/core.hpp>

#include "simulators/camera/ground_truth.hpp"
#include "simulators/camera/renderer.hpp"
#include "simulators/camera/scenario.hpp"

using namespace gridwatch::sim;

namespace {

// Exercises every random source: traffic, people, smoke, steam, rain,
// clouds, shake, sensor noise and a tamper event.
const char* const kBusyScene = R"(
name: busy
purpose: determinism test
seed: 5
duration_s: 30
width: 192
height: 108
camera: {shake_px: 4, noise: 0.03}
scene: {time_of_day: dusk, pedestrians: {per_min: 20, crossing_share: 0.5}}
traffic: {outgoing_per_min: 20, oncoming_per_min: 20}
zones: [{id: Z1, dwell_s: 5, span: {from_m: 15, to_m: 35}}]
vehicles: [{id: v1, lane: kerb, enter_s: 0, stop: {at_m: 25}}]
weather:
  rain: 0.6
  cloud_shadows: [{start_s: 2, duration_s: 6}]
smoke: [{start_s: 0, source: {x_m: 4, z_m: 30}, growth_s: 2}]
puffs: [{kind: steam, start_s: 1, duration_s: 4, source: {x_m: -2, z_m: 20}}]
tamper:
  - {kind: defocus, start_s: 25, end_s: 28}
)";

std::vector<cv::Mat> render(const Scenario& scenario, int frames) {
  CameraSimulator simulator(scenario);
  std::vector<cv::Mat> out;
  cv::Mat frame;
  for (int i = 0; i < frames && simulator.next(frame); ++i) out.push_back(frame.clone());
  return out;
}

bool identical(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && a.isContinuous() && b.isContinuous() &&
         std::memcmp(a.data, b.data, a.total() * a.elemSize()) == 0;
}

}  // namespace

TEST_CASE("the same seed gives byte-identical frames and truth", "[determinism]") {
  const Scenario scenario = parse_scenario_text(kBusyScene, "busy.yaml");
  const auto first = render(scenario, 40);
  const auto second = render(scenario, 40);
  REQUIRE(first.size() == 40);
  for (std::size_t i = 0; i < first.size(); ++i) {
    INFO("frame " << i);
    CHECK(identical(first[i], second[i]));
  }
  CHECK(truth_to_json(compute_ground_truth(scenario), scenario) == truth_to_json(compute_ground_truth(scenario), scenario));
}

TEST_CASE("a different seed gives different frames and truth", "[determinism]") {
  Scenario scenario = parse_scenario_text(kBusyScene, "busy.yaml");
  const auto first = render(scenario, 10);
  const auto first_truth = truth_to_json(compute_ground_truth(scenario), scenario);
  scenario.seed = 6;
  const auto second = render(scenario, 10);
  REQUIRE(first.size() == second.size());
  for (std::size_t i = 0; i < first.size(); ++i) CHECK_FALSE(identical(first[i], second[i]));
  CHECK(truth_to_json(compute_ground_truth(scenario), scenario) != first_truth);
}

TEST_CASE("skipping ahead renders the same frame as rendering every frame", "[determinism]") {
  const Scenario scenario = parse_scenario_text(kBusyScene, "busy.yaml");
  const auto all = render(scenario, 31);
  CameraSimulator simulator(scenario);
  simulator.skip_to(30);
  cv::Mat frame;
  REQUIRE(simulator.next(frame));
  CHECK(identical(frame, all[30]));
}

TEST_CASE("the truth recorded while rendering equals the truth computed without rendering", "[determinism]") {
  const Scenario scenario = parse_scenario_text(kBusyScene, "busy.yaml");
  CameraSimulator simulator(scenario);
  cv::Mat frame;
  while (simulator.next(frame)) {
  }
  CHECK(truth_to_json(simulator.truth(), scenario) == truth_to_json(compute_ground_truth(scenario), scenario));
}

TEST_CASE("a frozen camera repeats the last picture byte for byte", "[determinism][tamper]") {
  const Scenario scenario = parse_scenario_text(std::string(kBusyScene) + "  - {kind: frozen, start_s: 10, end_s: 12}\n", "busy.yaml");
  const auto frames = render(scenario, 125);
  // Frame 99 is the last live one (t = 9.9 s); 100..119 are frozen copies of it.
  CHECK_FALSE(identical(frames[98], frames[99]));
  for (int i = 100; i < 120; ++i) CHECK(identical(frames[static_cast<std::size_t>(i)], frames[99]));
  CHECK_FALSE(identical(frames[120], frames[99]));
}
