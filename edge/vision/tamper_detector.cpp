#include "edge/vision/tamper_detector.hpp"

#include <fmt/format.h>
#include <opencv2/core/hal/intrin.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdint>
#include <cstdlib>

namespace gridwatch::edge::vision {
namespace {

constexpr double kLearnS = 3;           // normal sharpness and edges are learnt this long before judging
constexpr double kSharpnessRate = 0.01;
constexpr float kEdgeRate = 0.02F;
constexpr float kEdgeLevel = 1.2F;      // |norm| above this is an edge
constexpr float kStaticEdge = 0.6F;     // an edge this often is part of the fixed scene
constexpr int kMinStaticEdges = 50;
constexpr double kCoveredSharpness = 0.25;  // covered: dark and nearly no structure left
// A hand or tape over the lens is rarely black (light leaks round it), but
// it darkens the picture, while a blur keeps its mean brightness.
constexpr double kCoveredDarkening = 0.5;
// Lost fixed edges in a picture this much less sharp than normal are a
// blur, not a new view: a turned camera sees another scene about as sharp.
constexpr double kMovedMinSharpness = 0.8;
constexpr double kFrozenChange = 0.05;  // mean grey change per pixel below this: the same picture

/// The sum of |a - b| over two CV_8U images of one size. OpenCV's
/// cv::norm(a, b, NORM_L1) runs a scalar loop for 8-bit pictures, about
/// eight instructions a pixel; sixteen pixels at a time the sum is the
/// same integer.
double absolute_difference_sum(const cv::Mat& a, const cv::Mat& b) {
  CV_Assert(a.type() == CV_8U && b.type() == CV_8U && a.size() == b.size());
  std::uint64_t sum = 0;
  for (int y = 0; y < a.rows; ++y) {
    const auto* row_a = a.ptr<std::uint8_t>(y);
    const auto* row_b = b.ptr<std::uint8_t>(y);
    int x = 0;
#if CV_SIMD128
    for (; x + 16 <= a.cols; x += 16) sum += cv::v_reduce_sad(cv::v_load(row_a + x), cv::v_load(row_b + x));
#endif
    for (; x < a.cols; ++x) sum += static_cast<std::uint64_t>(std::abs(row_a[x] - row_b[x]));
  }
  return static_cast<double>(sum);
}

}  // namespace

std::string_view to_string(TamperFault fault) {
  switch (fault) {
    case TamperFault::covered: return "covered";
    case TamperFault::defocus: return "defocus";
    case TamperFault::moved: return "moved";
    case TamperFault::frozen: return "frozen";
  }
  return "unknown";
}

TamperDetector::TamperDetector(const TamperSettings& settings, const cv::Mat& analysed) : settings_(settings) {
  // Only a mask that leaves something to judge is kept.
  const int judged = analysed.empty() ? 0 : cv::countNonZero(analysed);
  if (judged > 0 && static_cast<std::size_t>(judged) < analysed.total()) {
    analysed_ = analysed.clone();
    analysed_count_ = judged;
  }
}

bool TamperDetector::disturbed() const {
  for (const auto& fault : faults_) {
    if (fault.raised || fault.bad_since_s) return true;
  }
  return false;
}

std::vector<VisionEvent> TamperDetector::step(TamperFault kind, bool bad, double t_s, double hold_s) {
  std::vector<VisionEvent> events;
  auto& fault = faults_[static_cast<std::size_t>(kind)];
  VisionEvent event;
  event.type = EventType::tamper;
  event.fault = std::string(to_string(kind));
  event.confidence = 0.9;
  event.time_s = t_s;
  if (bad) {
    fault.good_since_s.reset();
    if (!fault.bad_since_s) fault.bad_since_s = t_s;
    if (!fault.raised && t_s - *fault.bad_since_s >= hold_s) {
      fault.raised = true;
      fault.raised_s = t_s;
      fault.began_s = *fault.bad_since_s;
      fault.episode = next_episode_++;
      event.phase = Phase::start;
      event.episode = fault.episode;
      event.started_s = t_s;
      event.summary = fmt::format("Camera tamper: {} (since {:.1f} s)", to_string(kind), fault.began_s);
      events.push_back(std::move(event));
    }
    return events;
  }
  if (!fault.raised) {
    fault.bad_since_s.reset();
    return events;
  }
  if (!fault.good_since_s) fault.good_since_s = t_s;
  if (t_s - *fault.good_since_s >= hold_s) {
    event.phase = Phase::end;
    event.episode = fault.episode;
    event.started_s = fault.raised_s;
    event.ended_s = *fault.good_since_s;
    event.summary = fmt::format("Camera tamper ended: {}", to_string(kind));
    events.push_back(std::move(event));
    fault = Fault{};
  }
  return events;
}

std::vector<VisionEvent> TamperDetector::update(const FrameFeatures& features, const cv::Mat& grey8, double t_s) {
  std::vector<VisionEvent> events;
  if (!settings_.enabled) return events;
  const bool masked = !analysed_.empty() && analysed_.size() == grey8.size();
  const cv::Mat judged = masked ? analysed_ : cv::Mat();
  const double judged_count = masked ? analysed_count_ : static_cast<double>(grey8.total());
  const auto change = [&] {
    return masked || grey8.type() != CV_8U ? cv::norm(grey8, previous_grey_, cv::NORM_L1, judged)
                                           : absolute_difference_sum(grey8, previous_grey_);
  };
  const bool identical = !previous_grey_.empty() && previous_grey_.size() == grey8.size() &&
                         previous_grey_.type() == grey8.type() && change() / judged_count < kFrozenChange;
  grey8.copyTo(previous_grey_);

  const double mean_luma = masked ? cv::mean(features.grey, judged)[0] : features.mean_luma;
  const double sharpness = masked ? cv::mean(features.gradient, judged)[0] : features.sharpness;
  cv::Mat edges = cv::abs(features.norm) > kEdgeLevel;
  if (masked) edges &= judged;
  if (!learn_start_s_) {
    learn_start_s_ = t_s;
    sharpness_ = sharpness;
    luma_ = mean_luma;
    edge_rate_ = cv::Mat::zeros(edges.size(), CV_32F);
  }
  const bool learning = t_s - *learn_start_s_ < kLearnS;

  bool covered = false;
  bool defocus = false;
  bool moved = false;
  if (!learning) {
    const double sharp_ratio = sharpness / std::max(sharpness_, 1e-3);
    const bool dark = mean_luma < settings_.dark_level || mean_luma < kCoveredDarkening * luma_;
    covered = dark && sharp_ratio < kCoveredSharpness;
    defocus = !covered && sharp_ratio < settings_.defocus_ratio;
    const cv::Mat fixed = edge_rate_ > kStaticEdge;
    const int fixed_count = cv::countNonZero(fixed);
    if (!covered && !defocus && fixed_count >= kMinStaticEdges) {
      cv::Mat near_edges;
      cv::dilate(edges, near_edges, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(5, 5)));
      const double found = static_cast<double>(cv::countNonZero(fixed & near_edges)) / fixed_count;
      if (found < settings_.moved_match) {
        defocus = sharp_ratio < kMovedMinSharpness;
        moved = !defocus;
      }
    }
  }
  // A black lens repeats the same picture too; that is "covered".
  const bool frozen = identical && !covered && !learning;
  for (auto kind : {TamperFault::covered, TamperFault::defocus, TamperFault::moved, TamperFault::frozen}) {
    const bool bad = kind == TamperFault::covered   ? covered
                     : kind == TamperFault::defocus ? defocus
                     : kind == TamperFault::moved   ? moved
                                                    : frozen;
    auto step_events = step(kind, bad, t_s, kind == TamperFault::frozen ? settings_.frozen_s : settings_.hold_s);
    events.insert(events.end(), step_events.begin(), step_events.end());
  }
  // Learn what normal looks like only while the picture is normal.
  if (!disturbed()) {
    const double rate = learning ? 0.3 : kSharpnessRate;
    sharpness_ += rate * (sharpness - sharpness_);
    luma_ += rate * (mean_luma - luma_);
    cv::Mat edge_float;
    edges.convertTo(edge_float, CV_32F, 1.0 / 255.0);
    const float edge_rate = learning ? 0.3F : kEdgeRate;
    cv::addWeighted(edge_rate_, 1.0 - edge_rate, edge_float, edge_rate, 0, edge_rate_);
  }
  return events;
}

std::vector<VisionEvent> TamperDetector::open_episodes(double t_s) const {
  std::vector<VisionEvent> out;
  for (std::size_t kind = 0; kind < faults_.size(); ++kind) {
    const auto& fault = faults_[kind];
    if (!fault.raised) continue;
    VisionEvent event;
    event.type = EventType::tamper;
    event.fault = std::string(to_string(static_cast<TamperFault>(kind)));
    event.phase = Phase::update;
    event.episode = fault.episode;
    event.confidence = 0.9;
    event.time_s = t_s;
    event.started_s = fault.raised_s;
    out.push_back(std::move(event));
  }
  return out;
}

}  // namespace gridwatch::edge::vision
