// Issue 5, the camera sources of the real gateway against a real Mosquitto:
// - RTSP: gridwatch-sim serves a live scene over RTSP (TCP); the gateway
//   reads it, the simulator is killed (the stream is lost, the camera goes
//   offline: a camera_fault start reaches the broker), then started again
//   on the same port (the gateway reconnects with backoff: the episode
//   ends); then it is stopped with SIGSTOP (connection open, no frames: the
//   stall timer takes the camera offline) and continued (online again).
// - V4L2, a real device: this machine's kernel has no video drivers, so
//   the gateway runs in a VM booted from Debian's own kernel with its vivid
//   test driver (tests/integration/vm/run-in-vm): it comes online, a black
//   picture is a covered lens (the OSD burned into it masked), a hung
//   device goes offline after stall_s, and one pulled out while streaming
//   goes offline and comes back.
// - V4L2 without a device: a missing device and a path that is not a
//   device each give a camera_fault naming the path and the reason, the
//   camera keeps retrying, and the gateway keeps running
//   (docs/evaluation.md, "Camera sources").
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/utsname.h>

#include <filesystem>
#include <functional>
#include <string>
#include <thread>
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
std::string gateway_yaml(const std::string& broker_uri, const std::string& state_dir, const std::string& cameras) {
  return std::string("gateway: {id: ") + kGateway + ", lat: 30.6598, lon: 104.0633}\n" +
         "state_dir: " + state_dir + "\nlog_level: debug\nheartbeat_s: 2\n" +
         "mqtt: {broker: \"" + broker_uri + "\", reconnect_min_ms: 100, reconnect_max_ms: 1000}\n" +
         "cameras:\n" + cameras;
}

std::string gateway_yaml(const test::MosquittoBroker& broker, const test::TempDir& dir, const std::string& cameras) {
  std::filesystem::create_directories(dir.file("state"));
  return gateway_yaml(broker.uri(), dir.file("state"), cameras);
}

/// The alerts of `kind` about `camera` the broker carried, in order.
std::vector<nlohmann::json> camera_alerts(const test::MqttRecorder& recorder, const std::string& kind,
                                          const std::string& camera) {
  std::vector<nlohmann::json> out;
  for (const auto& message : recorder.messages()) {
    auto alert = nlohmann::json::parse(message.payload, nullptr, false);
    if (alert.is_discarded() || alert.value("kind", "") != kind) continue;
    if (alert["location"].value("camera", "") != camera) continue;
    out.push_back(std::move(alert));
  }
  return out;
}

