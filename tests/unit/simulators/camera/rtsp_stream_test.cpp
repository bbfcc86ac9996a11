#include <catch2/catch.hpp>

#include <future>
#include <opencv2/videoio.hpp>
#include <thread>

#include "simulators/camera/renderer.hpp"
#include "simulators/camera/rtsp_stream.hpp"
#include "simulators/camera/scenario.hpp"

using namespace gridwatch::sim;

TEST_CASE("the live RTSP stream is readable with OpenCV's FFmpeg backend", "[rtsp]") {
  if (!rtsp_available()) {
    WARN("built without GStreamer's RTSP server; nothing to test");
    return;
  }
  const Scenario scenario = parse_scenario_text(R"(
name: live
purpose: RTSP test
duration_s: 3
width: 160
height: 96
)",
                                                "live.yaml");
  CameraSimulator simulator(scenario);
  std::promise<std::string> url;
  std::string stream_error;
  std::thread server([&] {
    try {
      stream_rtsp(simulator, RtspOptions{0, "/cam", 20.0}, [&](const std::string& ready) { url.set_value(ready); });
    } catch (const std::exception& error) {
      stream_error = error.what();
    }
  });
  auto ready = url.get_future();
  REQUIRE(ready.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  cv::VideoCapture capture(ready.get(), cv::CAP_FFMPEG);
  const bool opened = capture.isOpened();
  int frames = 0;
  cv::Mat frame;
  while (opened && frames < 10 && capture.read(frame)) {
    CHECK(frame.cols == 160);
    CHECK(frame.rows == 96);
    ++frames;
  }
  capture.release();
  server.join();
  CHECK(opened);
  CHECK(frames == 10);
  CHECK(stream_error.empty());
}
