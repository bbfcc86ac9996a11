#include "edge/vehicle_dnn.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

namespace gridwatch::edge {
namespace {

constexpr double kContext = 0.6;        // crop this much of the box's size around it on each side
// Boxes overlapping more than this (IoU) are one vehicle, whatever their
// class: a van is often both a car and a truck to the network.
constexpr float kOverlapMerge = 0.45F;

}  // namespace

struct VehicleDetector::Model {
  vision::DnnSettings settings;
  cv::dnn::Net net;
  std::map<int, std::string> wanted;  // class index -> name
  // OpenCV's Darknet region layer gives boxes in [0, 1] of the input and
  // class scores already multiplied by the objectness. An ONNX model in
  // the YOLOv5 export layout gives boxes in input pixels and the bare
  // class probability.
  bool darknet_region = false;
  // A model that cannot run on a frame is logged once, not per frame.
  mutable std::atomic<bool> failure_logged{false};
};

VehicleDetector::VehicleDetector(const vision::DnnSettings& settings) : model_(std::make_unique<Model>()) {
  model_->settings = settings;
  for (const auto& path : {settings.model, settings.config, settings.names}) {
    if (!path.empty() && !std::filesystem::is_regular_file(path)) {
      throw std::runtime_error(fmt::format("dnn file {} not found", path));
    }
  }
  try {
    model_->net = cv::dnn::readNet(settings.model, settings.config);
  } catch (const cv::Exception& error) {
    throw std::runtime_error(fmt::format("cannot load dnn model {}: {}", settings.model, error.what()));
  }
  if (model_->net.empty()) throw std::runtime_error(fmt::format("cannot load dnn model {}", settings.model));
  model_->darknet_region = !settings.config.empty();
  std::ifstream names(settings.names);
  if (!names) throw std::runtime_error(fmt::format("cannot read class names {}", settings.names));
  std::string line;
  int index = 0;
  while (std::getline(names, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (std::find(settings.classes.begin(), settings.classes.end(), line) != settings.classes.end()) {
      model_->wanted.emplace(index, line);
    }
    ++index;
  }
  if (model_->wanted.empty()) {
    throw std::runtime_error(fmt::format("{} names none of the configured classes ({})", settings.names,
                                         fmt::join(settings.classes, ", ")));
  }
}

VehicleDetector::~VehicleDetector() = default;

std::vector<VehicleDetection> VehicleDetector::detect(const cv::Mat& image) const {
  const auto& settings = model_->settings;
  const cv::Mat blob = cv::dnn::blobFromImage(image, 1.0 / 255.0, cv::Size(settings.input_size, settings.input_size),
                                              cv::Scalar(), true, false);
  std::vector<cv::Mat> outputs;
  model_->net.setInput(blob);
  model_->net.forward(outputs, model_->net.getUnconnectedOutLayersNames());

  const double to_unit = model_->darknet_region ? 1.0 : 1.0 / settings.input_size;
  std::vector<cv::Rect2d> boxes;
  std::vector<float> scores;
  std::vector<int> classes;
  for (const auto& output : outputs) {
    const int columns = output.size[output.dims - 1];
    if (columns < 6) continue;
    const cv::Mat rows = output.reshape(1, static_cast<int>(output.total() / static_cast<std::size_t>(columns)));
    for (int r = 0; r < rows.rows; ++r) {
      const float* row = rows.ptr<float>(r);
      for (const auto& [index, name] : model_->wanted) {
        if (5 + index >= columns) continue;
        const float score = model_->darknet_region ? row[5 + index] : row[4] * row[5 + index];
        if (score < settings.confidence) continue;
        boxes.emplace_back((row[0] - row[2] / 2) * to_unit, (row[1] - row[3] / 2) * to_unit, row[2] * to_unit,
                           row[3] * to_unit);
        scores.push_back(score);
        classes.push_back(index);
      }
    }
  }
  std::vector<int> kept;
  cv::dnn::NMSBoxes(boxes, scores, static_cast<float>(settings.confidence), kOverlapMerge, kept);
  std::vector<VehicleDetection> out;
  for (const int i : kept) {
    const auto index = static_cast<std::size_t>(i);
    const auto& box = boxes[index];
    out.push_back({{box.x, box.y, box.width, box.height}, model_->wanted.at(classes[index]), scores[index]});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
  return out;
}

std::optional<double> VehicleDetector::confirm(const cv::Mat& frame, const std::array<double, 4>& box) const {
  const double fw = frame.cols;
  const double fh = frame.rows;
  const cv::Rect2d object(box[0] * fw, box[1] * fh, box[2] * fw, box[3] * fh);
  const double side = std::max(object.width, object.height) * (1 + 2 * kContext);
  cv::Rect crop(static_cast<int>(object.x + object.width / 2 - side / 2),
                static_cast<int>(object.y + object.height / 2 - side / 2), static_cast<int>(side), static_cast<int>(side));
  crop &= cv::Rect(0, 0, frame.cols, frame.rows);
  if (crop.area() <= 0) return std::nullopt;
  std::vector<VehicleDetection> found;
  try {
    found = detect(frame(crop));
  } catch (const cv::Exception& error) {
    if (!model_->failure_logged.exchange(true)) {
      spdlog::error("dnn {} cannot run ({}); its vehicles are not confirmed, alerts go out unconfirmed",
                    model_->settings.model, error.what());
    }
    // A model that cannot run must not silence alerts: say yes.
    return 0.5;
  }
  const cv::Point2d centre((object.x + object.width / 2 - crop.x) / crop.width,
                           (object.y + object.height / 2 - crop.y) / crop.height);
  for (const auto& vehicle : found) {  // best first
    const auto& b = vehicle.box;
    if (centre.x >= b[0] && centre.x <= b[0] + b[2] && centre.y >= b[1] && centre.y <= b[1] + b[3]) return vehicle.score;
  }
  return std::nullopt;
}

vision::FrameVehicleCheck make_vehicle_check(const vision::DnnSettings& settings) {
  auto detector = std::make_shared<VehicleDetector>(settings);
  return [detector](const cv::Mat& frame, const std::array<double, 4>& box) { return detector->confirm(frame, box); };
}

}  // namespace gridwatch::edge
