#include "edge/vision/smoke_cues.hpp"

#include <opencv2/core/hal/intrin.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <vector>

#include "edge/vision/boxes.hpp"

namespace gridwatch::edge::vision {

BlockShift best_block_shift(const cv::Mat& now, const cv::Mat& before, const cv::Rect& block, int reach,
                            double enough) {
  CV_Assert(now.type() == CV_32F && before.type() == CV_32F && now.size() == before.size());
  const cv::Rect frame(0, 0, now.cols, now.rows);
  CV_Assert((block & frame) == block && block.area() > 0);
  const cv::Mat current = now(block);
  const double area = block.area();
  // The mean absolute difference against `before` shifted by (dx, dy).
  // Once the rows so far already reach `beat`, the rest cannot bring it
  // under (no term is negative), so the search stops adding: the result
  // is then only known to be no better, which is all the search asks.
  // Most shifts are given up after a row or two.
  auto mean_difference = [&](int dx, int dy, double beat) {
    double sum = 0;
    for (int y = 0; y < block.height; ++y) {
      const auto* a = current.ptr<float>(y);
      const auto* b = before.ptr<float>(block.y - dy + y) + (block.x - dx);
      for (int x = 0; x < block.width; ++x) sum += std::abs(a[x] - b[x]);
      if (sum / area >= beat) break;
    }
    return sum / area;
  };
  BlockShift out;
  out.unshifted = mean_difference(0, 0, std::numeric_limits<double>::infinity());
  out.shifted = std::numeric_limits<double>::max();
  const double stop_at = enough * out.unshifted;
  // Rings of growing size (Chebyshev distance), so small shifts come first
  // and, on ties, win.
  for (int ring = 1; ring <= reach; ++ring) {
    for (int dy = -ring; dy <= ring; ++dy) {
      for (int dx = -ring; dx <= ring; ++dx) {
        if (std::max(std::abs(dx), std::abs(dy)) != ring) continue;
        if (block.x - dx < 0 || block.y - dy < 0 || block.x - dx + block.width > frame.width ||
            block.y - dy + block.height > frame.height) {
          continue;  // the shifted block leaves the picture
        }
        const double difference = mean_difference(dx, dy, out.shifted);
        if (difference < out.shifted) {
          out.shifted = difference;
          out.dx = dx;
          out.dy = dy;
          if (enough > 0 && difference <= stop_at) return out;
        }
      }
    }
  }
  if (out.shifted == std::numeric_limits<double>::max()) out.shifted = out.unshifted;
  return out;
}

cv::Mat block_means(const cv::Mat& image, int block, cv::Size grid) {
  CV_Assert(image.type() == CV_32F && block > 0 && grid.width > 0 && grid.height > 0 &&
            grid.width * block <= image.cols && grid.height * block <= image.rows);
  const int width = grid.width * block;
  const auto step = static_cast<std::ptrdiff_t>(image.step1());
  std::vector<float> columns(static_cast<std::size_t>(width));
  const float scale = 1.0F / static_cast<float>(block * block);
  cv::Mat means(grid, CV_32F);
  for (int by = 0; by < grid.height; ++by) {
    // Down the block's rows first, eight columns at a time in registers.
    const float* top = image.ptr<float>(by * block);
    float* sum = columns.data();
    int x = 0;
#if CV_SIMD128
    for (; x + 8 <= width; x += 8) {
      const float* row = top + x;
      auto left = cv::v_load(row);
      auto right = cv::v_load(row + 4);
      for (int i = 1; i < block; ++i) {
        row += step;
        left = left + cv::v_load(row);
        right = right + cv::v_load(row + 4);
      }
      cv::v_store(sum + x, left);
      cv::v_store(sum + x + 4, right);
    }
#endif
    for (; x < width; ++x) {
      const float* row = top + x;
      float column = *row;
      for (int i = 1; i < block; ++i) {
        row += step;
        column += *row;
      }
      sum[x] = column;
    }
    auto* out = means.ptr<float>(by);
    for (int bx = 0; bx < grid.width; ++bx) {
      float total = 0;
      for (int i = 0; i < block; ++i) total += sum[bx * block + i];
      out[bx] = total * scale;
    }
  }
  return means;
}

bool sliding_rigidly(const BlockShift& shift, double min_change, double explained) {
  if (shift.unshifted < min_change) return false;
  return shift.shifted <= explained * shift.unshifted;
}

bool changed_in_one_step(double step, double second, double still_share, double abrupt_share) {
  if (second <= 0) return false;
  return step <= still_share * second || step >= abrupt_share * second;
}

bool repeats_previous(const cv::Mat& block_change, double level) {
  double most = 0;
  cv::minMaxLoc(block_change, nullptr, &most);
  return most < level;
}

cv::Mat burned_in_strokes(const cv::Mat& chroma, double min_chroma, int widest_px, int margin_px) {
  CV_Assert(chroma.type() == CV_8U);
  cv::Mat vivid;
  cv::threshold(chroma, vivid, min_chroma - 1, 255, cv::THRESH_BINARY);
  cv::Mat strokes = cv::Mat::zeros(chroma.size(), CV_8U);
  if (cv::countNonZero(vivid) == 0) return strokes;
  // An opening with a square one pixel wider than a stroke keeps only the
  // thick coloured areas; what it removes is thin.
  cv::Mat thick;
  const int side = widest_px + 1;
  cv::morphologyEx(vivid, thick, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(side, side)));
  cv::subtract(vivid, thick, strokes);
  if (margin_px > 0 && cv::countNonZero(strokes) > 0) {
    const int reach = 2 * margin_px + 1;
    cv::dilate(strokes, strokes, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(reach, reach)));
  }
  return strokes;
}

