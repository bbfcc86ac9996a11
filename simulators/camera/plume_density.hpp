#pragma once
// Opacity of a smoke, steam or dust plume over the image, on a coarse grid.
// The renderer blends with it and the ground truth measures it, so "the
// smoke is visible" means the same thing to both.
#include <vector>

#include "simulators/camera/street_geometry.hpp"
#include "simulators/camera/world.hpp"

namespace gridwatch::sim {

struct AlphaGrid {
  int width = 0;
  int height = 0;
  std::vector<float> alpha;  ///< row-major, 0..1
  float at(int x, int y) const { return alpha[static_cast<std::size_t>(y * width + x)]; }
};

AlphaGrid plume_alpha(const PlumeState& plume, const CameraModel& camera, int grid_width, int grid_height);

/// The grid the ground truth measures on: fixed, so truth does not depend
/// on the rendered resolution.
constexpr int kTruthGridWidth = 192;
/// Opacity from which a cell counts as visibly smoky.
constexpr float kVisibleAlpha = 0.1f;
/// Fraction of the frame that must be visibly smoky for the plume to count.
constexpr double kVisibleAreaFraction = 0.0005;

/// Bounding box (normalised) of the visibly smoky cells; empty when too few.
NormBox visible_box(const AlphaGrid& grid);

}  // namespace gridwatch::sim
