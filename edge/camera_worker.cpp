#include "edge/camera_worker.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <opencv2/videoio.hpp>

#include "common/backoff.hpp"
#include "edge/vehicle_dnn.hpp"
#include "edge/video_analysis.hpp"
#include "edge/vision/camera_analyzer.hpp"

namespace gridwatch::edge {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kMinOpenTimeoutS = 10;  // see open_camera_source()

/// Held by every camera while it opens its capture, and while the
/// options OpenCV's backends read from the environment are set. The
/// backends read those options when they open, and opening is not
/// thread-safe: a file OpenCV's FFmpeg backend refuses is tried with every
/// backend, and two cameras probing libgphoto2 at once crashed the gateway
/// inside libltdl (seen in the fusion integration test, two cameras on a
/// missing file). Opens are rare (start-up, reconnects after backoff); a
/// camera may wait behind another's RTSP open timeout.
std::mutex& capture_open_mutex() {
  static std::mutex mutex;
  return mutex;
}

vision::WeekTime local_week_time() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  return {(local.tm_wday + 6) % 7, local.tm_hour * 60 + local.tm_min};
}


CameraAlert to_camera_alert(const vision::VisionEvent& event) {
  CameraAlert alert;
  switch (event.type) {
    case vision::EventType::parking: alert.kind = AlertKind::parking; break;
    case vision::EventType::tamper: alert.kind = AlertKind::tamper; break;
    case vision::EventType::smoke: alert.kind = AlertKind::smoke; break;
  }
  alert.phase = event.phase;
  alert.episode = event.episode;
  alert.zone = event.zone;
  if (event.type != vision::EventType::tamper) alert.box = event.box;
  alert.confidence = event.confidence;
  alert.summary = event.summary;
  if (!event.evidence.empty()) alert.jpeg = encode_jpeg(event.evidence);
  return alert;
}

}  // namespace

bool open_camera_source(cv::VideoCapture& capture, const CameraSource& source) {
  const int read_timeout_ms = static_cast<int>(source.stall_s * 1000);
  // Opening includes waiting for the stream's first key frame, which comes
  // up to a GOP (often 2-4 s on IP cameras) after PLAY: a short stall_s
  // must not make every open fail.
  const int open_timeout_ms = static_cast<int>(std::max(source.stall_s, kMinOpenTimeoutS) * 1000);
  std::lock_guard lock(capture_open_mutex());
  try {
    if (!source.url.empty()) {
      // fpsprobesize 0: FFmpeg would otherwise read 20 frames to estimate
      // the frame rate before the open returns (4 s of a 5 fps stream);
      // live time comes from the clock, not from the stream's rate.
      setenv("OPENCV_FFMPEG_CAPTURE_OPTIONS",
             fmt::format("rtsp_transport;{}|fpsprobesize;0", source.rtsp_transport).c_str(), 1);
      return capture.open(source.url, cv::CAP_FFMPEG,
                          {cv::CAP_PROP_OPEN_TIMEOUT_MSEC, open_timeout_ms, cv::CAP_PROP_READ_TIMEOUT_MSEC, read_timeout_ms});
    }
    if (!source.file.empty()) return capture.open(source.file, cv::CAP_FFMPEG) || capture.open(source.file, cv::CAP_ANY);
    return capture.open(source.device, cv::CAP_V4L2);
  } catch (const cv::Exception& error) {
    spdlog::warn("camera source {}: {}", describe_camera_source(source), error.what());
    return false;
  }
}

void limit_v4l2_frame_wait(const std::vector<CameraConfig>& cameras) {
  // OpenCV's V4L2 backend has no read timeout of its own: it waits in
  // select() for OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT seconds per frame (10
  // by default), and a camera that hangs with its device open (measured
  // with the kernel's vivid driver dropping every buffer) went offline
  // after 10 s whatever stall_s said.
  std::optional<double> shortest_s;
  for (const auto& camera : cameras) {
    const auto& source = camera.source;
    if (source.device.empty()) continue;
    shortest_s = std::min(shortest_s.value_or(source.stall_s), source.stall_s);
  }
  if (!shortest_s) return;
  const int wait_s = std::max(1, static_cast<int>(std::ceil(*shortest_s)));
  std::lock_guard lock(capture_open_mutex());
  setenv("OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT", std::to_string(wait_s).c_str(), 0);
}

std::string describe_camera_source(const CameraSource& source) {
  if (source.url.empty()) return source.file.empty() ? source.device : source.file;
  // rtsp://user:password@host/...: the password stays out of logs and alerts.
  // Only the authority (before the first '/') holds credentials: an '@'
  // in the path or query is no password.
  const auto scheme_end = source.url.find("://");
  if (scheme_end == std::string::npos) return source.url;
  const auto authority = scheme_end + 3;
  const auto at = source.url.find('@', authority);
  if (at == std::string::npos || at > source.url.find('/', authority)) return source.url;
  const auto colon = source.url.find(':', authority);
  if (colon == std::string::npos || colon > at) return source.url;
  return source.url.substr(0, colon + 1) + "***" + source.url.substr(at);
}

