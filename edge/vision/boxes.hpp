#pragma once
// Rectangle arithmetic the pipeline's stages share.
#include <opencv2/core.hpp>

namespace gridwatch::edge::vision {

/// `box` with `margin` added on every side (pixels or blocks, as `box` is);
/// not clipped, so callers intersect it with their picture or grid.
inline cv::Rect widened(const cv::Rect& box, int margin) {
  return {box.x - margin, box.y - margin, box.width + 2 * margin, box.height + 2 * margin};
}

}  // namespace gridwatch::edge::vision