SceneBehind scene_behind_block(const cv::Mat& behind, const cv::Mat& seen, double texture, double followed) {
  CV_Assert(behind.type() == CV_32F && seen.type() == CV_32F && behind.size() == seen.size());
  cv::Scalar behind_mean;
  cv::Scalar behind_spread;
  cv::meanStdDev(behind, behind_mean, behind_spread);
  if (behind_spread[0] < texture) return SceneBehind::no_texture;
  cv::Scalar seen_mean;
  cv::Scalar seen_spread;
  cv::meanStdDev(seen, seen_mean, seen_spread);
  if (seen_spread[0] <= 0) return SceneBehind::hidden;
  const double covariance = cv::mean((behind - behind_mean[0]).mul(seen - seen_mean[0]))[0];
  return covariance >= followed * behind_spread[0] * seen_spread[0] ? SceneBehind::follows : SceneBehind::hidden;
}

double warmth_beyond_grey_veil(const cv::Vec3f& background, const cv::Vec3f& now) {
  constexpr double kWhite = 255.0;
  const double mean_background = (background[0] + background[1] + background[2]) / 3.0;
  const double mean_change = (now[0] + now[1] + now[2]) / 3.0 - mean_background;
  if (mean_change == 0) return 0;
  const double least_opacity =
      std::clamp(mean_change > 0 ? mean_change / std::max(1.0, kWhite - mean_background)
                                 : -mean_change / std::max(1.0, mean_background),
                 0.0, 1.0);
  // change_R - change_B = -a (background_R - background_B): at its warmest
  // with the thinnest veil on a warm background, the thickest on a cool one.
  const double background_warmth = static_cast<double>(background[2]) - background[0];
  const double warmest_veil = -(background_warmth >= 0 ? least_opacity : 1.0) * background_warmth;
  const double change_warmth = (static_cast<double>(now[2]) - background[2]) - (static_cast<double>(now[0]) - background[0]);
  return (change_warmth - warmest_veil) / std::abs(mean_change);
}

namespace {

/// The pixels of a CV_8U image at `level` or above, row by row, as
/// cv::findNonZero(image >= level) lists them. Sixteen pixels are tested
/// at a time: near-white is rare, and OpenCV's scan looked at each pixel
/// after a full-size comparison.
std::vector<cv::Point> pixels_at_least(const cv::Mat& image, double level) {
  CV_Assert(image.type() == CV_8U);
  std::vector<cv::Point> found;
  if (level > 255) return found;
  const auto lowest = static_cast<std::uint8_t>(std::max(0.0, std::ceil(level)));
  for (int y = 0; y < image.rows; ++y) {
    const auto* row = image.ptr<std::uint8_t>(y);
    int x = 0;
#if CV_SIMD128
    const auto v_lowest = cv::v_setall_u8(lowest);
    for (; x + 16 <= image.cols; x += 16) {
      if (!cv::v_check_any(cv::v_load(row + x) >= v_lowest)) continue;
      for (int i = x; i < x + 16; ++i) {
        if (row[i] >= lowest) found.emplace_back(i, y);
      }
    }
#endif
    for (; x < image.cols; ++x) {
      if (row[x] >= lowest) found.emplace_back(x, y);
    }
  }
  return found;
}

}  // namespace

cv::Mat point_of_light_shares(const cv::Mat& whitest, const cv::Mat& grey, cv::Size grid, int block,
                              const PointOfLight& point) {
  cv::Mat shares = cv::Mat::zeros(grid, CV_32F);
  const std::vector<cv::Point> near_white = pixels_at_least(whitest, point.level);
  if (near_white.empty()) return shares;
  // Most frames have a few near-white pixels (lamps, glints, paint) and
  // their windows are summed directly; a frame with a bright sky or a
  // white wall can have thousands, and one integral image is cheaper.
  // Both sum the window clipped to the picture, in double.
  const auto window_size = static_cast<std::size_t>((2 * point.reach_px + 1) * (2 * point.reach_px + 1));
  cv::Mat integral;
  if (near_white.size() * window_size > grey.total() * 4) cv::integral(grey, integral, CV_64F);
  const cv::Rect picture(0, 0, grey.cols, grey.rows);
  const float share = 1.0F / static_cast<float>(block * block);
  for (const cv::Point& at : near_white) {
    const int block_x = at.x / block;
    const int block_y = at.y / block;
    if (block_x >= grid.width || block_y >= grid.height) continue;
    const cv::Rect window = widened(cv::Rect(at, cv::Size(1, 1)), point.reach_px) & picture;
    double sum = 0;
    if (!integral.empty()) {
      sum = integral.at<double>(window.y + window.height, window.x + window.width) -
            integral.at<double>(window.y, window.x + window.width) -
            integral.at<double>(window.y + window.height, window.x) + integral.at<double>(window.y, window.x);
    } else {
      for (int y = window.y; y < window.y + window.height; ++y) {
        const float* row = grey.ptr<float>(y);
        for (int x = window.x; x < window.x + window.width; ++x) sum += row[x];
      }
    }
    const double surround = sum / window.area();
    if (whitest.at<std::uint8_t>(at) - surround >= point.contrast) shares.at<float>(block_y, block_x) += share;
  }
  return shares;
}

