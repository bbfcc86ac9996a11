#pragma once
// The whole per-camera vision pipeline, the one code path behind both the
// live gateway and `gridwatch-edge analyze`: frame -> features -> tamper
// check -> static map -> tracker -> parking episodes, and from the same
// features and map, smoke. Pure: frames and
// their timestamps in, events out; no clock, no files, no threads.
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <vector>

#include "edge/vision/camera_settings.hpp"
#include "edge/vision/parking_episodes.hpp"
#include "edge/vision/vision_event.hpp"

namespace gridwatch::edge::vision {

/// Optional second opinion on a due vehicle: given the full frame (BGR)
/// and the normalised box, a confidence or nullopt when it sees no vehicle.
using FrameVehicleCheck = std::function<std::optional<double>(const cv::Mat& frame, const std::array<double, 4>& box)>;

class CameraAnalyzer {
 public:
  explicit CameraAnalyzer(CameraSettings settings, FrameVehicleCheck check = {});
  ~CameraAnalyzer();
  CameraAnalyzer(const CameraAnalyzer&) = delete;
  CameraAnalyzer& operator=(const CameraAnalyzer&) = delete;

  /// Whether a frame at `t_s` should be analysed (the configured analysis
  /// fps); frames in between can be skipped without decoding them fully.
  bool wants(double t_s) const;
  /// Analyses one BGR frame of any size taken at `t_s` (seconds on any
  /// monotonic clock; frames in order). `local` drives zone schedules.
  /// Start and update events carry an evidence picture.
  std::vector<VisionEvent> process(const cv::Mat& frame, double t_s, std::optional<WeekTime> local = std::nullopt);
  /// Episodes still open, e.g. when a video ends.
  std::vector<VisionEvent> open_episodes(double t_s) const;

  const CameraSettings& settings() const { return settings_; }
  /// Frames analysed so far.
  std::uint64_t frames() const { return frames_; }

 private:
  struct State;
  void prepare(cv::Size input);

  CameraSettings settings_;
  FrameVehicleCheck check_;
  std::unique_ptr<State> state_;
  double next_due_s_ = -1e18;
  std::uint64_t frames_ = 0;
};

}  // namespace gridwatch::edge::vision
