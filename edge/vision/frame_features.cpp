#include "edge/vision/frame_features.hpp"

#include <opencv2/core/hal/intrin.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace gridwatch::edge::vision {
namespace {

constexpr int kLocalWindow = 9;        // local mean and contrast window (analysis pixels)
constexpr double kContrastFloor = 6.0; // grey levels; below this a neighbourhood counts as flat
constexpr double kGreyFloor = 10.0;     // grey levels of difference that never count
constexpr double kGreyShare = 0.12;     // plus this share of the reference brightness

}  // namespace

cv::Size analysis_size(cv::Size input, int width) {
  if (input.width <= 0 || input.height <= 0) return {width, width * 9 / 16};
  const int target_width = std::min(width, input.width);
  int height = static_cast<int>(std::lround(static_cast<double>(target_width) * input.height / input.width));
  height += height % 2;
  return {target_width, std::max(height, 2)};
}

cv::Mat shrink_for_analysis(const cv::Mat& frame, cv::Size size) {
  // OpenCV's area resize has a vectorised path only for exact halving;
  // 1280x720 to 320x180 in one INTER_AREA step cost 1.3 ms, in two halvings
  // 0.4 ms (one core). Each halving is an exact 2x2 mean (rounded), so the
  // result stays the area mean of the original within a grey level.
  cv::Mat current = frame;
  cv::Mat halved;
  // Halve only while the target still divides the frame exactly, so every
  // 2x2 mean lies inside one of the final area cells.
  while (size.width > 0 && size.height > 0 && current.cols % (2 * size.width) == 0 &&
         current.rows % (2 * size.height) == 0) {
    cv::resize(current, halved, cv::Size(current.cols / 2, current.rows / 2), 0, 0, cv::INTER_AREA);
    current = halved;
    halved = cv::Mat();
  }
  if (current.size() == size) return current.data == frame.data ? frame.clone() : current;
  cv::Mat out;
  cv::resize(current, out, size, 0, 0, cv::INTER_AREA);
  return out;
}

FrameFeatures compute_features(const cv::Mat& frame) {
  FrameFeatures features;
  cv::Mat grey8;
  if (frame.channels() == 3) {
    cv::cvtColor(frame, grey8, cv::COLOR_BGR2GRAY);
  } else {
    grey8 = frame;
  }
  cv::Mat raw;
  grey8.convertTo(raw, CV_32F);
  cv::GaussianBlur(raw, features.grey, cv::Size(3, 3), 0.8);
  features.mean_luma = cv::mean(features.grey)[0];

  cv::Mat gx;
  cv::Mat gy;
  cv::Sobel(raw, gx, CV_32F, 1, 0);
  cv::Sobel(raw, gy, CV_32F, 0, 1);
  cv::magnitude(gx, gy, features.gradient);
  features.sharpness = cv::mean(features.gradient)[0];

  cv::Mat mean;
  cv::Mat mean_sq;
  cv::boxFilter(features.grey, mean, CV_32F, cv::Size(kLocalWindow, kLocalWindow));
  cv::sqrBoxFilter(features.grey, mean_sq, CV_32F, cv::Size(kLocalWindow, kLocalWindow));
  // norm = (grey - mean) / sqrt(max(variance, 0) + floor^2), in one pass:
  // as a chain of OpenCV calls it made six full-size temporaries. The same
  // float operations in the same order, so the result is the same.
  features.norm.create(features.grey.size(), CV_32F);
  const auto floor_sq = static_cast<float>(kContrastFloor * kContrastFloor);
  const int width = features.grey.cols;
  for (int y = 0; y < features.grey.rows; ++y) {
    const auto* grey = features.grey.ptr<float>(y);
    const auto* local_mean = mean.ptr<float>(y);
    const auto* local_mean_sq = mean_sq.ptr<float>(y);
    auto* norm = features.norm.ptr<float>(y);
    int x = 0;
#if CV_SIMD128
    const auto v_floor_sq = cv::v_setall_f32(floor_sq);
    const auto v_zero = cv::v_setzero_f32();
    for (; x + 4 <= width; x += 4) {
      const auto m = cv::v_load(local_mean + x);
      const auto variance = cv::v_max(cv::v_load(local_mean_sq + x) - m * m, v_zero);
      cv::v_store(norm + x, (cv::v_load(grey + x) - m) / cv::v_sqrt(variance + v_floor_sq));
    }
#endif
    for (; x < width; ++x) {
      const float m = local_mean[x];
      const float variance = std::max(local_mean_sq[x] - m * m, 0.0F);
      norm[x] = (grey[x] - m) / std::sqrt(variance + floor_sq);
    }
  }
  return features;
}

