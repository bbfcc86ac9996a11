#include "edge/vision/static_map.hpp"

#include <opencv2/core/hal/intrin.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include "edge/vision/boxes.hpp"

namespace gridwatch::edge::vision {
namespace {

constexpr double kStableLagS = 2.0;     // a pixel is stable when it matches the frames 1 s and 2 s ago
constexpr double kHistoryS = 2.6;
constexpr double kStopBiasS = 0.5;      // a pixel found stable now stopped about this long ago
constexpr float kWarmupRate = 0.3F;     // background learning while warming up
constexpr float kBackgroundRate = 0.02F;
constexpr float kPlainlyRoad = 0.5F;    // where vehicles park, the background learns only what differs less than this
constexpr float kForgetStaticS = 150.0F; // static this long outside tracked vehicles: background
constexpr float kReferenceRate = 0.05F; // a static appearance follows slow light changes
constexpr double kSinceGapS = 3.0;      // stop times further apart than this are different objects
constexpr int kMinBlobPixels = 12;
constexpr int kJoinGap = 4;            // analysis pixels between pieces of one vehicle

/// The bounding box of the pixels added to it (empty if none).
class PixelBounds {
 public:
  void add(int x, int y) {
    left_ = std::min(left_, x);
    right_ = std::max(right_, x);
    top_ = std::min(top_, y);
    bottom_ = std::max(bottom_, y);
  }
  cv::Rect rect() const {
    return right_ < left_ ? cv::Rect() : cv::Rect(left_, top_, right_ - left_ + 1, bottom_ - top_ + 1);
  }

