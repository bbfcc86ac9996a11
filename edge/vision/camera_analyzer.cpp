#include "edge/vision/camera_analyzer.hpp"

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <deque>

#include "edge/vision/boxes.hpp"
#include "edge/vision/evidence.hpp"
#include "edge/vision/frame_features.hpp"
#include "edge/vision/smoke_detector.hpp"
#include "edge/vision/static_map.hpp"
#include "edge/vision/stationary_tracker.hpp"
#include "edge/vision/tamper_detector.hpp"

namespace gridwatch::edge::vision {
namespace {

constexpr double kSmokeMotionLagS = 1.0;  // smoke motion is measured against the frame this long ago
constexpr double kSmokeOldestS = 2.5;     // ... and no longer ago than this (after a gap in the frames)

/// Where vehicles standing in a zone show: each zone's outline and as
/// much again above it (a vehicle rises above the ground it stands on),
/// filled as its convex hull. Empty when there are no zones.
cv::Mat parking_area(cv::Size size, const CameraSettings& settings) {
  if (settings.zones.empty()) return {};
  cv::Mat area(size, CV_8U, cv::Scalar(0));
  for (const auto& zone : settings.zones) {
    auto outline = to_pixels(zone.polygon, size);
    if (outline.size() < 3) continue;
    const auto [top, bottom] = std::minmax_element(outline.begin(), outline.end(),
                                                   [](const cv::Point& a, const cv::Point& b) { return a.y < b.y; });
    const int height = bottom->y - top->y;
    const std::size_t corners = outline.size();
    for (std::size_t i = 0; i < corners; ++i) outline.emplace_back(outline[i].x, outline[i].y - height);
    std::vector<cv::Point> hull;
    cv::convexHull(outline, hull);
    cv::fillConvexPoly(area, hull, cv::Scalar(255));
  }
  return area;
}

}  // namespace

struct CameraAnalyzer::State {
  cv::Size input;
  cv::Size size;
  StaticMap map;
  StationaryTracker tracker;
  ParkingEpisodes episodes;
  TamperDetector tamper;
  SmokeDetector smoke;
  // Smoke's own memory of the last frames, for its motion cue. The map
  // forgets its frames after any disturbance, and a single repeated frame
  // (an encoder's duplicate, a time-lapse) is one; smoke must not go blind
  // for a second each time.
  std::deque<std::pair<double, Appearance>> smoke_frames;
  bool was_disturbed = false;
  bool fault_raised = false;  // a tamper fault was raised during the current disturbance

