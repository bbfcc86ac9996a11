#pragma once
// Offline analysis of a video file through the live pipeline
// (vision::CameraAnalyzer), on video time and as fast as decoding allows.
// Used by `gridwatch-edge analyze` and `gridwatch-edge evaluate`.
#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "edge/vision/camera_settings.hpp"
#include "edge/vision/vision_event.hpp"

namespace gridwatch::edge {

/// One alert episode as `analyze` prints it.
struct EpisodeRecord {
  vision::EventType type = vision::EventType::parking;
  std::string camera;
  std::string zone;                 ///< empty for tamper
  std::string fault;                ///< tamper only: covered, defocus, moved or frozen
  double start_s = 0;               ///< when the live gateway would raise it
  std::optional<double> end_s;      ///< nullopt: still open when the video ended
  std::array<double, 4> box{0, 0, 1, 1};
  double confidence = 0;
};

/// `{"type":"parking","camera":"cam1","zone":"Z1","start_s":78.9,"end_s":169.4,"box":[...],"confidence":0.93}`;
/// a tamper line also has `"fault":"covered"` after the zone.
std::string to_json_line(const EpisodeRecord& record);

struct VideoAnalysisStats {
  std::uint64_t frames_decoded = 0;
  std::uint64_t frames_analysed = 0;
  double video_s = 0;
  double wall_s = 0;
  std::uint64_t vehicle_checks = 0;  ///< calls of the dnn confirmation (`dnn:` set)
  double vehicle_check_s = 0;        ///< their wall time
};

/// Loads a camera file (one entry of the gateway's `cameras:` list, whose
/// `source` is ignored); throws ConfigInvalid.
vision::CameraSettings load_camera_file(const std::string& path);

/// Loads a file holding only a camera's `dnn:` keys; throws ConfigInvalid.
vision::DnnSettings load_dnn_file(const std::string& path);

/// Runs the video through the pipeline; `on_episode` gets each episode
/// when it ends, then the open ones when the video ends. Throws
/// std::runtime_error when the video cannot be opened.
/// With `evidence_dir`, each start and update writes its evidence JPEG
/// there as `<camera>-<type>-<episode>-<time>.jpg`. Frames before
/// `first_s` (video time) are decoded but not analysed: the analysis
/// frames then fall at another phase of the file's frames, as they do for
/// a live camera that started at any moment (`evaluate --phase-s`).
VideoAnalysisStats analyze_video(const vision::CameraSettings& camera, const std::string& video_path,
                                 const std::function<void(const EpisodeRecord&)>& on_episode,
                                 const std::string& evidence_dir = "", double first_s = 0);

/// JPEG bytes of an evidence picture (quality 85).
std::string encode_jpeg(const cv::Mat& picture);

}  // namespace gridwatch::edge