std::vector<nlohmann::json> camera_faults(const test::MqttRecorder& recorder, const std::string& camera) {
  return camera_alerts(recorder, "camera_fault", camera);
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

namespace {

/// The guest's side of the V4L2 test: the gateway runs against vivid's
/// /dev/video0 with its log in the exchange folder, and each file the host
/// creates there (cover, uncover, unplug, stop) is one step, acknowledged by
/// a file named after it with ".done".
std::string guest_script(const test::TempDir& dir) {
  return "set -u\n"
         "x=" + dir.path() + "\n"
         "step() { while [ ! -e \"$x/$1\" ]; do sleep 0.2; done; }\n"
         "v4l2-ctl -d /dev/video0 --info | head -n 3\n"
         // A live view: the colour bars drift right (a still pattern is a
         // frozen image). vivid burns its OSD text into the top left, as
         // cameras do; the camera file masks it.
         "v4l2-ctl -d /dev/video0 -c horizontal_movement=4\n"
         "mkdir -p /run/gridwatch-state\n" +
         // What an installer runs at the pole before starting the service.
         test::binary_path("gridwatch-edge") + " --config \"$x/edge.yaml\" doctor --camera-seconds 2 " +
         "--snapshot \"$x\" >\"$x/doctor.txt\" 2>&1\n" +
         test::binary_path("gridwatch-edge") + " --config \"$x/edge.yaml\" >\"$x/edge.log\" 2>&1 &\n"
         "gateway=$!\n"
         "step cover; v4l2-ctl -d /dev/video0 -c test_pattern=5 && touch \"$x/cover.done\"\n"      // 100% black
         "step uncover; v4l2-ctl -d /dev/video0 -c test_pattern=0 && touch \"$x/uncover.done\"\n"  // 75% colour bars
         // Every buffer dropped: the device is open and streaming, but no
         // frame comes (a camera that hangs).
         "step stall; v4l2-ctl -d /dev/video0 -c percentage_of_dropped_buffers=100 && touch \"$x/stall.done\"\n"
         "step resume; v4l2-ctl -d /dev/video0 -c percentage_of_dropped_buffers=0 && touch \"$x/resume.done\"\n"
         // vivid's disconnect emulates a USB camera pulled out: the node
         // stays but every call on an open handle fails, until all are closed.
         "step unplug; v4l2-ctl -d /dev/video0 -c disconnect=1 && touch \"$x/unplug.done\"\n"
         "step stop; kill -TERM $gateway; wait $gateway; status=$?\n"
         "echo \"gateway exited $status\"\n"
         "exit $status\n";
}

}  // namespace

TEST_CASE("a real V4L2 device (the kernel's vivid driver, in a VM): frames analysed, a covered lens, a camera pulled out",
          "[integration][camera][v4l2][vm]") {
  // This machine's kernel has no video drivers and cannot load any, so the
  // gateway runs in a VM booted from Debian's own kernel, whose vivid test
  // driver is a real V4L2 capture device: the same ioctls, formats and
  // memory-mapped buffers a USB camera has (tests/integration/vm/run-in-vm).
  utsname host{};
  ::uname(&host);
  if (std::string(host.machine) != "x86_64") {
    WARN("SKIPPED: the test VM is an x86_64 guest; this host is " << host.machine);
    return;
  }
  test::MosquittoBroker broker;
  test::MqttRecorder recorder(broker.port(), "gridwatch/v1/+/alert");
  test::TempDir dir;
  // The guest reaches the host's loopback as 10.0.2.2 (QEMU user networking)
  // and writes its state into its own tmpfs.
  test::write_file(dir.file("edge.yaml"),
                   gateway_yaml("tcp://10.0.2.2:" + std::to_string(broker.port()), "/run/gridwatch-state",
                                "  - id: cam_v4l2\n    zones: []\n    analysis: {fps: 2}\n    smoke: {enabled: false}\n"
                                "    tamper: {hold_s: 2}\n"
                                "    masks: [[[0, 0], [0.72, 0], [0.72, 0.32], [0, 0.32]]]\n"
                                "    source: {device: /dev/video0, stall_s: 3, reconnect_min_ms: 300, "
                                "reconnect_max_ms: 1500}\n"));
  test::write_file(dir.file("guest.sh"), guest_script(dir));
  test::ChildProcess vm({std::string(GRIDWATCH_SOURCE_DIR) + "/tests/integration/vm/run-in-vm",
                         std::string(GRIDWATCH_BINARY_DIR) + "/vm-cache", dir.path(), dir.file("guest.sh")},
                        dir.file("vm.log"));
  const auto edge_log = [&] { return std::filesystem::exists(dir.file("edge.log")) ? test::read_file(dir.file("edge.log")) : ""; };
  const auto require_within = [&](const std::function<bool()>& condition, std::chrono::seconds timeout, const char* what) {
    const bool happened = test::wait_until(condition, timeout);
    INFO(what << "\nedge log:\n" << edge_log() << "\nVM console:\n" << vm.log());
    REQUIRE(happened);
  };
  const auto step = [&](const std::string& name) {
    test::write_file(dir.file(name), "");
    require_within([&] { return std::filesystem::exists(dir.file(name + ".done")); }, 60s, name.c_str());
  };

  // Booting the VM takes 10-20 s without KVM (the first run also fetches
  // and unpacks the kernel package).
  require_within([&] { return edge_log().find("camera cam_v4l2: source online") != std::string::npos; }, 300s,
                 "the V4L2 camera comes online");
  // The doctor opened the device and measured it (OpenCV's V4L2 default,
  // 640x480, at vivid's 30 fps less what the emulated CPU keeps up with),
  // and saved the view with the mask drawn.
  const auto doctor = test::read_file(dir.file("doctor.txt"));
  INFO("doctor:\n" << doctor);
  CHECK(doctor.find("OK    camera cam_v4l2: 640x480 at ") != std::string::npos);
  CHECK(std::filesystem::file_size(dir.file("cam_v4l2.jpg")) > 0);
  // Frames are analysed: the tamper detector learns the picture, and a
  // covered lens is seen within its hold time.
  std::this_thread::sleep_for(8s);
  CHECK(camera_faults(recorder, "cam_v4l2").empty());
  CHECK(camera_alerts(recorder, "tamper", "cam_v4l2").empty());

  step("cover");
  require_within([&] { return camera_alerts(recorder, "tamper", "cam_v4l2").size() == 1; }, 60s, "a black picture is a covered lens");
  const auto covered = camera_alerts(recorder, "tamper", "cam_v4l2").front();
  CHECK(covered["phase"] == "start");
  CHECK(covered.value("summary", "").find("covered") != std::string::npos);
  step("uncover");
  require_within([&] { return camera_alerts(recorder, "tamper", "cam_v4l2").size() == 2; }, 60s, "the picture is back: tamper ends");
  CHECK(camera_alerts(recorder, "tamper", "cam_v4l2").back()["phase"] == "end");
  CHECK(camera_alerts(recorder, "tamper", "cam_v4l2").back()["episode_id"] == covered["episode_id"]);

  // It hangs: no frame for stall_s (3 s) takes it offline; when frames
  // come again it is back online. OpenCV's own wait for a V4L2 frame is
  // 10 s: without the gateway shortening it this took 10 s.
  step("stall");
  const auto stalled = std::chrono::steady_clock::now();
  require_within([&] { return camera_faults(recorder, "cam_v4l2").size() == 1; }, 60s, "a hung camera goes offline");
  const double stall_seen_after_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - stalled).count();
  CHECK(camera_faults(recorder, "cam_v4l2").front()["phase"] == "start");
  CHECK(stall_seen_after_s >= 2.0);
  CHECK(stall_seen_after_s < 7.0);
  step("resume");
  require_within([&] { return camera_faults(recorder, "cam_v4l2").size() == 2; }, 60s, "frames again: back online");
  CHECK(camera_faults(recorder, "cam_v4l2").back()["phase"] == "end");

  // Pulled out while streaming: reads fail, the camera goes offline; once
  // the gateway closes its handle the device is back and it reconnects.
  step("unplug");
  require_within([&] { return camera_faults(recorder, "cam_v4l2").size() == 3; }, 60s, "the unplugged camera goes offline");
  const auto offline = camera_faults(recorder, "cam_v4l2")[2];
  CHECK(offline["phase"] == "start");
  CHECK(offline.value("summary", "").find("Camera cam_v4l2 offline: ") == 0);
  require_within([&] { return camera_faults(recorder, "cam_v4l2").size() == 4; }, 90s, "the camera comes back online");
  CHECK(camera_faults(recorder, "cam_v4l2").back()["phase"] == "end");
  CHECK(camera_faults(recorder, "cam_v4l2").back()["episode_id"] == offline["episode_id"]);

  test::write_file(dir.file("stop"), "");
  const auto status = vm.wait_exit(60s);
  INFO("edge log:\n" << edge_log() << "\nVM console:\n" << vm.log());
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  CHECK(vm.log().find("gateway exited 0") != std::string::npos);
}
