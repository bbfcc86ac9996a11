#pragma once
// Writes rendered frames as MJPG AVI and/or H.264 MP4 (OpenCV's FFmpeg
// backend). Kept apart so only the command includes videoio.
#include <memory>
#include <string>
#include <vector>

namespace cv {
class Mat;
}

namespace gridwatch::sim {

enum class VideoFormat { avi, mp4, both };

class VideoOutput {
 public:
  /// Opens `<directory>/<name>.avi` and/or `.mp4`; throws std::runtime_error
  /// when a writer cannot be opened (missing codec, unwritable directory).
  VideoOutput(const std::string& directory, const std::string& name, VideoFormat format, int width, int height, int fps);
  ~VideoOutput();
  VideoOutput(const VideoOutput&) = delete;
  VideoOutput& operator=(const VideoOutput&) = delete;

  void write(const cv::Mat& frame);
  /// Flushes and closes the files.
  void close();
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  struct Writers;
  std::unique_ptr<Writers> writers_;
  std::vector<std::string> paths_;
};

}  // namespace gridwatch::sim
