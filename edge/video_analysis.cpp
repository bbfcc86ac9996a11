#include "edge/video_analysis.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <sstream>
#include <stdexcept>

#include "edge/vision/camera_analyzer.hpp"
#include "edge/vehicle_dnn.hpp"

namespace gridwatch::edge {
namespace {

/// Rounds to `digits` decimals so that JSON shows 78.9, not 78.90000000000001.
double round_to(double value, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

}  // namespace

std::string encode_jpeg(const cv::Mat& picture) {
  std::vector<unsigned char> bytes;
  cv::imencode(".jpg", picture, bytes, {cv::IMWRITE_JPEG_QUALITY, 85});
  return std::string(bytes.begin(), bytes.end());
}

std::string to_json_line(const EpisodeRecord& record) {
  nlohmann::ordered_json line;
  line["type"] = std::string(vision::to_string(record.type));
  line["camera"] = record.camera;
  line["zone"] = record.zone.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(record.zone);
  if (record.type == vision::EventType::tamper) line["fault"] = record.fault;
  line["start_s"] = round_to(record.start_s, 1);
  line["end_s"] = record.end_s ? nlohmann::ordered_json(round_to(*record.end_s, 1)) : nlohmann::ordered_json(nullptr);
  line["box"] = {round_to(record.box[0], 4), round_to(record.box[1], 4), round_to(record.box[2], 4),
                 round_to(record.box[3], 4)};
  line["confidence"] = round_to(record.confidence, 2);
  return line.dump();
}

namespace {

std::string read_config_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    ConfigErrors errors;
    errors.add({path, 0, 0, "", "cannot open the file (missing or unreadable)"});
    throw ConfigInvalid(std::move(errors));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

vision::CameraSettings load_camera_file(const std::string& path) {
  return vision::parse_camera_settings(read_config_text(path), path);
}

vision::DnnSettings load_dnn_file(const std::string& path) {
  return vision::parse_dnn_settings(read_config_text(path), path);
}

VideoAnalysisStats analyze_video(const vision::CameraSettings& camera, const std::string& video_path,
                                 const std::function<void(const EpisodeRecord&)>& on_episode,
                                 const std::string& evidence_dir, double first_s) {
  cv::VideoCapture capture(video_path, cv::CAP_FFMPEG);
  if (!capture.isOpened()) capture.open(video_path, cv::CAP_ANY);
  if (!capture.isOpened()) throw std::runtime_error(fmt::format("cannot open video {}", video_path));
  double fps = capture.get(cv::CAP_PROP_FPS);
  if (!(fps > 0 && fps < 1000)) {
    spdlog::warn("{}: no usable frame rate in the file, assuming 25 fps", video_path);
    fps = 25;
  }
  VideoAnalysisStats stats;
  vision::FrameVehicleCheck check;
  if (camera.dnn) {
    // Timed, so that `analyze` can tell what confirmation costs per call.
    check = [confirm = make_vehicle_check(*camera.dnn), &stats](const cv::Mat& frame, const std::array<double, 4>& box) {
      const auto started = std::chrono::steady_clock::now();
      auto score = confirm(frame, box);
      ++stats.vehicle_checks;
      stats.vehicle_check_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      return score;
    };
  }
  vision::CameraAnalyzer analyzer(camera, check);

  std::map<std::pair<int, int>, EpisodeRecord> open;  // (type, episode)
  const auto handle = [&](const vision::VisionEvent& event) {
    const auto key = std::make_pair(static_cast<int>(event.type), event.episode);
    auto& record = open[key];
    if (!evidence_dir.empty() && !event.evidence.empty()) {
      const auto path = fmt::format("{}/{}-{}-{}-{:07.1f}.jpg", evidence_dir, camera.id, vision::to_string(event.type),
                                    event.episode, event.time_s);
      std::ofstream(path, std::ios::binary) << encode_jpeg(event.evidence);
    }
    if (event.phase == Phase::start) {
      record.type = event.type;
      record.camera = camera.id;
      record.zone = event.zone;
      record.fault = event.fault;
      record.start_s = event.started_s;
      record.box = event.box;
      record.confidence = event.confidence;
      spdlog::info("{} t={:.1f}s {} {} start: {}", camera.id, event.time_s, vision::to_string(event.type), event.zone,
                   event.summary);
    } else if (event.phase == Phase::update) {
      record.box = event.box;
      record.confidence = std::max(record.confidence, event.confidence);
    } else {
      record.end_s = event.ended_s ? *event.ended_s : event.time_s;
      spdlog::info("{} t={:.1f}s {} {} end: {}", camera.id, event.time_s, vision::to_string(event.type), event.zone,
                   event.summary);
      on_episode(record);
      open.erase(key);
    }
  };

  const auto started = std::chrono::steady_clock::now();
  cv::Mat frame;
  double t_s = 0;
  while (capture.grab()) {
    t_s = static_cast<double>(stats.frames_decoded) / fps;
    ++stats.frames_decoded;
    if (t_s < first_s - 1e-6 || !analyzer.wants(t_s)) continue;
    if (!capture.retrieve(frame) || frame.empty()) continue;
    ++stats.frames_analysed;
    for (const auto& event : analyzer.process(frame, t_s)) handle(event);
  }
  for (auto& [key, record] : open) on_episode(record);
  stats.video_s = static_cast<double>(stats.frames_decoded) / fps;
  stats.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return stats;
}

}  // namespace gridwatch::edge