cv::Mat rear_light_pixels(const cv::Mat& red, const cv::Mat& green_or_blue, const RearLight& lamp) {
  cv::Mat red_spread;
  cv::subtract(red, green_or_blue, red_spread);  // saturates at 0
  return (red >= lamp.red) & (red_spread >= lamp.spread);
}

cv::Mat rear_light_beams(const cv::Mat& picture, const cv::Mat& lamp_pixels, const cv::Mat& dark, int block,
                         const RearLight& lamp, const BeamReach& beam) {
  const cv::Size grid = dark.size();
  cv::Mat lit = cv::Mat::zeros(grid, CV_8U);
  if (picture.type() != CV_8UC3 || lamp_pixels.size() != picture.size() || cv::countNonZero(dark) == 0) return lit;
  // Most frames have no rear light or a few: only the area round them is
  // labelled.
  if (cv::countNonZero(lamp_pixels) == 0) return lit;
  const cv::Rect whole(0, 0, picture.cols, picture.rows);
  const cv::Rect red_bounds = cv::boundingRect(lamp_pixels);
  const cv::Rect area = widened(red_bounds, lamp.reach_px) & whole;
  cv::Mat labels;
  cv::Mat stats;
  cv::Mat centres;
  const int count = cv::connectedComponentsWithStats(lamp_pixels(area), labels, stats, centres, 8, CV_32S);
  struct Lamp {
    double x;
    double y;
    int width;
    int height;
  };
  cv::Mat grey;
  cv::cvtColor(picture(area), grey, cv::COLOR_BGR2GRAY);
  const cv::Rect in_area(0, 0, area.width, area.height);
  std::vector<Lamp> lamps;
  for (int i = 1; i < count; ++i) {
    const cv::Rect blob(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                        stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    const cv::Rect around = widened(blob, lamp.reach_px) & in_area;
    const cv::Mat in_blob = labels(around) == i;
    const double blob_grey = cv::mean(grey(around), in_blob)[0];
    const double ground_grey = cv::mean(grey(around), ~in_blob)[0];
    if (blob_grey - ground_grey < lamp.contrast && blob_grey < lamp.level) continue;
    lamps.push_back({area.x + centres.at<double>(i, 0), area.y + centres.at<double>(i, 1), blob.width, blob.height});
  }
  for (const Lamp& one : lamps) {
    // Its partner: the nearest lamp of about its size on its row, no
    // farther than a pair of such lamps can be. A red car body can pass
    // the colour test too, but it has no such partner.
    double spacing = 0;
    for (const Lamp& other : lamps) {
      if (&other == &one) continue;
      const double across = std::abs(other.x - one.x);
      const int wider = std::max(one.width, other.width);
      const bool alike = std::abs(one.width - other.width) <= wider / 2 + 1 &&
                         std::abs(one.height - other.height) <= std::max(one.height, other.height) / 2 + 1;
      const bool same_row = std::abs(other.y - one.y) <= std::max({one.height, other.height, 1});
      if (alike && same_row && across > wider && across <= beam.pair_widths * std::max(wider, 2) &&
          (spacing == 0 || across < spacing)) {
        spacing = across;
      }
    }
    // A blob of a pixel or two with no partner: a far pair merged into
    // one, or one lamp of a pair whose other is hidden.
    if (spacing == 0 && one.width <= 2 && one.height <= 2) spacing = beam.lone_widths * one.width;
    if (spacing == 0) continue;
    // The blocks from the lamp's row up to the beam's reach, either side
    // (a beam wholly in the pixels past the last whole block marks none).
    const auto block_of = [block](double px) { return static_cast<int>(std::floor(px / block)); };
    const cv::Point first(block_of(one.x - beam.half_widths * spacing), block_of(one.y - beam.reach_widths * spacing));
    const cv::Point last(block_of(one.x + beam.half_widths * spacing), block_of(one.y));
    const cv::Rect beam_blocks = cv::Rect(first, last + cv::Point(1, 1)) & cv::Rect(cv::Point(0, 0), grid);
    if (!beam_blocks.empty()) lit(beam_blocks).setTo(255);
  }
  lit &= dark;
  return lit;
}

}  // namespace gridwatch::edge::vision