  State(cv::Size input_size, cv::Size analysis, const cv::Mat& analysed, const CameraSettings& settings)
      : input(input_size),
        size(analysis),
        map(analysis, analysed.clone(), settings.detector, parking_area(analysis, settings)),
        tracker(analysis, settings),
        episodes(settings),
        tamper(settings.tamper, analysed),
        smoke(analysis, analysed, settings.smoke) {}
};

CameraAnalyzer::CameraAnalyzer(CameraSettings settings, FrameVehicleCheck check)
    : settings_(std::move(settings)), check_(std::move(check)) {}

CameraAnalyzer::~CameraAnalyzer() = default;

bool CameraAnalyzer::wants(double t_s) const { return t_s >= next_due_s_ - 1e-6; }

void CameraAnalyzer::prepare(cv::Size input) {
  const auto size = analysis_size(input, settings_.analysis.width);
  cv::Mat analysed(size, CV_8U, cv::Scalar(255));
  for (const auto& mask : settings_.masks) {
    cv::fillPoly(analysed, std::vector<std::vector<cv::Point>>{to_pixels(mask, size)}, cv::Scalar(0));
  }
  state_ = std::make_unique<State>(input, size, analysed, settings_);
}

std::vector<VisionEvent> CameraAnalyzer::process(const cv::Mat& frame, double t_s, std::optional<WeekTime> local) {
  std::vector<VisionEvent> events;
  if (frame.empty()) return events;
  // Keep a steady analysis rate; after a gap, restart the cadence.
  const double period = 1.0 / settings_.analysis.fps;
  next_due_s_ = std::max(next_due_s_ + period, t_s + 0.5 * period);
  ++frames_;
  if (!state_ || state_->input != frame.size()) prepare(frame.size());
  auto& state = *state_;

  const cv::Mat small = shrink_for_analysis(frame, state.size);
  cv::Mat grey8;
  if (small.channels() == 3) {
    cv::cvtColor(small, grey8, cv::COLOR_BGR2GRAY);
  } else {
    grey8 = small;
  }
  const auto features = compute_features(grey8);

  events = state.tamper.update(features, grey8, t_s);
  const bool disturbed = state.tamper.disturbed();
  if (disturbed) {
    state.was_disturbed = true;
    for (const auto& event : events) {
      if (event.type == EventType::tamper && event.phase == Phase::start) state.fault_raised = true;
    }
  } else {
    if (state.was_disturbed) {
      // The picture is back: relearn the background around the objects.
      const double previous_gain = state.map.gain();
      state.map.restart(t_s);
      // Smoke relearns its block backgrounds only after a real fault: a
      // suspicion that cleared before it was raised (a repeated frame, a
      // brief blur) left the view as it was, and relearning would blind
      // smoke for its whole warm-up.
      if (state.fault_raised) {
        state.smoke.restart(t_s);
        state.smoke_frames.clear();
      } else {
        // The map's light gain starts again from 1 against its new
        // background; smoke's block backgrounds must not see a light change.
        state.smoke.rebase_gain(previous_gain);
      }
      state.was_disturbed = false;
      state.fault_raised = false;
    }
    const std::pair<double, Appearance>* earlier = nullptr;
    for (const auto& entry : state.smoke_frames) {
      if (entry.first <= t_s - kSmokeMotionLagS + 1e-6 && entry.first >= t_s - kSmokeOldestS) earlier = &entry;
    }
    state.map.update(features, t_s, state.tracker.footprint());
    auto smoke = state.smoke.update(features, small, state.map.gain(), earlier != nullptr ? &earlier->second : nullptr,
                                    earlier != nullptr ? earlier->first : t_s, t_s);
    // Smoke compares with the earlier frame as it saw it (burned-in
    // strokes held), so a box that moved away leaves no change behind.
    const cv::Mat& smoke_grey = state.smoke.grey_seen().empty() ? features.grey : state.smoke.grey_seen();
    state.smoke_frames.emplace_back(t_s, Appearance{features.norm, smoke_grey});
    // The oldest frame goes once the next one is a second old as well.
    while (state.smoke_frames.size() > 1 && state.smoke_frames[1].first <= t_s - kSmokeMotionLagS + 1e-6) {
      state.smoke_frames.pop_front();
    }
    events.insert(events.end(), smoke.begin(), smoke.end());
    state.tracker.update(features, t_s, state.map);
    VehicleCheck check;
    if (check_) check = [&](const std::array<double, 4>& box) { return check_(frame, box); };
    auto parking = state.episodes.update(state.tracker, t_s, local, check);
    events.insert(events.end(), parking.begin(), parking.end());
  }
  for (auto& event : events) {
    if (event.phase == Phase::end) continue;
    if (event.type == EventType::parking) {
      event.evidence = draw_evidence(frame, settings_, event.zone, event.box,
                                     fmt::format("{} {} parking t={:.1f}s", settings_.id, event.zone, t_s));
    } else if (event.type == EventType::smoke) {
      event.evidence = draw_evidence(frame, settings_, "", event.box,
                                     fmt::format("{} smoke t={:.1f}s", settings_.id, t_s));
    } else {
      event.evidence = draw_evidence(frame, settings_, "", std::nullopt,
                                     fmt::format("{} tamper t={:.1f}s", settings_.id, t_s));
    }
  }
  return events;
}

std::vector<VisionEvent> CameraAnalyzer::open_episodes(double t_s) const {
  std::vector<VisionEvent> out;
  if (!state_) return out;
  out = state_->episodes.open_episodes(t_s);
  auto tamper = state_->tamper.open_episodes(t_s);
  out.insert(out.end(), tamper.begin(), tamper.end());
  auto smoke = state_->smoke.open_episodes(t_s);
  out.insert(out.end(), smoke.begin(), smoke.end());
  return out;
}

}  // namespace gridwatch::edge::vision