std::string camera_open_failure(const CameraSource& source) {
  if (!source.url.empty()) {
    const bool rtsp = source.url.rfind("rtsp://", 0) == 0;
    return fmt::format("cannot open {}{}: refused, not found or no answer within {:.1f} s", describe_camera_source(source),
                       rtsp ? fmt::format(" (RTSP over {})", source.rtsp_transport) : std::string(),
                       std::max(source.stall_s, kMinOpenTimeoutS));
  }
  const bool device = source.file.empty();
  const auto& path = device ? source.device : source.file;
  const char* what = device ? "V4L2 device" : "video file";
  // Opening it again gives the operating system's reason (missing, no
  // permission, busy); OpenCV only says that it failed.
  const int fd = ::open(path.c_str(), device ? O_RDWR | O_NONBLOCK : O_RDONLY);
  if (fd < 0) return fmt::format("cannot open {} {}: {}", what, path, std::strerror(errno));
  struct stat status {};
  const bool is_character_device = ::fstat(fd, &status) == 0 && S_ISCHR(status.st_mode);
  ::close(fd);
  if (device && !is_character_device) return fmt::format("cannot open {} {}: not a character device", what, path);
  return device ? fmt::format("cannot open {} {}: not a video capture device OpenCV can read", what, path)
                : fmt::format("cannot open {} {}: no video stream OpenCV can decode", what, path);
}

CameraWorker::CameraWorker(CameraConfig config, std::function<void(CameraReport)> deliver)
    : config_(std::move(config)), deliver_(std::move(deliver)) {}

CameraWorker::~CameraWorker() { stop(); }

void CameraWorker::start() {
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void CameraWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool CameraWorker::wait_until(Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return wake_.wait_until(lock, deadline, [this] { return stopping_; });
}

void CameraWorker::report_online(bool online, const std::string& detail) {
  if (online_ == online) return;
  online_ = online;
  CameraReport report;
  report.camera_id = config_.vision.id;
  report.at_ms = wall_clock_ms();
  report.online = online;
  report.detail = detail;
  deliver_(std::move(report));
}

void CameraWorker::run() {
  const auto& source = config_.source;
  vision::FrameVehicleCheck check;
  if (config_.vision.dnn) {
    try {
      check = make_vehicle_check(*config_.vision.dnn);
    } catch (const std::exception& error) {
      spdlog::error("camera {}: vehicle confirmation disabled: {}", config_.vision.id, error.what());
    }
  }
  vision::CameraAnalyzer analyzer(config_.vision, check);
  Backoff backoff(source.reconnect_min_ms, source.reconnect_max_ms, std::hash<std::string>{}(config_.vision.id));
  const auto started = Clock::now();
  double file_offset_s = 0;  // video time of earlier passes over a looping file
  cv::Mat frame;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    cv::VideoCapture capture;
    if (!open_camera_source(capture, source)) {
      const auto failure = camera_open_failure(source);
      report_online(false, failure);
      const auto delay_ms = backoff.next_delay_ms();
      spdlog::debug("camera {}: {}; next attempt in {} ms", config_.vision.id, failure, delay_ms);
      if (wait_until(Clock::now() + std::chrono::milliseconds(delay_ms))) return;
      continue;
    }
    const bool is_file = !source.file.empty();
    double fps = capture.get(cv::CAP_PROP_FPS);
    if (!(fps > 0 && fps < 1000)) fps = 25;
    const auto opened = Clock::now();
    auto last_frame = opened;
    std::uint64_t index = 0;
    bool ended = false;
    std::string lost;
    while (true) {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
      }
      if (!capture.grab()) {
        if (is_file) {
          ended = true;
        } else {
          lost = "no frame (stream lost or stalled)";
        }
        break;
      }
      const auto now = Clock::now();
      if (now - last_frame > std::chrono::duration<double>(source.stall_s)) {
        lost = fmt::format("stalled for {:.1f} s", std::chrono::duration<double>(now - last_frame).count());
        break;
      }
      last_frame = now;
      if (index == 0) {
        report_online(true, "");
        backoff.reset();
      }
      double t_s = 0;
      if (is_file) {
        // A file plays at its own rate, like a camera would deliver it.
        const double video_s = static_cast<double>(index) / fps;
        if (wait_until(opened + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(video_s)))) return;
        t_s = file_offset_s + video_s;
      } else {
        t_s = std::chrono::duration<double>(now - started).count();
      }
      ++index;
      if (!analyzer.wants(t_s)) continue;
      if (!capture.retrieve(frame) || frame.empty()) continue;
      std::vector<vision::VisionEvent> events;
      try {
        events = analyzer.process(frame, t_s, local_week_time());
      } catch (const cv::Exception& error) {
        spdlog::error("camera {}: analysis failed on a frame: {}", config_.vision.id, error.what());
        continue;
      }
      if (events.empty()) continue;
      CameraReport report;
      report.camera_id = config_.vision.id;
      report.at_ms = wall_clock_ms();
      for (const auto& event : events) report.alerts.push_back(to_camera_alert(event));
      deliver_(std::move(report));
    }
    if (ended) {
      file_offset_s += static_cast<double>(index) / fps;
      if (source.loop && index > 0) continue;
      report_online(false, "end of file");
      while (!wait_until(Clock::now() + std::chrono::hours(1))) {
      }
      return;
    }
    report_online(false, lost);
    spdlog::warn("camera {}: {}; reconnecting", config_.vision.id, lost);
    if (wait_until(Clock::now() + std::chrono::milliseconds(backoff.next_delay_ms()))) return;
  }
}

}  // namespace gridwatch::edge
