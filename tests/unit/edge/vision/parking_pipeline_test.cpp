// The parking pipeline on short street scenes rendered in memory by the
// camera simulator (320x180, 5 fps), checked against the simulator's own
// ground truth: one alert per parked vehicle, none for a short stop, none
// twice for a vehicle hidden by a halting bus or darkened by a cloud.
#include <catch2/catch.hpp>

#include <opencv2/imgproc.hpp>

#include "edge/vision/camera_analyzer.hpp"
#include "edge/vision/evidence.hpp"
#include "simulators/camera/ground_truth.hpp"
#include "simulators/camera/renderer.hpp"
#include "simulators/camera/scenario.hpp"

using namespace gridwatch;
using namespace gridwatch::edge::vision;

namespace {

std::string street(const std::string& name, double duration_s, const std::string& rest) {
  return "name: " + name + "\npurpose: unit test\nseed: 4242\nduration_s: " + std::to_string(duration_s) +
         "\nfps: 5\nwidth: 320\nheight: 180\ncamera_id: cam_t\n"
         "traffic: {outgoing_per_min: 5, oncoming_per_min: 5}\n"
         "zones: [{id: Z1, dwell_s: 20, span: {from_m: 18, to_m: 34}}]\n" +
         rest;
}

struct Run {
  std::vector<VisionEvent> events;
  sim::GroundTruth truth;

  std::vector<VisionEvent> of(EventType type, Phase phase) const {
    std::vector<VisionEvent> out;
    for (const auto& event : events) {
      if (event.type == type && event.phase == phase) out.push_back(event);
    }
    return out;
  }
};

Run run(const std::string& yaml) {
  const auto scenario = sim::parse_scenario_text(yaml, "test.yaml");
  const auto camera = parse_camera_settings(sim::camera_config_yaml(scenario), "camera.yaml");
  CameraAnalyzer analyzer(camera);
  sim::CameraSimulator simulator(scenario);
  Run out;
  cv::Mat frame;
  while (simulator.next_frame() < simulator.frame_count()) {
    const double t_s = scenario.frame_time(simulator.next_frame());
    REQUIRE(simulator.next(frame));
    if (!analyzer.wants(t_s)) continue;
    auto events = analyzer.process(frame, t_s);
    out.events.insert(out.events.end(), events.begin(), events.end());
  }
  out.truth = simulator.truth();
  return out;
}

const sim::ParkingEpisode& only_violation(const sim::GroundTruth& truth) {
  const sim::ParkingEpisode* found = nullptr;
  for (const auto& episode : truth.parking) {
    if (episode.violation) {
      REQUIRE(found == nullptr);
      found = &episode;
    }
  }
  REQUIRE(found != nullptr);
  return *found;
}

}  // namespace

TEST_CASE("a car parked past its dwell raises one alert near the due time and ends when it leaves",
          "[vision][parking][scene]") {
  const auto result = run(street("park", 80, "vehicles:\n  - {id: v1, kind: car, colour: grey, lane: kerb, enter_s: 4, "
                                             "stop: {at_m: 26, for_s: 45}}\n"));
  const auto& truth = only_violation(result.truth);
  REQUIRE(truth.leave_s.has_value());
  const auto starts = result.of(EventType::parking, Phase::start);
  const auto ends = result.of(EventType::parking, Phase::end);
  REQUIRE(starts.size() == 1);
  CHECK(starts[0].zone == "Z1");
  CHECK(starts[0].started_s >= truth.alert_due_s - 5);
  CHECK(starts[0].started_s <= truth.alert_due_s + 10);
  CHECK(starts[0].box[2] > 0);
  CHECK_FALSE(starts[0].evidence.empty());
  REQUIRE(ends.size() == 1);
  CHECK(ends[0].episode == starts[0].episode);
  REQUIRE(ends[0].ended_s.has_value());
  CHECK(*ends[0].ended_s == Approx(*truth.leave_s).margin(5));
  // The vehicle's box lies on the truth box.
  const double cx = starts[0].box[0] + starts[0].box[2] / 2;
  CHECK(cx >= truth.box.x);
  CHECK(cx <= truth.box.x + truth.box.w);
  CHECK(result.of(EventType::tamper, Phase::start).empty());
}

TEST_CASE("a stop shorter than the dwell raises nothing", "[vision][parking][scene]") {
  const auto result = run(street("brief", 60, "vehicles:\n  - {id: v1, kind: van, colour: white, lane: kerb, enter_s: 4, "
                                              "stop: {at_m: 26, for_s: 12}}\n"));
  for (const auto& episode : result.truth.parking) CHECK_FALSE(episode.violation);
  CHECK(result.of(EventType::parking, Phase::start).empty());
}

TEST_CASE("a parked car hidden by a halting bus and swept by a cloud shadow alerts once", "[vision][parking][scene]") {
  const auto result = run(street("hidden", 90,
                                 "vehicles:\n"
                                 "  - {id: v1, kind: car, colour: black, lane: kerb, enter_s: 3, stop: {at_m: 26}}\n"
                                 "  - {id: bus1, kind: bus, colour: red, lane: outgoing, enter_s: 34, speed_mps: 9, "
                                 "stop: {at_m: 27, for_s: 15}}\n"
                                 "weather:\n  cloud_shadows:\n    - {start_s: 62, duration_s: 6, darkness: 0.45}\n"));
  const auto& truth = only_violation(result.truth);
  const auto starts = result.of(EventType::parking, Phase::start);
  REQUIRE(starts.size() == 1);
  CHECK(starts[0].started_s >= truth.alert_due_s - 5);
  CHECK(starts[0].started_s <= truth.alert_due_s + 15);
  CHECK(result.of(EventType::parking, Phase::end).empty());
}

TEST_CASE("the evidence picture outlines the zone and boxes the vehicle", "[vision][evidence]") {
  CameraSettings camera;
  camera.id = "cam1";
  camera.zones.push_back({"Z1", {{0.1, 0.1}, {0.9, 0.1}, {0.9, 0.9}}, 60, {}});
  const cv::Mat frame(360, 640, CV_8UC3, cv::Scalar(50, 50, 50));
  const auto picture = draw_evidence(frame, camera, "Z1", std::array<double, 4>{0.5, 0.5, 0.2, 0.2}, "caption", 320);
  REQUIRE(picture.cols == 320);
  REQUIRE(picture.rows == 180);
  const auto zone_pixel = picture.at<cv::Vec3b>(18, 160);  // on the zone's top edge
  CHECK(zone_pixel[2] > 200);                                // red: the alert's zone
  const auto box_pixel = picture.at<cv::Vec3b>(126, 160 + 32);  // on the box's bottom edge
  CHECK(box_pixel[1] > 200);                                    // green
  CHECK(frame.at<cv::Vec3b>(16, 320)[2] == 50);                 // the input is untouched
}

TEST_CASE("the analyzer keeps to its analysis rate", "[vision]") {
  CameraSettings camera;
  camera.id = "cam1";
  camera.analysis.fps = 2;
  CameraAnalyzer analyzer(camera);
  const cv::Mat frame(90, 160, CV_8UC3, cv::Scalar(80, 80, 80));
  int analysed = 0;
  for (int i = 0; i < 100; ++i) {
    const double t_s = i / 10.0;
    if (!analyzer.wants(t_s)) continue;
    analyzer.process(frame, t_s);
    ++analysed;
  }
  CHECK(analysed >= 19);
  CHECK(analysed <= 21);
  CHECK(analyzer.frames() == static_cast<std::uint64_t>(analysed));
}