 private:
  int left_ = std::numeric_limits<int>::max();
  int right_ = std::numeric_limits<int>::min();
  int top_ = std::numeric_limits<int>::max();
  int bottom_ = std::numeric_limits<int>::min();
};

}  // namespace

StaticMap::StaticMap(cv::Size size, cv::Mat analysed, const DetectorSettings& settings, cv::Mat parking_area)
    : size_(size),
      analysed_(std::move(analysed)),
      parking_area_(std::move(parking_area)),
      whole_picture_(cv::countNonZero(analysed_) == static_cast<int>(analysed_.total())),
      settings_(settings) {
  since_ = cv::Mat(size_, CV_32F, cv::Scalar(-1));
  reference_.norm = cv::Mat::zeros(size_, CV_32F);
  reference_.grey = cv::Mat::zeros(size_, CV_32F);
  last_match_ = cv::Mat(size_, CV_32F, cv::Scalar(-1));
}

bool StaticMap::warmed_up(double t_s) const {
  return learn_start_s_ >= 0 && t_s - learn_start_s_ >= settings_.warmup_s;
}

void StaticMap::restart(double t_s) {
  history_.clear();
  ranges_.clear();
  since_.setTo(-1);
  standing_ = cv::Rect();
  last_match_.setTo(-1);
  learn_start_s_ = t_s;
}

const std::pair<double, Appearance>* StaticMap::remembered(double t_s) const {
  const std::pair<double, Appearance>* found = nullptr;
  for (const auto& entry : history_) {
    if (entry.first <= t_s + 1e-6) found = &entry;
  }
  return found;
}

const AppearanceRanges& StaticMap::ranges_of(const std::pair<double, Appearance>& frame, bool keep) {
  for (const auto& cached : ranges_) {
    if (cached.first == frame.first) return cached.second;
  }
  if (keep) {
    ranges_.emplace_back(frame.first, appearance_ranges(frame.second));
    return ranges_.back().second;
  }
  passing_ranges_ = appearance_ranges(frame.second);
  return passing_ranges_;
}

void StaticMap::update(const FrameFeatures& features, double t_s, const cv::Mat& frozen) {
  if (background_.norm.empty()) {
    background_.norm = features.norm.clone();
    background_.grey = features.grey.clone();
    learn_start_s_ = t_s;
  }
  // A masked mean costs ten times a plain one; most cameras mask nothing.
  const double background_luma = whole_picture_ ? cv::mean(background_.grey)[0] : cv::mean(background_.grey, analysed_)[0];
  const double frame_luma = whole_picture_ ? features.mean_luma : cv::mean(features.grey, analysed_)[0];
  gain_ = background_luma > 1 ? std::clamp(frame_luma / background_luma, 0.2, 5.0) : 1.0;
  if (learn_start_s_ < 0) learn_start_s_ = t_s;
  last_t_s_ = t_s;
  const auto* one_ago_entry = remembered(t_s - kStableLagS / 2);
  const auto* two_ago_entry = remembered(t_s - kStableLagS);
  const Appearance* one_ago = one_ago_entry != nullptr ? &one_ago_entry->second : nullptr;
  const Appearance* two_ago = two_ago_entry != nullptr ? &two_ago_entry->second : nullptr;
  const bool have_history = one_ago != nullptr && two_ago != nullptr;

  if (have_history) {
    const float threshold = 1.0F;
    const bool warming = !warmed_up(t_s);
    const double structure = settings_.difference;
    const cv::Mat to_background = appearance_distance(features.norm, features.grey, background_, gain_, structure);
    const cv::Mat to_one =
        appearance_distance(features.norm, features.grey, *one_ago, ranges_of(*one_ago_entry, true), 1.0, structure);
    const cv::Mat to_two =
        appearance_distance(features.norm, features.grey, *two_ago, ranges_of(*two_ago_entry, false), 1.0, structure);
    // A frame is compared once as the frame 1 s ago and once as the frame
    // 2 s ago; after that its ranges are not needed again.
    while (!ranges_.empty() && ranges_.front().first < two_ago_entry->first) ranges_.pop_front();
    // The distance to a static pixel's own appearance is read only where a
    // pixel is static: compute it around those pixels alone (one pixel of
    // margin for the 3x3 neighbourhood). Usually that is one parked vehicle
    // or nothing, and this was one of the four whole-picture comparisons.
    const cv::Rect static_area = standing_;
    cv::Mat to_reference;
    cv::Rect reference_area;
    if (!static_area.empty()) {
      reference_area = cv::Rect(static_area.x - 1, static_area.y - 1, static_area.width + 2, static_area.height + 2) &
                       cv::Rect(cv::Point(0, 0), size_);
      to_reference = appearance_distance(features.norm(reference_area), features.grey(reference_area),
                                         Appearance{reference_.norm(reference_area), reference_.grey(reference_area)},
                                         1.0, structure);
    }
    const auto now = static_cast<float>(t_s);
    const auto stopped_at = static_cast<float>(t_s - kStopBiasS);
    const auto hold = static_cast<float>(settings_.max_occlusion_s);
    const float rate = warming ? kWarmupRate : kBackgroundRate;
    const auto gain = static_cast<float>(gain_);
    // The bounds of what stands after this frame, found on the way: only
    // the pixel-by-pixel rules can leave a pixel standing.
    PixelBounds standing;
    for (int y = 0; y < size_.height; ++y) {
      const auto* norm = features.norm.ptr<float>(y);
      const auto* grey = features.grey.ptr<float>(y);
      const auto* d_bg = to_background.ptr<float>(y);
      const auto* d1 = to_one.ptr<float>(y);
      const auto* d2 = to_two.ptr<float>(y);
      const auto* use = analysed_.ptr<std::uint8_t>(y);
      const auto* freeze = frozen.empty() ? nullptr : frozen.ptr<std::uint8_t>(y);
      const auto* careful = parking_area_.empty() ? nullptr : parking_area_.ptr<std::uint8_t>(y);
      auto* background = background_.norm.ptr<float>(y);
      auto* background_grey = background_.grey.ptr<float>(y);
      auto* since = since_.ptr<float>(y);
      auto* reference = reference_.norm.ptr<float>(y);
      auto* reference_grey = reference_.grey.ptr<float>(y);
      auto* last = last_match_.ptr<float>(y);
      const auto update_pixel = [&](int x) {
        if (use[x] == 0) return;
        const bool stable = d1[x] < threshold && d2[x] < threshold;
        const bool differs = d_bg[x] >= threshold;
        // A dark car at night differs from the road by less than the
        // threshold; learning it like road would take it into the
        // background within seconds of its stop (night_headlights_parking).
        // Where vehicles park, only what plainly is road is learnt. Not
        // everywhere: the global gain (and smoke's blocks with it) must
        // follow light over the whole picture.
        const bool learns_as_road = careful != nullptr && careful[x] != 0 ? d_bg[x] < kPlainlyRoad : !differs;
        if (since[x] >= 0) {
          if (stable && !differs) {
            since[x] = -1;  // the empty scene is back (or the background absorbed it)
          } else if (to_reference.at<float>(y - reference_area.y, x - reference_area.x) < threshold) {
            last[x] = now;
            reference[x] += kReferenceRate * (norm[x] - reference[x]);
            reference_grey[x] += kReferenceRate * (grey[x] - reference_grey[x]);
          } else if (stable) {
            since[x] = stopped_at;  // something else stopped here
            reference[x] = norm[x];
            reference_grey[x] = grey[x];
            last[x] = now;
          } else if (now - last[x] > hold) {
            since[x] = -1;
          }
        } else if (stable && differs && !warming) {
          since[x] = stopped_at;
          reference[x] = norm[x];
          reference_grey[x] = grey[x];
          last[x] = now;
        }
        // The long-term model learns the empty scene where nothing stands;
        // anything that has stood for kForgetStaticS without being frozen
        // by a tracked vehicle (a sign, a drift of light, a car outside
        // every zone) becomes background at once.
        const bool frozen_here = freeze != nullptr && freeze[x] != 0;
        if (since[x] >= 0 && now - since[x] > kForgetStaticS && !frozen_here) {
          since[x] = -1;
          background[x] = norm[x];
          background_grey[x] = grey[x] / gain;
        } else if (stable && since[x] < 0 && !frozen_here && (warming || learns_as_road)) {
          background[x] += rate * (norm[x] - background[x]);
          // The grey background is kept at the background's light level.
          background_grey[x] += rate * (grey[x] / gain - background_grey[x]);
        }
        if (since[x] >= 0) standing.add(x, y);
      };
      int x = 0;
#if CV_SIMD128
      // Nearly every pixel of a street has nothing standing on it, and
      // there the rules above come down to "learn the background where
      // stable". Four such pixels at a time, with the same float
      // operations (so the same result); a group where anything stands or
      // stops goes through the rules pixel by pixel. This loop was an
      // eighth of the analysis.
      const auto v_threshold = cv::v_setall_f32(threshold);
      const auto v_plainly_road = cv::v_setall_f32(kPlainlyRoad);
      const auto v_rate = cv::v_setall_f32(rate);
      const auto v_gain = cv::v_setall_f32(gain);
      const auto v_zero = cv::v_setzero_f32();
      const auto v_none = cv::v_setzero_u32();
      for (; x + 4 <= size_.width; x += 4) {
        const auto used = cv::v_reinterpret_as_f32(cv::v_load_expand_q(use + x) != v_none);
        const auto stable = (cv::v_load(d1 + x) < v_threshold) & (cv::v_load(d2 + x) < v_threshold);
        const auto background_distance = cv::v_load(d_bg + x);
        const auto differs = background_distance >= v_threshold;
        if (cv::v_check_any(cv::v_load(since + x) >= v_zero) ||
            (!warming && cv::v_check_any(used & stable & differs))) {
          for (int i = 0; i < 4; ++i) update_pixel(x + i);
          continue;
        }
        auto learns = used & stable;
        if (freeze != nullptr) learns = learns & ~cv::v_reinterpret_as_f32(cv::v_load_expand_q(freeze + x) != v_none);
        if (!warming) {
          const auto road_here = ~differs;
          const auto plainly_road = background_distance < v_plainly_road;
          learns = learns & (careful != nullptr ? cv::v_select(cv::v_reinterpret_as_f32(cv::v_load_expand_q(careful + x) != v_none),
                                                               plainly_road, road_here)
                                                : road_here);
        }
        const auto old_norm = cv::v_load(background + x);
        cv::v_store(background + x, cv::v_select(learns, old_norm + v_rate * (cv::v_load(norm + x) - old_norm), old_norm));
        const auto old_grey = cv::v_load(background_grey + x);
        cv::v_store(background_grey + x,
                    cv::v_select(learns, old_grey + v_rate * (cv::v_load(grey + x) / v_gain - old_grey), old_grey));
      }
#endif
      for (; x < size_.width; ++x) update_pixel(x);
    }
    standing_ = standing.rect();
  }
  history_.emplace_back(t_s, Appearance{features.norm, features.grey});
  while (!history_.empty() && history_.front().first < t_s - kHistoryS) history_.pop_front();
}

std::vector<StaticBlob> StaticMap::blobs(double t_s) const {
  std::vector<StaticBlob> out;
  if (!warmed_up(t_s)) return out;
  const auto now = static_cast<float>(t_s);
  const auto latest_since = static_cast<float>(t_s - settings_.min_static_s);
  if (standing_.empty()) return out;
  cv::Mat candidate(size_, CV_8U, cv::Scalar(0));
  PixelBounds marked_bounds;
  for (int y = standing_.y; y < standing_.y + standing_.height; ++y) {
    const auto* since = since_.ptr<float>(y);
    const auto* last = last_match_.ptr<float>(y);
    auto* mark = candidate.ptr<std::uint8_t>(y);
    for (int x = standing_.x; x < standing_.x + standing_.width; ++x) {
      if (since[x] >= 0 && since[x] <= latest_since && last[x] >= now - 1e-3F) {
        mark[x] = 255;
        marked_bounds.add(x, y);
      }
    }
  }
  const cv::Rect marked = marked_bounds.rect();
  if (marked.empty()) return out;
  // Close and label only around the static pixels: on a street with one
  // parked car that is a few percent of the picture, and the 7x7 closing
  // and the labelling of the whole picture were a fifth of the analysis.
  // Twice the closing's radius of margin gives the same result as the
  // whole picture: every pixel the dilation sets lies at least a radius
  // inside the margin, so the erosion never sees its edge.
  constexpr int kCloseSize = 7;
  constexpr int kMargin = 2 * (kCloseSize / 2);
  const cv::Rect roi = widened(marked, kMargin) & cv::Rect(cv::Point(0, 0), size_);
  const cv::Mat marks = candidate(roi);
  const cv::Mat since_map = since_(roi);
  const cv::Mat close_kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(kCloseSize, kCloseSize));
  cv::Mat closed;
  cv::morphologyEx(marks, closed, cv::MORPH_CLOSE, close_kernel);
  cv::Mat labels;
  cv::Mat stats;
  cv::Mat centroids;
  const int count = cv::connectedComponentsWithStats(closed, labels, stats, centroids, 8, CV_32S);
  for (int label = 1; label < count; ++label) {
    if (stats.at<int>(label, cv::CC_STAT_AREA) < kMinBlobPixels) continue;
    const cv::Rect area(stats.at<int>(label, cv::CC_STAT_LEFT), stats.at<int>(label, cv::CC_STAT_TOP),
                        stats.at<int>(label, cv::CC_STAT_WIDTH), stats.at<int>(label, cv::CC_STAT_HEIGHT));
    // The stop times of the component's static pixels, to split objects
    // that touch but stopped at different times (a parked car and a queue).
    std::vector<float> times;
    for (int y = area.y; y < area.y + area.height; ++y) {
      for (int x = area.x; x < area.x + area.width; ++x) {
        if (labels.at<int>(y, x) == label && marks.at<std::uint8_t>(y, x) != 0) times.push_back(since_map.at<float>(y, x));
      }
    }
    if (times.size() < static_cast<std::size_t>(kMinBlobPixels)) continue;
    std::sort(times.begin(), times.end());
    std::size_t begin = 0;
    for (std::size_t i = 1; i <= times.size(); ++i) {
      if (i < times.size() && times[i] - times[i - 1] <= kSinceGapS) continue;
      const std::size_t n = i - begin;
      if (n >= static_cast<std::size_t>(kMinBlobPixels) && n * 6 >= times.size()) {
        const float low = times[begin];
        const float high = times[i - 1];
        cv::Mat group(area.size(), CV_8U, cv::Scalar(0));
        for (int y = 0; y < area.height; ++y) {
          for (int x = 0; x < area.width; ++x) {
            const int gy = y + area.y;
            const int gx = x + area.x;
            const float since = since_map.at<float>(gy, gx);
            if (labels.at<int>(gy, gx) == label && marks.at<std::uint8_t>(gy, gx) != 0 && since >= low && since <= high) {
              group.at<std::uint8_t>(y, x) = 255;
            }
          }
        }
        cv::morphologyEx(group, group, cv::MORPH_CLOSE, close_kernel);
        const cv::Rect bounds = cv::boundingRect(group);
        if (bounds.area() > 0) {
          StaticBlob blob;
          blob.box = bounds + area.tl() + roi.tl();
          blob.mask = group(bounds).clone();
          blob.since_s = static_cast<double>(times[begin + n / 2]);  // median stop time
          out.push_back(std::move(blob));
        }
      }
      begin = i;
    }
  }
  return merge_nearby(std::move(out));
}

