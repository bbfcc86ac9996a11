#include "edge/vehicle_dnn.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <stdexcept>

namespace gridwatch::edge {
namespace {

constexpr double kContext = 0.6;  // crop this much around the box on each side

class VehicleDnn {
 public:
  explicit VehicleDnn(const vision::DnnSettings& settings) : settings_(settings) {
    try {
      net_ = cv::dnn::readNet(settings.model, settings.config);
    } catch (const cv::Exception& error) {
      throw std::runtime_error(fmt::format("cannot load dnn model {}: {}", settings.model, error.what()));
    }
    if (net_.empty()) throw std::runtime_error(fmt::format("cannot load dnn model {}", settings.model));
    std::ifstream names(settings.names);
    if (!names) throw std::runtime_error(fmt::format("cannot read class names {}", settings.names));
    std::string line;
    int index = 0;
    while (std::getline(names, line)) {
      if (std::find(settings.classes.begin(), settings.classes.end(), line) != settings.classes.end()) {
        wanted_.insert(index);
      }
      ++index;
    }
    if (wanted_.empty()) throw std::runtime_error(fmt::format("{} names none of the configured classes", settings.names));
  }

  std::optional<double> check(const cv::Mat& frame, const std::array<double, 4>& box) {
    const double fw = frame.cols;
    const double fh = frame.rows;
    const cv::Rect2d object(box[0] * fw, box[1] * fh, box[2] * fw, box[3] * fh);
    const double side = std::max(object.width, object.height) * (1 + 2 * kContext);
    cv::Rect crop(static_cast<int>(object.x + object.width / 2 - side / 2),
                  static_cast<int>(object.y + object.height / 2 - side / 2), static_cast<int>(side),
                  static_cast<int>(side));
    crop &= cv::Rect(0, 0, frame.cols, frame.rows);
    if (crop.area() <= 0) return std::nullopt;
    const cv::Mat blob = cv::dnn::blobFromImage(frame(crop), 1.0 / 255.0, cv::Size(settings_.input_size, settings_.input_size),
                                                cv::Scalar(), true, false);
    std::vector<cv::Mat> outputs;
    try {
      net_.setInput(blob);
      net_.forward(outputs, net_.getUnconnectedOutLayersNames());
    } catch (const cv::Exception& error) {
      // A model that cannot run must not silence alerts: say yes.
      return 0.5;
    }
    const cv::Point2d centre((object.x + object.width / 2 - crop.x) / crop.width,
                             (object.y + object.height / 2 - crop.y) / crop.height);
    double best = 0;
    for (const auto& output : outputs) {
      const cv::Mat rows = output.reshape(1, static_cast<int>(output.total() / static_cast<std::size_t>(output.size[output.dims - 1])));
      for (int r = 0; r < rows.rows; ++r) {
        const float* row = rows.ptr<float>(r);
        if (rows.cols < 6) continue;
        for (int c = 5; c < rows.cols; ++c) {
          if (wanted_.count(c - 5) == 0) continue;
          const double score = static_cast<double>(row[4]) * static_cast<double>(row[c]);
          if (score < settings_.confidence) continue;
          const double cx = row[0];
          const double cy = row[1];
          const double w = row[2];
          const double h = row[3];
          if (std::abs(cx - centre.x) <= w / 2 && std::abs(cy - centre.y) <= h / 2) best = std::max(best, score);
        }
      }
    }
    if (best <= 0) return std::nullopt;
    return best;
  }

 private:
  vision::DnnSettings settings_;
  cv::dnn::Net net_;
  std::set<int> wanted_;
};

}  // namespace

vision::FrameVehicleCheck make_vehicle_check(const vision::DnnSettings& settings) {
  auto dnn = std::make_shared<VehicleDnn>(settings);
  return [dnn](const cv::Mat& frame, const std::array<double, 4>& box) { return dnn->check(frame, box); };
}

}  // namespace gridwatch::edge