NeighbourhoodRange::NeighbourhoodRange(const cv::Mat& image, bool reads_around)
    : image_(image),
      column_low_(static_cast<std::size_t>(image.cols) + 2),
      column_high_(static_cast<std::size_t>(image.cols) + 2) {
  CV_Assert(image.type() == CV_32F);
  cv::Size whole;
  cv::Point offset;
  image.locateROI(whole, offset);
  if (reads_around) {
    above_ = std::min(1, offset.y);
    below_ = std::min(1, whole.height - offset.y - image.rows);
    left_ = std::min(1, offset.x);
    right_ = std::min(1, whole.width - offset.x - image.cols);
  }
  // The column buffers hold columns -1 .. cols; where that outer column is
  // not read, it holds values that never win.
  if (left_ == 0) {
    column_low_.front() = std::numeric_limits<float>::max();
    column_high_.front() = std::numeric_limits<float>::lowest();
  }
  if (right_ == 0) {
    column_low_.back() = std::numeric_limits<float>::max();
    column_high_.back() = std::numeric_limits<float>::lowest();
  }
}

void NeighbourhoodRange::row(int y, float* lowest, float* highest) {
  CV_DbgAssert(y >= 0 && y < image_.rows);
  const auto step = static_cast<std::ptrdiff_t>(image_.step1());
  const float* centre = image_.ptr<float>(y);
  // A missing row above or below repeats the centre row, which changes
  // neither the minimum nor the maximum.
  const float* up = y - 1 >= -above_ ? centre - step : centre;
  const float* down = y + 1 < image_.rows + below_ ? centre + step : centre;
  // First the range down each column, columns -left_ .. cols - 1 + right_
  // at buffer index column + 1; then across three neighbouring columns.
  float* low = column_low_.data() + 1;
  float* high = column_high_.data() + 1;
  const int end = image_.cols + right_;
  int x = -left_;
#if CV_SIMD128
  for (; x + 4 <= end; x += 4) {
    const auto a = cv::v_load(up + x);
    const auto b = cv::v_load(centre + x);
    const auto c = cv::v_load(down + x);
    cv::v_store(low + x, cv::v_min(cv::v_min(a, b), c));
    cv::v_store(high + x, cv::v_max(cv::v_max(a, b), c));
  }
#endif
  for (; x < end; ++x) {
    low[x] = std::min(std::min(up[x], centre[x]), down[x]);
    high[x] = std::max(std::max(up[x], centre[x]), down[x]);
  }
  const float* l = column_low_.data();
  const float* h = column_high_.data();
  const int width = image_.cols;
  x = 0;
#if CV_SIMD128
  for (; x + 4 <= width; x += 4) {
    cv::v_store(lowest + x, cv::v_min(cv::v_min(cv::v_load(l + x), cv::v_load(l + x + 1)), cv::v_load(l + x + 2)));
    cv::v_store(highest + x, cv::v_max(cv::v_max(cv::v_load(h + x), cv::v_load(h + x + 1)), cv::v_load(h + x + 2)));
  }
#endif
  for (; x < width; ++x) {
    lowest[x] = std::min(std::min(l[x], l[x + 1]), l[x + 2]);
    highest[x] = std::max(std::max(h[x], h[x + 1]), h[x + 2]);
  }
}

namespace {

/// One row of appearance_distance from the reference's ranges on that row.
void distance_row(const float* norm, const float* grey, const float* n_low, const float* n_up, const float* g_low,
                  const float* g_up, const float* reference_grey, float* out, int width, float inverse_threshold,
                  float scale) {
  const auto share = static_cast<float>(kGreyShare);
  const auto floor = static_cast<float>(kGreyFloor);
  int x = 0;
#if CV_SIMD128
  const auto v_inverse = cv::v_setall_f32(inverse_threshold);
  const auto v_scale = cv::v_setall_f32(scale);
  const auto v_share = cv::v_setall_f32(share);
  const auto v_floor = cv::v_setall_f32(floor);
  const auto v_zero = cv::v_setzero_f32();
  for (; x + 4 <= width; x += 4) {
    const auto n = cv::v_load(norm + x);
    const auto structure = cv::v_max(cv::v_max(n - cv::v_load(n_up + x), cv::v_load(n_low + x) - n), v_zero) * v_inverse;
    const auto up = cv::v_load(g_up + x) * v_scale;
    const auto low = cv::v_load(g_low + x) * v_scale;
    const auto high = cv::v_max(up, low);
    const auto lowest = cv::v_min(up, low);
    const auto g = cv::v_load(grey + x);
    const auto outside = cv::v_max(cv::v_max(g - high, lowest - g), v_zero);
    const auto tolerance = cv::v_load(reference_grey + x) * v_scale * v_share + v_floor;
    cv::v_store(out + x, cv::v_max(structure, outside / tolerance));
  }
#endif
  for (; x < width; ++x) {
    const float structure = std::max(std::max(norm[x] - n_up[x], n_low[x] - norm[x]), 0.0F) * inverse_threshold;
    const float up = g_up[x] * scale;
    const float low = g_low[x] * scale;
    const float outside = std::max(std::max(grey[x] - std::max(up, low), std::min(up, low) - grey[x]), 0.0F);
    const float tolerance = reference_grey[x] * scale * share + floor;
    out[x] = std::max(structure, outside / tolerance);
  }
}

void check_distance_inputs(const cv::Mat& now_norm, const cv::Mat& now_grey, const Appearance& reference) {
  CV_Assert(now_norm.type() == CV_32F && now_grey.type() == CV_32F && reference.norm.type() == CV_32F &&
            reference.grey.type() == CV_32F);
  CV_Assert(now_norm.size() == now_grey.size() && now_norm.size() == reference.norm.size() &&
            now_norm.size() == reference.grey.size());
}

}  // namespace

