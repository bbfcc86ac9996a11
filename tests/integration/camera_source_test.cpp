// Issue 5, the camera sources of the real gateway against a real Mosquitto:
// - RTSP: gridwatch-sim serves a live scene over RTSP (TCP); the gateway
//   reads it, the simulator is killed (the stream is lost, the camera goes
//   offline: a camera_fault start reaches the broker), then started again
//   on the same port (the gateway reconnects with backoff: the episode
//   ends); then it is stopped with SIGSTOP (connection open, no frames: the
//   stall timer takes the camera offline) and continued (online again).
// - V4L2: no video device can exist in the CI container (no kernel
//   modules, so no v4l2loopback), so what is tested is everything short of
//   the device: a missing device and a path that is not a device each give
//   a camera_fault naming the path and the reason, the camera keeps
//   retrying, and the gateway keeps running (docs/evaluation.md, "Camera
//   sources").
#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/mqtt_recorder.hpp"
#include "tests/support/test_env.hpp"

using namespace gridwatch;
using namespace std::chrono_literals;

namespace {

constexpr const char* kGateway = "gw-cam-src";

/// A gateway config with only cameras (no sensors); heartbeats every 2 s.
std::string gateway_yaml(const test::MosquittoBroker& broker, const test::TempDir& dir, const std::string& cameras) {
  std::filesystem::create_directories(dir.file("state"));
  return std::string("gateway: {id: ") + kGateway + ", lat: 30.6598, lon: 104.0633}\n" +
         "state_dir: " + dir.file("state") + "\nlog_level: debug\nheartbeat_s: 2\n" +
         "mqtt: {broker: \"" + broker.uri() + "\", reconnect_min_ms: 100, reconnect_max_ms: 1000}\n" +
         "cameras:\n" + cameras;
}

/// The camera_fault alerts the broker carried, in order.
std::vector<nlohmann::json> camera_faults(const test::MqttRecorder& recorder, const std::string& camera) {
  std::vector<nlohmann::json> out;
  for (const auto& message : recorder.messages()) {
    auto alert = nlohmann::json::parse(message.payload, nullptr, false);
    if (alert.is_discarded() || alert.value("kind", "") != "camera_fault") continue;
    if (alert["location"].value("camera", "") != camera) continue;
    out.push_back(std::move(alert));
  }
  return out;
}

std::size_t count_lines_with(const std::string& log, const std::string& text) {
  std::size_t count = 0;
  for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + text.size())) ++count;
  return count;
}

std::unique_ptr<test::ChildProcess> stream_scene(const test::TempDir& dir, int port, const std::string& log_name) {
  auto simulator = std::make_unique<test::ChildProcess>(
      std::vector<std::string>{test::binary_path("gridwatch-sim"), "camera", "--scenario", dir.file("scene.yaml"),
                               "--out", dir.file("sim-out"), "--rtsp-port", std::to_string(port)},
      dir.file(log_name));
  return simulator;
}

}  // namespace

