#include "edge/vision/evidence.hpp"

#include <opencv2/imgproc.hpp>

#include <vector>

#include "edge/vision/boxes.hpp"

namespace gridwatch::edge::vision {

cv::Mat draw_evidence(const cv::Mat& frame, const CameraSettings& camera, const std::string& zone,
                      const std::optional<std::array<double, 4>>& box, const std::string& caption, int max_width) {
  cv::Mat out;
  if (frame.cols > max_width) {
    const double scale = static_cast<double>(max_width) / frame.cols;
    cv::resize(frame, out, cv::Size(), scale, scale, cv::INTER_AREA);
  } else {
    out = frame.clone();
  }
  if (out.channels() == 1) cv::cvtColor(out, out, cv::COLOR_GRAY2BGR);
  const double w = out.cols;
  const double h = out.rows;
  const int thickness = std::max(1, out.cols / 480);
  for (const auto& z : camera.zones) {
    const auto polygon = to_pixels(z.polygon, out.size());
    const bool highlighted = z.id == zone;
    const cv::Scalar colour = highlighted ? cv::Scalar(0, 0, 255) : cv::Scalar(0, 200, 255);
    cv::polylines(out, polygon, true, colour, highlighted ? thickness * 2 : thickness, cv::LINE_AA);
    if (!polygon.empty()) {
      cv::putText(out, z.id, polygon.front() + cv::Point(4, -4), cv::FONT_HERSHEY_SIMPLEX, 0.4 * thickness, colour,
                  thickness, cv::LINE_AA);
    }
  }
  if (box) {
    const cv::Rect rect(static_cast<int>((*box)[0] * w), static_cast<int>((*box)[1] * h),
                        static_cast<int>((*box)[2] * w), static_cast<int>((*box)[3] * h));
    cv::rectangle(out, rect, cv::Scalar(0, 255, 0), thickness * 2, cv::LINE_AA);
  }
  if (!caption.empty()) {
    const double font = 0.45 * thickness;
    int baseline = 0;
    const auto size = cv::getTextSize(caption, cv::FONT_HERSHEY_SIMPLEX, font, thickness, &baseline);
    cv::rectangle(out, cv::Rect(0, 0, std::min(out.cols, size.width + 8), size.height + baseline + 8),
                  cv::Scalar(0, 0, 0), cv::FILLED);
    cv::putText(out, caption, cv::Point(4, size.height + 4), cv::FONT_HERSHEY_SIMPLEX, font, cv::Scalar(255, 255, 255),
                thickness, cv::LINE_AA);
  }
  return out;
}

}  // namespace gridwatch::edge::vision
