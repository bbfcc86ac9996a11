#include <catch2/catch.hpp>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "simulators/camera/ground_truth.hpp"
#include "simulators/camera/renderer.hpp"
#include "simulators/camera/scenario.hpp"

using namespace gridwatch::sim;

namespace {

// A quiet street: nothing moves, no noise or drift, so any pixel change
// between two renders comes from the one thing added.
const std::string kQuietStreet = R"(
name: quiet
purpose: ground truth against pixels
seed: 11
duration_s: 80
width: 320
height: 180
camera: {noise: 0}
scene: {illumination_drift: 0, pedestrians: {per_min: 0}}
traffic: {outgoing_per_min: 0, oncoming_per_min: 0}
zones: [{id: Z1, dwell_s: 30, span: {from_m: 18, to_m: 34}}]
)";

cv::Mat render_frame(const Scenario& scenario, int frame) {
  CameraSimulator simulator(scenario);
  simulator.skip_to(frame);
  cv::Mat out;
  REQUIRE(simulator.next(out));
  return out.clone();
}

cv::Mat changed_pixels(const cv::Mat& a, const cv::Mat& b, int threshold) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  cv::Mat gray;
  cv::transform(diff, gray, cv::Matx13f(1, 1, 1));  // sum of channel differences
  return gray > threshold;
}

cv::Rect to_pixels(const NormBox& box, cv::Size size, double margin) {
  const double mx = box.w * margin;
  const double my = box.h * margin;
  const cv::Rect rect(static_cast<int>((box.x - mx) * size.width), static_cast<int>((box.y - my) * size.height),
                      static_cast<int>(std::ceil((box.w + 2 * mx) * size.width)),
                      static_cast<int>(std::ceil((box.h + 2 * my) * size.height)));
  return rect & cv::Rect(0, 0, size.width, size.height);
}

double share_inside(const cv::Mat& mask, const cv::Rect& rect) {
  const double total = cv::countNonZero(mask);
  return total == 0 ? 0.0 : cv::countNonZero(mask(rect)) / total;
}

}  // namespace

TEST_CASE("a parked vehicle's pixels lie where the ground truth puts it", "[truth][pixels]") {
  const Scenario empty = parse_scenario_text(kQuietStreet, "quiet.yaml");
  const Scenario parked =
      parse_scenario_text(kQuietStreet + "vehicles: [{id: v1, colour: white, lane: kerb, parked_at_start: true, stop: {at_m: 26}}]\n", "quiet.yaml");

  const GroundTruth truth = compute_ground_truth(parked);
  REQUIRE(truth.parking.size() == 1);
  const ParkingEpisode& episode = truth.parking[0];
  CHECK(episode.vehicle_id == "v1");
  CHECK(episode.zone_id == "Z1");
  CHECK(episode.stop_s == 0.0);
  CHECK(episode.violation);
  CHECK(episode.alert_due_s == Approx(30.0));
  CHECK_FALSE(episode.leave_s.has_value());
  CHECK(point_in_polygon(episode.box.bottom_centre(), truth.zone_polygons[0]));

  const cv::Mat without = render_frame(empty, 50);
  const cv::Mat with = render_frame(parked, 50);
  const cv::Mat changed = changed_pixels(without, with, 30);
  const cv::Rect box = to_pixels(episode.box, with.size(), 0.0);
  INFO("box " << box << ", changed pixels " << cv::countNonZero(changed));
  // The body fills most of its box...
  CHECK(cv::countNonZero(changed(box)) > 0.5 * box.area());
  // ...and nearly all change is in the box or its shadow just beside it.
  CHECK(share_inside(changed, to_pixels(episode.box, with.size(), 0.6)) > 0.97);
  CHECK(share_inside(changed, box) > 0.6);
}

TEST_CASE("a vehicle that drives through a zone makes no episode, a brief stop is no violation", "[truth]") {
  const Scenario scenario = parse_scenario_text(kQuietStreet + R"(vehicles:
  - {id: through, lane: outgoing, enter_s: 0}
  - {id: brief, lane: kerb, enter_s: 5, stop: {at_m: 26, for_s: 10}}
)",
                                                "quiet.yaml");
  const GroundTruth truth = compute_ground_truth(scenario);
  REQUIRE(truth.parking.size() == 1);
  const ParkingEpisode& episode = truth.parking[0];
  CHECK(episode.vehicle_id == "brief");
  CHECK_FALSE(episode.violation);
  REQUIRE(episode.moving_again_s.has_value());
  CHECK(*episode.moving_again_s - episode.stop_s == Approx(10.0).margin(0.3));
  REQUIRE(episode.leave_s.has_value());
  CHECK(episode.enter_s < episode.stop_s);
  CHECK(*episode.leave_s > *episode.moving_again_s);
}

