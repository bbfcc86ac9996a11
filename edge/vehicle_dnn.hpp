#pragma once
// Optional confirmation of a parked vehicle by an OpenCV-dnn detector
// (Darknet .cfg/.weights such as yolo-fastest, or ONNX YOLO with the same
// output rows: cx, cy, w, h, objectness, class scores). Loading the model
// is file I/O, so it lives here and is handed to the pure pipeline as a
// callback.
#include "edge/vision/camera_analyzer.hpp"
#include "edge/vision/camera_settings.hpp"

namespace gridwatch::edge {

/// Loads the model and class names; throws std::runtime_error when they
/// cannot be loaded or name none of the configured classes.
vision::FrameVehicleCheck make_vehicle_check(const vision::DnnSettings& settings);

}  // namespace gridwatch::edge
