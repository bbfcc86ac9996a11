#pragma once
// A file of decoded frames and their video times, written by
// bench_parking_pipeline --dump-frames and replayed by
// bench_analysis_replay: the analysis' cost measured without a decoder in
// the process (callgrind cannot run OpenCV's videoio here: a library it
// pulls in uses an instruction valgrind 3.19 does not know).
//
// Layout: the line "GWFRAMES1\n", then per frame: rows, cols and OpenCV
// type as three int32, the video time as a double, then rows * cols *
// channels bytes. Native byte order: the file stays on the machine that
// wrote it.
#include <opencv2/core.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gridwatch::bench {

inline constexpr char kFrameFileMagic[] = "GWFRAMES1\n";

class FrameFileWriter {
 public:
  explicit FrameFileWriter(const std::string& path) : path_(path), out_(path, std::ios::binary | std::ios::trunc) {
    if (!out_) throw std::runtime_error(path + ": cannot create");
    out_.write(kFrameFileMagic, sizeof(kFrameFileMagic) - 1);
  }

  void write(const cv::Mat& frame, double t_s) {
    const cv::Mat whole = frame.isContinuous() ? frame : frame.clone();
    const std::int32_t header[3] = {whole.rows, whole.cols, whole.type()};
    out_.write(reinterpret_cast<const char*>(header), sizeof(header));
    out_.write(reinterpret_cast<const char*>(&t_s), sizeof(t_s));
    out_.write(reinterpret_cast<const char*>(whole.data), static_cast<std::streamsize>(whole.total() * whole.elemSize()));
    if (!out_) throw std::runtime_error(path_ + ": write failed (disk full?)");
  }

 private:
  std::string path_;
  std::ofstream out_;
};

/// Every frame of the file, or an error naming the file and the frame.
inline std::vector<std::pair<double, cv::Mat>> read_frame_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::string magic(sizeof(kFrameFileMagic) - 1, '\0');
  in.read(magic.data(), static_cast<std::streamsize>(magic.size()));
  if (!in || magic != kFrameFileMagic) {
    throw std::runtime_error(path + ": not a frame file (write one with bench_parking_pipeline --dump-frames)");
  }
  std::vector<std::pair<double, cv::Mat>> frames;
  while (true) {
    std::int32_t header[3] = {0, 0, 0};
    in.read(reinterpret_cast<char*>(header), sizeof(header));
    if (in.gcount() == 0 && in.eof()) break;
    const auto where = path + ": frame " + std::to_string(frames.size() + 1);
    double t_s = 0;
    in.read(reinterpret_cast<char*>(&t_s), sizeof(t_s));
    if (!in) throw std::runtime_error(where + ": header cut short");
    const auto [rows, cols, type] = header;
    if (rows <= 0 || cols <= 0 || rows > 8192 || cols > 8192) {
      throw std::runtime_error(where + ": size " + std::to_string(cols) + "x" + std::to_string(rows) +
                               " is outside 1..8192");
    }
    if (type != CV_8UC1 && type != CV_8UC3) throw std::runtime_error(where + ": not an 8-bit grey or BGR picture");
    if (!std::isfinite(t_s) || (!frames.empty() && t_s < frames.back().first)) {
      throw std::runtime_error(where + ": video time goes backwards or is not a number");
    }
    cv::Mat frame(rows, cols, type);
    in.read(reinterpret_cast<char*>(frame.data), static_cast<std::streamsize>(frame.total() * frame.elemSize()));
    if (!in) throw std::runtime_error(where + ": pixels cut short");
    frames.emplace_back(t_s, std::move(frame));
  }
  return frames;
}

}  // namespace gridwatch::bench
