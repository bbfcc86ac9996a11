#pragma once
// Geometry the pipeline's stages share: rectangles, and the configured
// normalised polygons in pixels.
#include <opencv2/core.hpp>

#include <cmath>
#include <vector>

#include "edge/vision/camera_settings.hpp"

namespace gridwatch::edge::vision {

/// `box` with `margin` added on every side (pixels or blocks, as `box` is);
/// not clipped, so callers intersect it with their picture or grid.
inline cv::Rect widened(const cv::Rect& box, int margin) {
  return {box.x - margin, box.y - margin, box.width + 2 * margin, box.height + 2 * margin};
}

/// `polygon` (normalised) in the pixels of a picture of `size`, each
/// corner rounded to the nearest pixel. Every mask, zone and area the
/// detectors draw comes from here, so the doctor and the evidence picture
/// show the pixels the detectors use.
inline std::vector<cv::Point> to_pixels(const NormPolygon& polygon, cv::Size size) {
  std::vector<cv::Point> points;
  points.reserve(polygon.size());
  for (const auto& p : polygon) {
    points.emplace_back(static_cast<int>(std::lround(p.x * size.width)), static_cast<int>(std::lround(p.y * size.height)));
  }
  return points;
}

}  // namespace gridwatch::edge::vision
