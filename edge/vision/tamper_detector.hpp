#pragma once
// Camera tamper: lens covered (dark: below `dark_level` or half its learnt
// brightness, and no structure), defocus (much less sharp, or the fixed
// edges gone from a softer picture), view moved (the fixed edges gone from
// a picture as sharp as normal) and frozen image, each
// raised as its own episode once it has lasted `hold_s` (`frozen_s`) and
// ended once the picture has been normal for as long. While any fault is
// present or pending the parking detector pauses. Masked areas are left
// out: a camera burns its OSD text into the picture after the lens, so a
// covered lens still shows it, sharp and bright.
#include <array>
#include <opencv2/core.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "edge/vision/camera_settings.hpp"
#include "edge/vision/frame_features.hpp"
#include "edge/vision/vision_event.hpp"

namespace gridwatch::edge::vision {

enum class TamperFault { covered, defocus, moved, frozen };
std::string_view to_string(TamperFault fault);

class TamperDetector {
 public:
  /// `analysed` (CV_8U, analysis size, 255 where analysed) leaves the
  /// camera's masks out: a burned-in OSD, a swaying tree. Empty: the whole picture.
  explicit TamperDetector(const TamperSettings& settings, const cv::Mat& analysed = cv::Mat());

  /// `grey8` is the CV_8U grey analysis frame (for the frozen test).
  std::vector<VisionEvent> update(const FrameFeatures& features, const cv::Mat& grey8, double t_s);
  /// A fault is raised or building up: analysis of the scene should pause.
  bool disturbed() const;
  /// Open tamper episodes (for reporting at the end of a video).
  std::vector<VisionEvent> open_episodes(double t_s) const;

 private:
  struct Fault {
    std::optional<double> bad_since_s;
    std::optional<double> good_since_s;
    bool raised = false;
    double raised_s = 0;
    double began_s = 0;
    int episode = 0;
  };
  std::vector<VisionEvent> step(TamperFault kind, bool bad, double t_s, double hold_s);

  TamperSettings settings_;
  std::array<Fault, 4> faults_{};
  double sharpness_ = 0;    // learnt normal sharpness
  double luma_ = 0;         // learnt normal mean brightness
  cv::Mat edge_rate_;       // CV_32F, how often each pixel is an edge
  cv::Mat previous_grey_;
  cv::Mat analysed_;        // CV_8U, the pixels judged; empty when nothing is masked
  int analysed_count_ = 0;  // its non-zero pixels (the mask never changes)
  std::optional<double> learn_start_s_;
  int next_episode_ = 1;
};

}  // namespace gridwatch::edge::vision