cv::Mat appearance_distance(const cv::Mat& now_norm, const cv::Mat& now_grey, const Appearance& reference, double gain,
                            double structure_threshold) {
  check_distance_inputs(now_norm, now_grey, reference);
  // The static map runs this four times per analysed frame on the whole
  // picture. Written as a chain of OpenCV calls it made a dozen full-size
  // temporaries, and with OpenCV's morphology for the 3x3 ranges four; the
  // ranges now come a row at a time and the rest is one pass. Scaling the
  // reference by the gain scales its range alike, so the range of the
  // unscaled reference is scaled. The grey range ignores pixels outside a
  // box (the structure range reads them), as the first formulation did by
  // scaling into a new image first.
  NeighbourhoodRange structure_range(reference.norm, true);
  NeighbourhoodRange grey_range(reference.grey, false);
  const int width = now_norm.cols;
  std::vector<float> ranges(4 * static_cast<std::size_t>(width));
  float* n_low = ranges.data();
  float* n_up = n_low + width;
  float* g_low = n_up + width;
  float* g_up = g_low + width;
  cv::Mat distance(now_norm.size(), CV_32F);
  const auto inverse_threshold = static_cast<float>(1.0 / structure_threshold);
  for (int y = 0; y < now_norm.rows; ++y) {
    structure_range.row(y, n_low, n_up);
    grey_range.row(y, g_low, g_up);
    distance_row(now_norm.ptr<float>(y), now_grey.ptr<float>(y), n_low, n_up, g_low, g_up, reference.grey.ptr<float>(y),
                 distance.ptr<float>(y), width, inverse_threshold, static_cast<float>(gain));
  }
  return distance;
}

AppearanceRanges appearance_ranges(const Appearance& reference) {
  CV_Assert(reference.norm.type() == CV_32F && reference.grey.type() == CV_32F &&
            reference.norm.size() == reference.grey.size());
  AppearanceRanges out;
  out.norm_low.create(reference.norm.size(), CV_32F);
  out.norm_high.create(reference.norm.size(), CV_32F);
  out.grey_low.create(reference.norm.size(), CV_32F);
  out.grey_high.create(reference.norm.size(), CV_32F);
  NeighbourhoodRange structure_range(reference.norm, true);
  NeighbourhoodRange grey_range(reference.grey, false);
  for (int y = 0; y < reference.norm.rows; ++y) {
    structure_range.row(y, out.norm_low.ptr<float>(y), out.norm_high.ptr<float>(y));
    grey_range.row(y, out.grey_low.ptr<float>(y), out.grey_high.ptr<float>(y));
  }
  return out;
}

cv::Mat appearance_distance(const cv::Mat& now_norm, const cv::Mat& now_grey, const Appearance& reference,
                            const AppearanceRanges& ranges, double gain, double structure_threshold) {
  check_distance_inputs(now_norm, now_grey, reference);
  CV_Assert(ranges.norm_low.size() == now_norm.size() && ranges.grey_low.size() == now_norm.size());
  cv::Mat distance(now_norm.size(), CV_32F);
  const auto inverse_threshold = static_cast<float>(1.0 / structure_threshold);
  for (int y = 0; y < now_norm.rows; ++y) {
    distance_row(now_norm.ptr<float>(y), now_grey.ptr<float>(y), ranges.norm_low.ptr<float>(y),
                 ranges.norm_high.ptr<float>(y), ranges.grey_low.ptr<float>(y), ranges.grey_high.ptr<float>(y),
                 reference.grey.ptr<float>(y), distance.ptr<float>(y), now_norm.cols, inverse_threshold,
                 static_cast<float>(gain));
  }
  return distance;
}

cv::Mat structure_distance(const cv::Mat& norm, const cv::Mat& reference_norm) {
  CV_Assert(norm.type() == CV_32F && norm.size() == reference_norm.size());
  // How far `norm` lies outside the 3x3 range of `reference_norm`, per
  // pixel, the reference's neighbours just outside a view included (as the
  // structure cue of appearance_distance reads them).
  NeighbourhoodRange range(reference_norm, true);
  std::vector<float> ranges(2 * static_cast<std::size_t>(norm.cols));
  float* lowest = ranges.data();
  float* highest = lowest + norm.cols;
  cv::Mat distance(norm.size(), CV_32F);
  for (int y = 0; y < norm.rows; ++y) {
    range.row(y, lowest, highest);
    const auto* value = norm.ptr<float>(y);
    auto* out = distance.ptr<float>(y);
    for (int x = 0; x < norm.cols; ++x) {
      out[x] = std::max(std::max(value[x] - highest[x], lowest[x] - value[x]), 0.0F);
    }
  }
  return distance;
}

}  // namespace gridwatch::edge::vision
