#pragma once
// One camera on its own thread: opens the source (RTSP/HTTP URL through
// OpenCV's FFmpeg backend with the chosen RTSP transport, a file played
// at its frame rate, or a V4L2 device), decodes only the frames the
// analysis rate needs, runs them through vision::CameraAnalyzer (the same
// code path as `gridwatch-edge analyze`), encodes evidence JPEGs, and
// hands reports to `deliver`, which must be thread-safe: the gateway
// posts them to its io_context. A stalled or lost source is reported
// offline and reopened with exponential backoff.
#include <array>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/time.hpp"
#include "common/wire.hpp"
#include "edge/edge_config.hpp"

namespace cv {
class VideoCapture;
}

namespace gridwatch::edge {

/// Opens a camera source the way the gateway does (URL through FFmpeg with
/// the configured RTSP transport and timeouts, file, or V4L2 device).
/// False when it cannot be opened; never throws.
bool open_camera_source(cv::VideoCapture& capture, const CameraSource& source);

/// Makes OpenCV's V4L2 backend give up waiting for a frame after the
/// shortest `stall_s` of the V4L2 cameras (whole seconds, at least 1)
/// instead of its own 10 s. OpenCV reads this once per process, at its
/// first wait, so it must be called before any V4L2 camera starts; a
/// later call (or OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT set by the operator)
/// changes nothing.
void limit_v4l2_frame_wait(const std::vector<CameraConfig>& cameras);

/// The source as logs, alerts and the doctor name it: the URL with its
/// password masked, the file, or the device.
std::string describe_camera_source(const CameraSource& source);

/// Why open_camera_source() failed, naming the source, e.g. "cannot open
/// V4L2 device /dev/video0: No such file or directory". A device or file is looked at
/// again to find the operating system's reason; a URL's failure is a
/// refused or silent server, which OpenCV does not tell apart.
std::string camera_open_failure(const CameraSource& source);

/// A parking, tamper or smoke episode message, ready to become an Alert.
struct CameraAlert {
  AlertKind kind = AlertKind::parking;
  Phase phase = Phase::start;
  int episode = 0;  ///< per camera run, the same for start, updates and end
  std::string zone;
  std::optional<Box> box;
  double confidence = 0;
  std::string summary;
  std::optional<std::string> jpeg;  ///< evidence (start and update)
};

struct CameraReport {
  std::string camera_id;
  EpochMs at_ms = 0;
  std::optional<bool> online;  ///< set when the source came up or went down
  std::string detail;          ///< why it went down
  std::vector<CameraAlert> alerts;
};

class CameraWorker {
 public:
  CameraWorker(CameraConfig config, std::function<void(CameraReport)> deliver);
  ~CameraWorker();
  CameraWorker(const CameraWorker&) = delete;
  CameraWorker& operator=(const CameraWorker&) = delete;

  void start();
  void stop();

 private:
  void run();
  /// Sleeps until `deadline` or stop(); true when stopping.
  bool wait_until(std::chrono::steady_clock::time_point deadline);
  void report_online(bool online, const std::string& detail);

  CameraConfig config_;
  std::function<void(CameraReport)> deliver_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::optional<bool> online_;
};

}  // namespace gridwatch::edge
