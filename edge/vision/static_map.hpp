#pragma once
// Pixel level of the stationary-vehicle detector, after Porikli's dual
// background: a long-term background of the empty scene (`background`)
// and a short-term stability test against the frames 1 s and 2 s ago. A
// pixel that is stable but differs from the long-term background belongs
// to something that stopped; the map remembers since when, and keeps that
// time while passing traffic hides the pixel.
#include <deque>
#include <opencv2/core.hpp>
#include <vector>

#include "edge/vision/camera_settings.hpp"
#include "edge/vision/frame_features.hpp"

namespace gridwatch::edge::vision {

/// Connected pixels that stopped at about the same time.
struct StaticBlob {
  cv::Rect box;      ///< analysis pixels
  cv::Mat mask;      ///< CV_8U, box-sized, 255 on the blob
  double since_s = 0;  ///< when they stopped changing
};

class StaticMap {
 public:
  /// `analysed` is CV_8U at analysis size, 255 where pixels count (masks out).
  /// `parking_area` (CV_8U, may be empty) marks where vehicles in a zone
  /// stand: there the background learns only what plainly is road.
  StaticMap(cv::Size size, cv::Mat analysed, const DetectorSettings& settings, cv::Mat parking_area = {});

  /// `frozen` (CV_8U, may be empty) marks tracked objects: the background
  /// under them is not learnt.
  void update(const FrameFeatures& features, double t_s, const cv::Mat& frozen);
  /// Pixels visible now that have stood for at least `min_static_s`,
  /// split into blobs by connectivity and by stop time.
  std::vector<StaticBlob> blobs(double t_s) const;

  /// Learns the current picture as background inside a blob (a "ghost":
  /// the road where something stood when learning began).
  void absorb(const StaticBlob& blob, const FrameFeatures& features);
  /// Forgets history and static pixels (after a tamper fault); the
  /// background is relearnt quickly for `warmup_s`.
  void restart(double t_s);

  bool warmed_up(double t_s) const;
  const Appearance& background() const { return background_; }
  /// Global light change of the current frame against the background.
  double gain() const { return gain_; }
  /// The newest remembered frame taken at or before `t_s`, with its time
  /// (the map keeps the last few seconds), or nullptr; the smoke detector
  /// reuses it for its motion cue.
  const std::pair<double, Appearance>* remembered(double t_s) const;

 private:
  /// The ranges of a remembered frame, from the cache or computed; kept
  /// for later when `keep` (the frame will be compared again).
  const AppearanceRanges& ranges_of(const std::pair<double, Appearance>& frame, bool keep);
  static std::vector<StaticBlob> merge_nearby(std::vector<StaticBlob> blobs);

  cv::Size size_;
  cv::Mat analysed_;
  cv::Mat parking_area_;  // CV_8U or empty
  bool whole_picture_;  ///< no mask: every pixel is analysed
  DetectorSettings settings_;
  Appearance background_;  // the empty scene
  cv::Mat since_;          // CV_32F, < 0: nothing static here
  cv::Rect standing_;      // holds every pixel with since_ >= 0 (may hold more after absorb())
  Appearance reference_;   // the static appearance
  cv::Mat last_match_;     // CV_32F time the static appearance was last seen
  std::deque<std::pair<double, Appearance>> history_;  // recent frames, oldest first
  // The ranges of the remembered frames between 2 s and 1 s ago, by frame
  // time: each is compared once more. Six frames at 5 fps of four
  // analysis-size float images (5.5 MB at 320x180), for a third of the
  // comparisons' work.
  std::deque<std::pair<double, AppearanceRanges>> ranges_;
  AppearanceRanges passing_ranges_;  // a frame's ranges used once only
  double gain_ = 1;
  double learn_start_s_ = -1;
  double last_t_s_ = -1;
};

}  // namespace gridwatch::edge::vision