std::vector<StaticBlob> StaticMap::merge_nearby(std::vector<StaticBlob> blobs) {
  // Flat parts of a vehicle (roof, doors) look like road to the structure
  // test, so one vehicle can come out as several pieces: join pieces that
  // stopped together and nearly touch.
  bool merged = true;
  while (merged) {
    merged = false;
    for (std::size_t i = 0; i < blobs.size() && !merged; ++i) {
      for (std::size_t j = i + 1; j < blobs.size() && !merged; ++j) {
        auto& a = blobs[i];
        const auto& b = blobs[j];
        if (std::abs(a.since_s - b.since_s) > kSinceGapS) continue;
        const int gap = std::max(kJoinGap, std::max(a.box.height, b.box.height) / 3);
        const cv::Rect grown = widened(a.box, gap);
        if ((grown & b.box).area() == 0) continue;
        const cv::Rect joined = a.box | b.box;
        cv::Mat mask(joined.size(), CV_8U, cv::Scalar(0));
        a.mask.copyTo(mask(a.box - joined.tl()), a.mask);
        b.mask.copyTo(mask(b.box - joined.tl()), b.mask);
        const double weight_a = cv::countNonZero(a.mask);
        const double weight_b = cv::countNonZero(b.mask);
        a.since_s = (a.since_s * weight_a + b.since_s * weight_b) / std::max(1.0, weight_a + weight_b);
        a.box = joined;
        a.mask = mask;
        blobs.erase(blobs.begin() + static_cast<std::ptrdiff_t>(j));
        merged = true;
      }
    }
  }
  return blobs;
}

void StaticMap::absorb(const StaticBlob& blob, const FrameFeatures& features) {
  features.norm(blob.box).copyTo(background_.norm(blob.box), blob.mask);
  cv::Mat grey = features.grey(blob.box) / gain_;
  grey.copyTo(background_.grey(blob.box), blob.mask);
  since_(blob.box).setTo(-1, blob.mask);
}

}  // namespace gridwatch::edge::vision