TEST_CASE("a stay the camera could not watch for its dwell is no violation until it has been seen that long",
          "[truth][tamper]") {
  // A car parked from the start (dwell 30 s); the lens is covered from
  // 20 s to 35 s, then the camera is turned away for good.
  const auto parked_with = [](const std::string& tamper) {
    const Scenario scenario = parse_scenario_text(
        kQuietStreet + "vehicles: [{id: p1, lane: kerb, parked_at_start: true, stop: {at_m: 26}}]\n" + tamper, "quiet.yaml");
    const GroundTruth truth = compute_ground_truth(scenario);
    REQUIRE(truth.parking.size() == 1);
    CHECK(truth.parking[0].stop_s == Approx(0.0));  // the real stop, whatever the camera saw
    return truth.parking[0];
  };
  const std::string covered = "tamper:\n  - {kind: covered, start_s: 20, end_s: 35}\n";

  // Turned at 60 s: 20 s in view, then 25 s after the cover; never 30 s.
  CHECK_FALSE(parked_with(covered + "  - {kind: turned, start_s: 60}\n").violation);

  // Turned at 70 s: the dwell counts again from the cover's end, due at 65 s.
  const auto seen = parked_with(covered + "  - {kind: turned, start_s: 70}\n");
  CHECK(seen.violation);
  CHECK(seen.alert_due_s == Approx(65.0).margin(0.2));

  // Untouched, the same stay is due 30 s after it began.
  const auto untouched = parked_with("");
  CHECK(untouched.violation);
  CHECK(untouched.alert_due_s == Approx(30.0).margin(0.2));
}

TEST_CASE("a vehicle parked just beyond the zone is not in it", "[truth]") {
  const Scenario scenario = parse_scenario_text(
      kQuietStreet + "vehicles: [{id: outside, lane: kerb, parked_at_start: true, stop: {at_m: 39}}]\n", "quiet.yaml");
  CHECK(compute_ground_truth(scenario).parking.empty());
}

TEST_CASE("smoke pixels lie inside the ground-truth smoke region", "[truth][pixels][smoke]") {
  const Scenario empty = parse_scenario_text(kQuietStreet, "quiet.yaml");
  for (const char* shade : {"light", "dark"}) {
    DYNAMIC_SECTION(shade << " smoke") {
      const Scenario smoky = parse_scenario_text(kQuietStreet + "smoke: [{start_s: 5, end_s: 60, shade: " + shade +
                                                     ", growth_s: 10, source: {x_m: 4.5, z_m: 40}, wind_mps: [1.0, 0.5]}]\n",
                                                 "quiet.yaml");
      const GroundTruth truth = compute_ground_truth(smoky);
      REQUIRE(truth.smoke.size() == 1);
      const PlumeEpisode& episode = truth.smoke[0];
      REQUIRE(episode.visible_onset_s.has_value());
      CHECK(*episode.visible_onset_s >= 5.0);
      CHECK(*episode.visible_onset_s < 20.0);
      REQUIRE(episode.end_s.has_value());
      CHECK(*episode.end_s > 60.0);  // the plume disperses after emission stops

      const cv::Mat without = render_frame(empty, 400);
      const cv::Mat with = render_frame(smoky, 400);
      const cv::Mat changed = changed_pixels(without, with, 24);
      const cv::Rect region = to_pixels(episode.region, with.size(), 0.0);
      INFO("region " << region << ", changed pixels " << cv::countNonZero(changed));
      CHECK(cv::countNonZero(changed) > 0.002 * static_cast<double>(with.total()));
      CHECK(share_inside(changed, to_pixels(episode.region, with.size(), 0.1)) > 0.97);
    }
  }
}

TEST_CASE("tamper events and scene events appear in the truth as scripted", "[truth]") {
  const Scenario scenario = parse_scenario_text(kQuietStreet + R"(tamper:
  - {kind: covered, start_s: 10, end_s: 20}
  - {kind: turned, start_s: 40}
weather:
  fog: [{start_s: 5, ramp_s: 10, hold_s: 20, density: 0.5}]
)",
                                                "quiet.yaml");
  const GroundTruth truth = compute_ground_truth(scenario);
  REQUIRE(truth.tamper.size() == 2);
  CHECK(truth.tamper[0].kind == TamperKind::covered);
  CHECK(truth.tamper[0].end_s == 20.0);
  CHECK_FALSE(truth.tamper[1].end_s.has_value());
  REQUIRE(truth.scene_events.size() == 1);
  CHECK(truth.scene_events[0].end_s == Approx(45.0));

  // A covered lens is dark; the frame before is not.
  const cv::Mat before = render_frame(scenario, 90);
  const cv::Mat covered = render_frame(scenario, 150);
  CHECK(cv::mean(covered)[1] < 40);
  CHECK(cv::mean(before)[1] > 80);
}
