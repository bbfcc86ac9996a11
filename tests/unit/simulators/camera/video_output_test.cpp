#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include "simulators/camera/renderer.hpp"
#include "simulators/camera/scenario.hpp"
#include "simulators/camera/video_output.hpp"

using namespace gridwatch::sim;

namespace {

std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<cv::Mat> write_clip(const Scenario& scenario, const std::filesystem::path& directory) {
  std::filesystem::create_directories(directory);
  VideoOutput video(directory.string(), scenario.name, VideoFormat::both, scenario.width, scenario.height, scenario.fps);
  CameraSimulator simulator(scenario);
  std::vector<cv::Mat> frames;
  cv::Mat frame;
  while (simulator.next(frame)) {
    video.write(frame);
    frames.push_back(frame.clone());
  }
  video.close();
  return frames;
}

}  // namespace

TEST_CASE("the AVI and MP4 files decode to the rendered frames and are reproducible", "[video]") {
  const Scenario scenario = parse_scenario_text(R"(
name: clip
purpose: video output test
duration_s: 2
width: 160
height: 96
traffic: {outgoing_per_min: 30}
vehicles: [{id: v1, lane: kerb, enter_s: 0, stop: {at_m: 20}}]
)",
                                                "clip.yaml");
  const auto root = std::filesystem::temp_directory_path() / ("unit_sim_camera_video_" + std::to_string(::getpid()));
  const auto frames = write_clip(scenario, root / "a");
  write_clip(scenario, root / "b");
  REQUIRE(frames.size() == 20);
  for (const char* extension : {".avi", ".mp4"}) {
    INFO(extension);
    const auto first = root / "a" / (std::string("clip") + extension);
    CHECK(file_bytes(first) == file_bytes(root / "b" / (std::string("clip") + extension)));
    cv::VideoCapture capture(first.string(), cv::CAP_FFMPEG);
    REQUIRE(capture.isOpened());
    int decoded = 0;
    cv::Mat frame;
    double worst = 0;
    double worst_contrast = 1.0;
    while (capture.read(frame)) {
      REQUIRE(decoded < 20);
      const cv::Mat& rendered = frames[static_cast<std::size_t>(decoded)];
      // Lossy (and these frames are tiny and noisy), but close to what was rendered...
      worst = std::max(worst, cv::norm(frame, rendered, cv::NORM_L1) / static_cast<double>(frame.total() * 3));
      // ...and with the same contrast: a limited/full range mix-up stretches it by 16 %.
      cv::Scalar mean_decoded, spread_decoded, mean_rendered, spread_rendered;
      cv::meanStdDev(frame, mean_decoded, spread_decoded);
      cv::meanStdDev(rendered, mean_rendered, spread_rendered);
      const double contrast = spread_decoded[1] / spread_rendered[1];
      if (std::abs(contrast - 1.0) > std::abs(worst_contrast - 1.0)) worst_contrast = contrast;
      ++decoded;
    }
    CHECK(decoded == 20);
    CHECK(worst < 8.0);
    CHECK(worst_contrast == Approx(1.0).margin(0.06));
  }
  std::filesystem::remove_all(root);
}
