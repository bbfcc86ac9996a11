#include "simulators/camera/video_output.hpp"

#include <cstdint>
#include <fstream>
#include <iterator>
#include <opencv2/videoio.hpp>
#include <stdexcept>
#include <string_view>

namespace gridwatch::sim {
namespace {

// GStreamer's libjpeg-turbo and x264 "superfast" encode the library about
// 2.5x and 5x faster than OpenCV's FFmpeg writers at their fixed settings
// (measured: 7 vs 18 ms and 24 vs 114 ms CPU per 720p frame), so they are
// tried first. The files are the same kinds: Motion-JPEG in AVI, H.264 in
// MP4 (fourcc avc1 when read back).
std::string gstreamer_pipeline(const std::string& path, bool mp4, int fps) {
  const std::string encode = mp4 ? "x264enc speed-preset=superfast pass=qual quantizer=23 threads=1 key-int-max=" + std::to_string(2 * fps) +
                                       " ! video/x-h264,profile=high ! mp4mux"
                                 : "jpegenc quality=80 ! avimux";
  // JPEG is full-range YCbCr (colorimetry 1:4:0:0 = full range, BT.601);
  // videoconvert's default limited-range I420 would come out of every
  // decoder with stretched contrast.
  const std::string convert = mp4 ? "videoconvert ! video/x-raw,format=I420"
                                  : "videoconvert ! video/x-raw,format=I420,colorimetry=(string)1:4:0:0";
  return "appsrc ! " + convert + " ! " + encode + " ! filesink location=\"" + path + "\"";
}

bool safe_in_pipeline(const std::string& path) { return path.find_first_of("\"!\\") == std::string::npos; }

std::uint64_t read_be(const std::string& data, std::size_t at, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | static_cast<std::uint8_t>(data[at + static_cast<std::size_t>(i)]);
  return value;
}

// Zeroes the creation and modification times in the movie, track and media
// headers of the MP4 boxes in [begin, end), descending into containers.
void clear_mp4_times(std::string& data, std::size_t begin, std::size_t end) {
  for (std::size_t at = begin; at + 8 <= end;) {
    std::uint64_t size = read_be(data, at, 4);
    std::size_t header = 8;
    if (size == 1 && at + 16 <= end) {
      size = read_be(data, at + 8, 8);
      header = 16;
    } else if (size == 0) {
      size = end - at;
    }
    if (size < header || size > end - at) return;  // not a box we understand: leave the rest alone
    // Fits in size_t now (at most end - at), also where size_t is 32 bits (armhf).
    const auto box_size = static_cast<std::size_t>(size);
    const std::string_view type(data.data() + at + 4, 4);
    const std::size_t body = at + header;
    if (type == "moov" || type == "trak" || type == "mdia") {
      clear_mp4_times(data, body, at + box_size);
    } else if ((type == "mvhd" || type == "tkhd" || type == "mdhd") && body + 4 <= at + box_size) {
      const int width = data[body] == 1 ? 8 : 4;  // version 1 uses 64-bit times
      const std::size_t times = body + 4;
      if (times + 2 * static_cast<std::size_t>(width) <= at + box_size) {
        for (std::size_t i = 0; i < 2 * static_cast<std::size_t>(width); ++i) data[times + i] = 0;
      }
    }
    at += box_size;
  }
}

// The muxer stamps the wall-clock time into the MP4 headers; without it the
// same seed gives the same file byte for byte, as it does for the AVI.
void make_mp4_reproducible(const std::string& path) {
  std::string data;
  {
    std::ifstream in(path, std::ios::binary);
    data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::string before = data;
  clear_mp4_times(data, 0, data.size());
  if (data == before) return;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

}  // namespace

struct VideoOutput::Writers {
  std::vector<cv::VideoWriter> writers;
};

VideoOutput::VideoOutput(const std::string& directory, const std::string& name, VideoFormat format, int width, int height,
                         int fps)
    : writers_(std::make_unique<Writers>()) {
  struct Wanted {
    const char* extension;
    bool mp4;
    int fourcc;
  };
  std::vector<Wanted> wanted;
  if (format != VideoFormat::mp4) wanted.push_back({".avi", false, cv::VideoWriter::fourcc('M', 'J', 'P', 'G')});
  if (format != VideoFormat::avi) wanted.push_back({".mp4", true, cv::VideoWriter::fourcc('a', 'v', 'c', '1')});
  const cv::Size size(width, height);
  for (const auto& item : wanted) {
    const std::string path = directory + "/" + name + item.extension;
    cv::VideoWriter writer;
    try {
      if (safe_in_pipeline(path)) writer.open(gstreamer_pipeline(path, item.mp4, fps), cv::CAP_GSTREAMER, 0, fps, size, true);
      if (!writer.isOpened()) writer.open(path, cv::CAP_FFMPEG, item.fourcc, fps, size, true);
    } catch (const cv::Exception& error) {
      throw std::runtime_error("cannot open video writer for " + path + ": " + error.what());
    }
    if (!writer.isOpened()) {
      throw std::runtime_error("cannot open video writer for " + path +
                               " (is the directory writable, and GStreamer or FFmpeg able to encode it?)");
    }
    writers_->writers.push_back(std::move(writer));
    paths_.push_back(path);
  }
}

VideoOutput::~VideoOutput() = default;

void VideoOutput::write(const cv::Mat& frame) {
  for (auto& writer : writers_->writers) writer.write(frame);
}

void VideoOutput::close() {
  for (auto& writer : writers_->writers) writer.release();
  writers_->writers.clear();
  for (const auto& path : paths_) {
    if (path.size() > 4 && path.compare(path.size() - 4, 4, ".mp4") == 0) make_mp4_reproducible(path);
  }
}

}  // namespace gridwatch::sim
