#include "edge/vision/smoke_cues.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>

namespace gridwatch::edge::vision {

BlockShift best_block_shift(const cv::Mat& now, const cv::Mat& before, const cv::Rect& block, int reach,
                            double enough) {
  CV_Assert(now.type() == CV_32F && before.type() == CV_32F && now.size() == before.size());
  const cv::Rect frame(0, 0, now.cols, now.rows);
  CV_Assert((block & frame) == block && block.area() > 0);
  const cv::Mat current = now(block);
  auto mean_difference = [&](int dx, int dy) {
    const cv::Mat source = before(block - cv::Point(dx, dy));
    double sum = 0;
    for (int y = 0; y < block.height; ++y) {
      const auto* a = current.ptr<float>(y);
      const auto* b = source.ptr<float>(y);
      for (int x = 0; x < block.width; ++x) sum += std::abs(a[x] - b[x]);
    }
    return sum / block.area();
  };
  BlockShift out;
  out.unshifted = mean_difference(0, 0);
  out.shifted = std::numeric_limits<double>::max();
  const double stop_at = enough * out.unshifted;
  // Rings of growing size (Chebyshev distance), so small shifts come first
  // and, on ties, win.
  for (int ring = 1; ring <= reach; ++ring) {
    for (int dy = -ring; dy <= ring; ++dy) {
      for (int dx = -ring; dx <= ring; ++dx) {
        if (std::max(std::abs(dx), std::abs(dy)) != ring) continue;
        if (((block - cv::Point(dx, dy)) & frame) != block - cv::Point(dx, dy)) continue;
        const double difference = mean_difference(dx, dy);
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

}  // namespace gridwatch::edge::vision
