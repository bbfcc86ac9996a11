#pragma once
// Evidence pictures: the frame with the camera's zones outlined, the
// alert's zone highlighted and the vehicle boxed. JPEG encoding happens
// at the adapter edge (edge/), not here.
#include <array>
#include <opencv2/core.hpp>
#include <optional>
#include <string>

#include "edge/vision/camera_settings.hpp"

namespace gridwatch::edge::vision {

/// A copy of `frame` (BGR, any size) no wider than `max_width`, with every
/// zone outlined, `zone` (if any) highlighted, `box` (normalised, if any)
/// drawn and `caption` written in the top-left corner.
cv::Mat draw_evidence(const cv::Mat& frame, const CameraSettings& camera, const std::string& zone,
                      const std::optional<std::array<double, 4>>& box, const std::string& caption,
                      int max_width = 1280);

}  // namespace gridwatch::edge::vision
