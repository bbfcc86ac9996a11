#include "simulators/camera/plume_density.hpp"

#include <algorithm>
#include <cmath>

namespace gridwatch::sim {

AlphaGrid plume_alpha(const PlumeState& plume, const CameraModel& camera, int grid_width, int grid_height) {
  AlphaGrid grid;
  grid.width = grid_width;
  grid.height = grid_height;
  // Optical depth first (puffs add up), opacity at the end: 1 - exp(-depth).
  std::vector<float> depth(static_cast<std::size_t>(grid_width * grid_height), 0.0f);
  bool any = false;
  for (const auto& puff : plume.puffs) {
    const double opacity = puff.current_opacity();
    if (opacity < 0.004) continue;
    const auto centre = camera.project(puff.x_m, puff.y_m, puff.z_m);
    if (!centre) continue;
    const double distance = camera.depth(puff.x_m, puff.y_m, puff.z_m);
    const double sigma = std::max(0.6, puff.radius_m * camera.focal_x() * grid_width / distance / 1.4);
    const double cx = centre->x * grid_width;
    const double cy = centre->y * grid_height;
    const double reach = 2.6 * sigma;
    const int x0 = std::max(0, static_cast<int>(std::floor(cx - reach)));
    const int x1 = std::min(grid_width - 1, static_cast<int>(std::ceil(cx + reach)));
    const int y0 = std::max(0, static_cast<int>(std::floor(cy - reach)));
    const int y1 = std::min(grid_height - 1, static_cast<int>(std::ceil(cy + reach)));
    if (x0 > x1 || y0 > y1) continue;
    any = true;
    // A puff's optical depth at its centre grows with its opacity and
    // shrinks as it spreads, so a dispersing plume thins out.
    const double peak = -std::log(1.0 - std::min(0.95, opacity));
    // The Gaussian is separable: one exp per row and per column, then only
    // multiply-adds over the footprint.
    const double inv_two_sigma2 = 1.0 / (2 * sigma * sigma);
    std::vector<float> across(static_cast<std::size_t>(x1 - x0 + 1));
    for (int x = x0; x <= x1; ++x) {
      const double dx = x + 0.5 - cx;
      across[static_cast<std::size_t>(x - x0)] = static_cast<float>(std::exp(-dx * dx * inv_two_sigma2));
    }
    for (int y = y0; y <= y1; ++y) {
      const double dy = y + 0.5 - cy;
      const auto down = static_cast<float>(peak * std::exp(-dy * dy * inv_two_sigma2));
      float* row = depth.data() + static_cast<std::ptrdiff_t>(y) * grid_width + x0;
      for (std::size_t i = 0; i < across.size(); ++i) row[i] += down * across[i];
    }
  }
  grid.alpha.resize(depth.size());
  if (!any) return grid;  // all zero already
  std::transform(depth.begin(), depth.end(), grid.alpha.begin(), [](float d) { return 1.0f - std::exp(-d); });
  return grid;
}

NormBox visible_box(const AlphaGrid& grid) {
  int min_x = grid.width;
  int min_y = grid.height;
  int max_x = -1;
  int max_y = -1;
  int count = 0;
  for (int y = 0; y < grid.height; ++y) {
    for (int x = 0; x < grid.width; ++x) {
      if (grid.at(x, y) < kVisibleAlpha) continue;
      ++count;
      min_x = std::min(min_x, x);
      max_x = std::max(max_x, x);
      min_y = std::min(min_y, y);
      max_y = std::max(max_y, y);
    }
  }
  const double needed = std::max(4.0, kVisibleAreaFraction * grid.width * grid.height);
  if (count < needed) return {};
  return {static_cast<double>(min_x) / grid.width, static_cast<double>(min_y) / grid.height,
          static_cast<double>(max_x + 1 - min_x) / grid.width, static_cast<double>(max_y + 1 - min_y) / grid.height};
}

}  // namespace gridwatch::sim
