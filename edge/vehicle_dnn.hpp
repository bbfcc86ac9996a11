#pragma once
// Optional confirmation of a parked vehicle by an OpenCV-dnn detector
// (Darknet .cfg/.weights such as yolo-fastest, or ONNX YOLO with the same
// output rows: cx, cy, w, h, objectness, class scores). Loading the model
// is file I/O, so it lives here and is handed to the pure pipeline as a
// callback.
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "edge/vision/camera_analyzer.hpp"
#include "edge/vision/camera_settings.hpp"

namespace gridwatch::edge {

/// One vehicle the network found, in the coordinates of the image it was given.
struct VehicleDetection {
  std::array<double, 4> box{};  ///< normalised [x, y, w, h]
  std::string label;            ///< the class name, e.g. "car"
  double score = 0;             ///< objectness x class probability
};

/// The network and the vehicle classes of `DnnSettings`.
class VehicleDetector {
 public:
  /// Loads the model and class names; throws std::runtime_error when they
  /// cannot be loaded or name none of the configured classes.
  explicit VehicleDetector(const vision::DnnSettings& settings);
  ~VehicleDetector();
  VehicleDetector(const VehicleDetector&) = delete;
  VehicleDetector& operator=(const VehicleDetector&) = delete;

  /// The vehicles in `image` (BGR) at `confidence` or more, overlapping
  /// boxes of one vehicle merged; the image is scaled to the square
  /// network input. Throws cv::Exception when the network cannot run.
  std::vector<VehicleDetection> detect(const cv::Mat& image) const;

  /// Whether a vehicle covers the centre of `box` (normalised to `frame`),
  /// looked for in a square crop around it with context on every side;
  /// its score, or nullopt when there is none.
  std::optional<double> confirm(const cv::Mat& frame, const std::array<double, 4>& box) const;

 private:
  struct Model;
  std::unique_ptr<Model> model_;
};

/// A VehicleDetector as the pipeline's callback. Throws like its constructor.
vision::FrameVehicleCheck make_vehicle_check(const vision::DnnSettings& settings);

}  // namespace gridwatch::edge
