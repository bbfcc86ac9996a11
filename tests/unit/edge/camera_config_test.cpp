#include <catch2/catch.hpp>

#include <opencv2/videoio.hpp>

#include <atomic>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "edge/camera_worker.hpp"
#include "edge/edge_config.hpp"
#include "tests/support/test_env.hpp"

using namespace gridwatch;
using namespace gridwatch::edge;

namespace {

const std::string kGateway = "gateway: {id: gw-1, lat: 30.6, lon: 104.0}\n";

}  // namespace

TEST_CASE("cameras: each entry is a camera file plus its source", "[edge][config][camera]") {
  const auto config = parse_edge_config(kGateway + R"(cameras:
  - id: cam1
    source: {url: "rtsp://10.0.0.5:554/stream", rtsp_transport: udp, stall_s: 5}
    zones:
      - {id: Z1, polygon: [[0.1, 0.5], [0.5, 0.5], [0.5, 0.9]], dwell_s: 120, schedule: ["mon-fri 07:00-20:00"]}
  - id: cam2
    source: {file: /tmp/clip.mp4, loop: true}
    zones: []
)", "edge.yaml");
  REQUIRE(config.cameras.size() == 2);
  const auto& cam1 = config.cameras[0];
  CHECK(cam1.vision.id == "cam1");
  CHECK(cam1.source.url == "rtsp://10.0.0.5:554/stream");
  CHECK(cam1.source.rtsp_transport == "udp");
  CHECK(cam1.source.stall_s == 5);
  CHECK(cam1.source.reconnect_min_ms == 1000);
  REQUIRE(cam1.vision.zones.size() == 1);
  CHECK(cam1.vision.zones[0].dwell_s == 120);
  CHECK(cam1.vision.zones[0].schedule.windows.size() == 1);
  CHECK(config.cameras[1].source.file == "/tmp/clip.mp4");
  CHECK(config.cameras[1].source.loop);
  CHECK(config.cameras[1].vision.zones.empty());
}

TEST_CASE("camera sources and ids are validated with file and line", "[edge][config][camera]") {
  try {
    parse_edge_config(kGateway + R"(cameras:
  - id: cam1
    source: {url: "rtsp://a/b", file: /tmp/x.mp4}
    zones: []
  - id: cam1
    zones: []
  - id: cam3
    source: {device: /dev/video0, rtsp_transport: quic, fps: 3}
)", "edge.yaml");
    FAIL("expected ConfigInvalid");
  } catch (const ConfigInvalid& invalid) {
    const auto text = invalid.errors().to_string();
    INFO(text);
    CHECK(text.find("edge.yaml:4:14: cameras[0].source.url: give exactly one of url, file or device") !=
          std::string::npos);
    CHECK(text.find("cameras[1].id: duplicate camera id \"cam1\"") != std::string::npos);
    CHECK(text.find("cameras[1].source: missing required key") != std::string::npos);
    CHECK(text.find("cameras[2].source.rtsp_transport: \"quic\" is not one of: tcp, udp") != std::string::npos);
    CHECK(text.find("cameras[2].source.fps: unknown key") != std::string::npos);
  }
}

TEST_CASE("a camera source is named without its password, and only credentials are masked", "[edge][camera]") {
  const auto named = [](std::string url) {
    CameraSource source;
    source.url = std::move(url);
    return describe_camera_source(source);
  };
  CHECK(named("rtsp://viewer:s3cret@10.0.0.5:554/stream") == "rtsp://viewer:***@10.0.0.5:554/stream");
  CHECK(named("rtsp://viewer@10.0.0.5/stream") == "rtsp://viewer@10.0.0.5/stream");
  CHECK(named("rtsp://10.0.0.5:554/stream") == "rtsp://10.0.0.5:554/stream");
  // An '@' after the host is part of the path, not credentials.
  CHECK(named("rtsp://10.0.0.5:554/live@main") == "rtsp://10.0.0.5:554/live@main");
  CameraSource device;
  device.device = "/dev/video0";
  CHECK(describe_camera_source(device) == "/dev/video0");
}

TEST_CASE("V4L2's frame wait is the shortest V4L2 stall_s, and an operator's own setting stays", "[edge][camera]") {
  // OpenCV reads the variable once per process, at its first V4L2 open;
  // this test only checks what the gateway leaves in the environment.
  constexpr const char* kWait = "OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT";
  const char* before = std::getenv(kWait);
  const std::optional<std::string> saved = before != nullptr ? std::optional<std::string>(before) : std::nullopt;
  unsetenv(kWait);
  const auto camera = [](std::string device, std::string url, double stall_s) {
    CameraConfig config;
    config.source.device = std::move(device);
    config.source.url = std::move(url);
    config.source.stall_s = stall_s;
    return config;
  };
  const auto wait = [&]() -> std::optional<std::string> {
    const char* value = std::getenv(kWait);
    return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
  };

  SECTION("no V4L2 camera: nothing is set") {
    limit_v4l2_frame_wait({camera("", "rtsp://10.0.0.5/stream", 2)});
    CHECK_FALSE(wait());
  }
  SECTION("two V4L2 cameras: the shorter stall wins, rounded up to whole seconds") {
    limit_v4l2_frame_wait({camera("/dev/video0", "", 9), camera("", "rtsp://10.0.0.5/stream", 1),
                           camera("/dev/video1", "", 4.2)});
    CHECK(wait() == std::optional<std::string>("5"));
  }
  SECTION("a stall under a second still waits one second (OpenCV takes whole seconds)") {
    limit_v4l2_frame_wait({camera("/dev/video0", "", 0.4)});
    CHECK(wait() == std::optional<std::string>("1"));
  }
  SECTION("the operator's value is kept") {
    setenv(kWait, "30", 1);
    limit_v4l2_frame_wait({camera("/dev/video0", "", 3)});
    CHECK(wait() == std::optional<std::string>("30"));
  }

  if (saved) {
    setenv(kWait, saved->c_str(), 1);
  } else {
    unsetenv(kWait);
  }
}

TEST_CASE("cameras that open at the same time do not crash the gateway", "[edge][camera]") {
  // A file OpenCV's FFmpeg backend refuses is tried with every backend,
  // libgphoto2's among them, which is not thread-safe: two cameras on a
  // missing file crashed the gateway in libltdl about one run in sixty.
  // Eight cameras opening together, many times over, all get a plain
  // "cannot open".
  test::TempDir dir;
  CameraSource missing;
  missing.file = dir.file("no-such-clip.avi");
  std::atomic<int> opened{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> cameras;
  for (int camera = 0; camera < 8; ++camera) {
    cameras.emplace_back([&] {
      for (int attempt = 0; attempt < 4; ++attempt) {
        cv::VideoCapture capture;
        (open_camera_source(capture, missing) ? opened : refused)++;
      }
    });
  }
  for (auto& camera : cameras) camera.join();
  CHECK(opened == 0);
  CHECK(refused == 32);
}