TEST_CASE("an RTSP camera whose server dies goes offline and comes back online when it returns",
          "[integration][camera][rtsp]") {
  test::MosquittoBroker broker;
  test::MqttRecorder recorder(broker.port(), "gridwatch/v1/+/alert");
  test::TempDir dir;
  // Long enough never to end during the test; small and slow to be cheap.
  test::write_file(dir.file("scene.yaml"),
                   "name: it_rtsp\npurpose: integration\nseed: 99\nduration_s: 600\nfps: 5\nwidth: 320\nheight: 180\n"
                   "camera_id: cam_rtsp\ntraffic: {outgoing_per_min: 4, oncoming_per_min: 4}\n");
  const int port = test::free_tcp_port();
  auto simulator = stream_scene(dir, port, "sim-1.log");
  REQUIRE(test::wait_until([&] { return simulator->log().find("streaming it_rtsp at") != std::string::npos; }, 20s));

  const auto config = dir.file("edge.yaml");
  test::write_file(config, gateway_yaml(broker, dir,
                                        "  - id: cam_rtsp\n    zones: []\n    analysis: {fps: 2}\n"
                                        "    smoke: {enabled: false}\n"
                                        "    source: {url: \"rtsp://viewer:s3cret@127.0.0.1:" + std::to_string(port) +
                                            "/cam\", rtsp_transport: tcp, stall_s: 2, reconnect_min_ms: 300, "
                                            "reconnect_max_ms: 1500}\n"));
  test::ChildProcess edge({test::binary_path("gridwatch-edge"), "--config", config}, dir.file("edge.log"));
  // Catch's INFO is captured when written; this shows the logs as they are
  // when a wait fails.
  const auto require_within = [&](const std::function<bool()>& condition, std::chrono::seconds timeout,
                                  const char* what) {
    const bool happened = test::wait_until(condition, timeout);
    INFO(what << "\nedge log:\n" << edge.log() << "\nsimulator log:\n" << simulator->log());
    REQUIRE(happened);
  };
  require_within([&] { return edge.log().find("camera cam_rtsp: source online") != std::string::npos; }, 30s,
                 "the camera comes online");
  CHECK(camera_faults(recorder, "cam_rtsp").empty());

  // The server dies: the stream stops, the camera goes offline.
  simulator->signal(SIGKILL);
  REQUIRE(simulator->wait_exit(5s).has_value());
  const auto killed = std::chrono::steady_clock::now();
  require_within([&] { return camera_faults(recorder, "cam_rtsp").size() == 1; }, 15s, "the camera goes offline");
  const double offline_after_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  const auto start = camera_faults(recorder, "cam_rtsp").front();
  CHECK(start["phase"] == "start");
  CHECK(start["gateway_id"] == kGateway);
  CHECK(start.value("summary", "").find("Camera cam_rtsp offline: ") == 0);
  // stall_s is 2 s: the loss is seen within it, plus the time to publish.
  CHECK(offline_after_s < 5.0);

  // While it is down, the gateway keeps trying (the server refuses).
  require_within([&] { return count_lines_with(edge.log(), "camera cam_rtsp: cannot open rtsp://viewer:***@127.0.0.1:") >= 2; },
                 10s, "the gateway retries (the URL's password masked)");
  CHECK(edge.running());

  // The server returns on the same port: the camera reconnects.
  simulator = stream_scene(dir, port, "sim-2.log");
  require_within([&] { return camera_faults(recorder, "cam_rtsp").size() == 2; }, 20s, "the camera comes back online");
  const auto end = camera_faults(recorder, "cam_rtsp").back();
  CHECK(end["phase"] == "end");
  CHECK(end["episode_id"] == start["episode_id"]);
  CHECK(count_lines_with(edge.log(), "camera cam_rtsp: source online") == 2);

  // The server hangs with the connection open: no frame for stall_s (2 s)
  // is a stall, the camera goes offline; it comes back when the server does.
  simulator->signal(SIGSTOP);
  const auto stopped = std::chrono::steady_clock::now();
  require_within([&] { return camera_faults(recorder, "cam_rtsp").size() == 3; }, 15s, "a stall takes the camera offline");
  const double stall_seen_after_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped).count();
  CHECK(camera_faults(recorder, "cam_rtsp").back()["phase"] == "start");
  CHECK(stall_seen_after_s >= 1.5);
  CHECK(stall_seen_after_s < 8.0);
  simulator->signal(SIGCONT);
  require_within([&] { return camera_faults(recorder, "cam_rtsp").size() == 4; }, 20s, "the camera recovers from the stall");
  CHECK(camera_faults(recorder, "cam_rtsp").back()["phase"] == "end");
  CHECK(camera_faults(recorder, "cam_rtsp").back()["episode_id"] == camera_faults(recorder, "cam_rtsp")[2]["episode_id"]);
  CHECK(edge.log().find("s3cret") == std::string::npos);
  CHECK(edge.stop() == 0);
  simulator->stop();
}

TEST_CASE("a missing V4L2 device and a path that is no device give a clear camera fault while the gateway runs on",
          "[integration][camera][v4l2]") {
  test::MosquittoBroker broker;
  test::MqttRecorder recorder(broker.port(), "gridwatch/v1/+/alert");
  test::TempDir dir;
  const auto missing = dir.file("video7");  // never created
  const auto not_a_device = dir.file("video8");
  test::write_file(not_a_device, "a regular file\n");
  const auto config = dir.file("edge.yaml");
  test::write_file(config,
                   gateway_yaml(broker, dir,
                                "  - id: cam_gone\n    zones: []\n"
                                "    source: {device: " + missing + ", reconnect_min_ms: 200, reconnect_max_ms: 400}\n"
                                "  - id: cam_file\n    zones: []\n"
                                "    source: {device: " + not_a_device + ", reconnect_min_ms: 200, reconnect_max_ms: 400}\n"));
  test::ChildProcess edge({test::binary_path("gridwatch-edge"), "--config", config}, dir.file("edge.log"));
  const bool faulted = test::wait_until([&] { return camera_faults(recorder, "cam_gone").size() == 1; }, 15s);
  INFO("edge log:\n" << edge.log());
  REQUIRE(faulted);
  CHECK(camera_faults(recorder, "cam_gone").front()["phase"] == "start");
  CHECK(camera_faults(recorder, "cam_gone").front()["summary"] ==
        "Camera cam_gone offline: cannot open V4L2 device " + missing + ": No such file or directory");
  REQUIRE(test::wait_until([&] { return camera_faults(recorder, "cam_file").size() == 1; }, 15s));
  CHECK(camera_faults(recorder, "cam_file").front()["summary"] ==
        "Camera cam_file offline: cannot open V4L2 device " + not_a_device + ": not a character device");

  // Both keep retrying with backoff; one fault each, and the gateway lives on.
  REQUIRE(test::wait_until([&] { return count_lines_with(edge.log(), "camera cam_gone: cannot open V4L2 device") >= 4; },
                           10s));
  CHECK(count_lines_with(edge.log(), "camera cam_file: cannot open V4L2 device") >= 2);
  CHECK(edge.running());
  CHECK(camera_faults(recorder, "cam_gone").size() == 1);
  CHECK(camera_faults(recorder, "cam_file").size() == 1);
  CHECK(edge.stop() == 0);
}
