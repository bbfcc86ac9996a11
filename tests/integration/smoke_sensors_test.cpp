// Issue 6, smoke sensors end to end: the real gridwatch-edge reads a
// sensor over Modbus TCP (gridwatch-sim), Modbus RTU (a libmodbus server on
// a pseudo-terminal) and MQTT JSON (gridwatch-sim publishing), and its
// alarms and faults arrive as alerts at a real Mosquitto. The fusion test
// drives the real Gateway in process: a camera smoke report and a sensor
// alarm of the same view become one fire alert.
#include <catch2/catch.hpp>
#include <modbus.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/topics.hpp"
#include "edge/edge_config.hpp"
#include "edge/gateway.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/mqtt_recorder.hpp"
#include "tests/support/test_env.hpp"

using namespace gridwatch;
using namespace std::chrono_literals;

namespace {

std::string edge_yaml(const test::TempDir& dir, const test::MosquittoBroker& broker, const std::string& sensors) {
  return "gateway: {id: gw-smoke, lat: 30.66, lon: 104.06}\n"
         "state_dir: " + dir.path() + "\n"
         "log_level: debug\n"
         "mqtt: {broker: \"" + broker.uri() + "\", reconnect_min_ms: 100, reconnect_max_ms: 1000}\n"
         // No central here (a recorder stands in for it), so no receipts:
         // alerts would be resent every receipt_timeout_s and counted twice.
         "uplink: {receipts: false}\n" +
         sensors;
}

std::unique_ptr<test::ChildProcess> start_edge(const test::TempDir& dir, const std::string& yaml) {
  test::write_file(dir.file("edge.yaml"), yaml);
  return std::make_unique<test::ChildProcess>(
      std::vector<std::string>{test::binary_path("gridwatch-edge"), "--config", dir.file("edge.yaml")},
      dir.file("edge.log"));
}

/// A private broker, a temp dir, and a recorder of the gateway's alerts.
struct Rig {
  test::MosquittoBroker broker;
  test::TempDir dir;
  test::MqttRecorder recorder{broker.port(), make_topic("gw-smoke", Channel::alert)};
};

/// Alerts the recorder saw, decoded, in arrival order.
std::vector<nlohmann::json> alerts(const test::MqttRecorder& recorder) {
  std::vector<nlohmann::json> out;
  for (const auto& message : recorder.messages()) {
    auto body = nlohmann::json::parse(message.payload, nullptr, false);
    if (!body.is_discarded() && body.value("type", "") == "alert") out.push_back(std::move(body));
  }
  return out;
}

std::size_t count_alerts(const test::MqttRecorder& recorder, const std::string& kind, const std::string& phase,
                         const std::string& summary_part = "") {
  std::size_t n = 0;
  for (const auto& alert : alerts(recorder)) {
    if (alert["kind"] == kind && alert["phase"] == phase &&
        alert.value("summary", "").find(summary_part) != std::string::npos) {
      ++n;
    }
  }
  return n;
}

std::string describe(const test::MqttRecorder& recorder) {
  std::string out;
  for (const auto& alert : alerts(recorder)) {
    out += alert["kind"].get<std::string>() + " " + alert["phase"].get<std::string>() + ": " +
           alert.value("summary", "") + "\n";
  }
  return out;
}

/// A Modbus RTU device on the far side of a pseudo-terminal: a real
/// libmodbus server answering as unit 1 with holding registers 0-3.
class RtuDevice {
 public:
  RtuDevice() {
    if (openpty(&master_, &slave_, nullptr, nullptr, nullptr) != 0) throw std::runtime_error("openpty failed");
    path_ = ttyname(slave_);
    // Raw line, no echo: the gateway's libmodbus sets the same when it
    // opens the device; keeping our slave end open keeps the pty alive
    // across the gateway's reconnects.
    termios line{};
    tcgetattr(slave_, &line);
    cfmakeraw(&line);
    tcsetattr(slave_, TCSANOW, &line);
    // The device side is a real libmodbus RTU server talking through the
    // master end (no modbus_connect: there is no device path to open).
    context_ = modbus_new_rtu(path_.c_str(), 19200, 'N', 8, 1);
    if (context_ == nullptr) throw std::runtime_error("modbus_new_rtu failed");
    modbus_set_socket(context_, master_);
    modbus_set_slave(context_, 1);
    mapping_ = modbus_mapping_new(0, 0, 4, 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~RtuDevice() {
    stopping_ = true;
    thread_.join();
    modbus_mapping_free(mapping_);
    modbus_free(context_);
    close(master_);
    close(slave_);
  }
  const std::string& path() const { return path_; }
  void set_register(std::size_t address, std::uint16_t value) { registers_[address] = value; }
  /// A device that stops answering (power cut on the bus).
  void go_silent(bool silent) { silent_ = silent; }

 private:
  void serve() {
    std::uint8_t query[MODBUS_RTU_MAX_ADU_LENGTH];
    modbus_set_indication_timeout(context_, 0, 200'000);
    while (!stopping_) {
      const int length = modbus_receive(context_, query);
      if (length <= 0 || silent_) continue;
      for (std::size_t i = 0; i < registers_.size(); ++i) mapping_->tab_registers[i] = registers_[i];
      modbus_reply(context_, query, length, mapping_);
    }
  }

  int master_ = -1;
  int slave_ = -1;
  std::string path_;
  modbus_t* context_ = nullptr;
  modbus_mapping_t* mapping_ = nullptr;
  std::array<std::atomic<std::uint16_t>, 4> registers_{};
  std::atomic<bool> silent_{false};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("Modbus TCP: a fire alarms, an out-of-range reading is a fault that does not cancel it",
          "[integration][sensor][modbus]") {
  Rig rig;
  auto& [broker, dir, recorder] = rig;
  const int sensor_port = test::free_tcp_port();
  test::write_file(dir.file("fire.yaml"),
                   "name: it_fire\npurpose: integration\nduration_s: 120\n"
                   "events:\n  - {kind: flaming, at_s: 2}\n  - {kind: out_of_range, at_s: 14, for_s: 6}\n");
  test::ChildProcess sensor({test::binary_path("gridwatch-sim"), "sensor", "--scenario", dir.file("fire.yaml"),
                             "--modbus-port", std::to_string(sensor_port), "--speed", "2"},
                            dir.file("sensor.log"));
  REQUIRE(test::wait_until([&] { return test::port_accepts(sensor_port); }, 10s));
  auto edge = start_edge(dir, edge_yaml(dir, broker,
                                        "sensors:\n"
                                        "  - {id: tcp1, port: " + std::to_string(sensor_port) +
                                            ", scale: 0.01, raw_out_of_range: 65535, unit: \"%/m\", poll_ms: 200,\n"
                                            "     alarm: {raise: 8, clear: 4, min_duration_s: 1},\n"
                                            "     faults: {valid_max: 100}}\n"));
  const bool seen = test::wait_until(
      [&] { return count_alerts(recorder, "sensor_fault", "end", "out_of_range") >= 1; }, 30s);
  INFO("alerts:\n" << describe(recorder) << "edge log:\n" << edge->log());
  REQUIRE(seen);
  CHECK(count_alerts(recorder, "smoke", "start") == 1);
  CHECK(count_alerts(recorder, "sensor_fault", "start", "out_of_range") == 1);
  CHECK(count_alerts(recorder, "smoke", "end") == 0);  // EN 54-7: the fault did not cancel the alarm
  CHECK(edge->stop() == 0);
}

TEST_CASE("Modbus RTU: a sensor on a serial line alarms, and a silent device is a comms fault",
          "[integration][sensor][modbus][rtu]") {
  Rig rig;
  auto& [broker, dir, recorder] = rig;
  RtuDevice device;
  device.set_register(0, 30);  // 0.30 %/m: clean air
  auto edge = start_edge(dir, edge_yaml(dir, broker,
                                        "sensors:\n"
                                        "  - {id: rtu1, type: modbus_rtu, serial: {device: " + device.path() +
                                            ", baud: 19200}, scale: 0.01, unit: \"%/m\",\n"
                                            "     poll_ms: 200, timeout_ms: 300,\n"
                                            "     alarm: {raise: 8, clear: 4, min_duration_s: 1},\n"
                                            "     faults: {comms_lost_s: 1}}\n"));
  std::this_thread::sleep_for(1500ms);
  CHECK(count_alerts(recorder, "smoke", "start") == 0);
  device.set_register(0, 1250);  // 12.5 %/m
  const bool alarmed = test::wait_until([&] { return count_alerts(recorder, "smoke", "start") == 1; }, 15s);
  INFO("alerts:\n" << describe(recorder) << "edge log:\n" << edge->log());
  REQUIRE(alarmed);
  const auto alarm = alerts(recorder).back();
  CHECK(alarm["location"]["sensor"] == "rtu1");
  CHECK(alarm["value"].get<double>() == Approx(12.5));
  device.go_silent(true);
  CHECK(test::wait_until([&] { return count_alerts(recorder, "sensor_fault", "start", "comms_lost") == 1; }, 15s));
  CHECK(count_alerts(recorder, "smoke", "end") == 0);
  device.go_silent(false);
  device.set_register(0, 30);
  CHECK(test::wait_until([&] { return count_alerts(recorder, "smoke", "end") == 1; }, 15s));
  CHECK(count_alerts(recorder, "sensor_fault", "end", "comms_lost") == 1);
  CHECK(edge->stop() == 0);
}

TEST_CASE("MQTT JSON: a published fire alarms, the Will is a comms fault, garbage never stops the gateway",
          "[integration][sensor][mqtt]") {
  Rig rig;
  auto& [broker, dir, recorder] = rig;
  auto edge = start_edge(dir, edge_yaml(dir, broker,
                                        "sensors:\n"
                                        "  - {id: mq1, type: mqtt_json, unit: \"%/m\",\n"
                                        "     mqtt: {topic: sensors/mq1/state, availability_topic: sensors/mq1/availability},\n"
                                        "     alarm: {raise: 8, clear: 4, min_duration_s: 1}, faults: {comms_lost_s: 0}}\n"));
  REQUIRE(test::wait_until([&] { return edge->log().find("mqtt: connected") != std::string::npos; }, 10s));
  std::this_thread::sleep_for(500ms);  // the sensor subscription is made on connect
  // Corrupt frames first: each is reported by sensor and field, none kills the daemon.
  for (const std::string garbage : {"{\"smoke\": ", "[]", "{\"smoke\": \"lots\"}", "\x01\x02\xff"}) {
    const auto published = test::run_command(
        {"mosquitto_pub", "-p", std::to_string(broker.port()), "-t", "sensors/mq1/state", "-m", garbage}, 10s);
    REQUIRE(published.exit_code == 0);
  }
  REQUIRE(test::wait_until([&] { return edge->log().find("field \"smoke\" is string") != std::string::npos; }, 10s));
  CHECK(edge->log().find("sensor mq1") != std::string::npos);
  CHECK(edge->running());

  test::write_file(dir.file("fire.yaml"),
                   "name: it_mqtt\npurpose: integration\nduration_s: 40\n"
                   "events:\n  - {kind: flaming, at_s: 2}\n  - {kind: disconnect, at_s: 14, for_s: 6}\n");
  test::ChildProcess sensor({test::binary_path("gridwatch-sim"), "sensor", "--scenario", dir.file("fire.yaml"),
                             "--sensor-id", "mq1", "--mqtt-port", std::to_string(broker.port()), "--publish-period-s",
                             "0.5", "--speed", "2"},
                            dir.file("sensor.log"));
  // The garbage alone was a comms fault (no valid frame at all); the
  // simulator's first reading ends it, its Last Will opens another.
  const bool seen = test::wait_until([&] { return count_alerts(recorder, "sensor_fault", "end", "comms_lost") >= 2; },
                                     40s);
  INFO("alerts:\n" << describe(recorder) << "edge log:\n" << edge->log() << "sensor log:\n" << sensor.log());
  REQUIRE(seen);
  CHECK(count_alerts(recorder, "smoke", "start") == 1);
  CHECK(count_alerts(recorder, "sensor_fault", "start", "link down") == 1);
  CHECK(count_alerts(recorder, "smoke", "end") == 0);
  CHECK(edge->stop() == 0);
}

TEST_CASE("fusion: a camera smoke detection and the associated sensor's alarm become one fire alert",
          "[integration][fusion]") {
  Rig rig;
  auto& [broker, dir, recorder] = rig;
  auto config = edge::parse_edge_config(
      edge_yaml(dir, broker,
                "cameras:\n"
                "  - {id: cam1, zones: [], source: {file: " + dir.file("no-such-clip.avi") + "}}\n"
                "  - {id: cam2, zones: [], source: {file: " + dir.file("no-such-clip.avi") + "}}\n"
                "sensors:\n"
                "  - {id: s1, type: mqtt_json, camera: cam1, unit: \"%/m\", mqtt: {topic: sensors/s1/state},\n"
                "     alarm: {raise: 8, clear: 4}}\n"
                "fusion: {window_s: 60}\n"),
      "edge.yaml");
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  edge::Gateway gateway(io, config);
  std::thread runner([&] { io.run(); });
  auto on_io = [&](std::function<void()> task) {
    std::promise<void> done;
    boost::asio::post(io, [&] {
      task();
      done.set_value();
    });
    done.get_future().wait();
  };
  on_io([&] { gateway.start(); });

  const auto now = wall_clock_ms();
  auto smoke_report = [&](const std::string& camera, Phase phase, EpochMs at_ms) {
    edge::CameraReport report;
    report.camera_id = camera;
    report.at_ms = at_ms;
    edge::CameraAlert alert;
    alert.kind = AlertKind::smoke;
    alert.phase = phase;
    alert.episode = 1;
    alert.box = Box{0.4, 0.2, 0.2, 0.3};
    alert.confidence = 0.6;
    alert.summary = "Smoke rising in view of " + camera;
    if (phase != Phase::end) alert.jpeg = std::string("\xff\xd8 fake-but-opaque evidence bytes \xff\xd9");
    report.alerts.push_back(alert);
    return report;
  };
  auto reading = [](double value, EpochMs at_ms) { return edge::SensorReading{"s1", {at_ms, value, "", false}}; };

  // A camera alone: its own smoke alert, no fire.
  on_io([&] { gateway.on_camera_report(smoke_report("cam2", Phase::start, now)); });
  // The associated camera sees smoke, and 20 s later the sensor alarms.
  on_io([&] { gateway.on_camera_report(smoke_report("cam1", Phase::start, now + 1000)); });
  on_io([&] { gateway.on_reading(reading(12.0, now + 21'000)); });
  const bool fired = test::wait_until([&] { return count_alerts(recorder, "fire", "start") == 1; }, 15s);
  INFO("alerts:\n" << describe(recorder));
  REQUIRE(fired);
  CHECK(count_alerts(recorder, "smoke", "start") == 3);  // each cue alone still alerts
  nlohmann::json fire;
  nlohmann::json camera_smoke;
  nlohmann::json sensor_smoke;
  for (const auto& alert : alerts(recorder)) {
    if (alert["kind"] == "fire") fire = alert;
    if (alert["kind"] == "smoke" && alert["location"].value("camera", "") == "cam1" &&
        !alert["location"].contains("sensor")) {
      camera_smoke = alert;
    }
    if (alert["kind"] == "smoke" && alert["location"].value("sensor", "") == "s1") sensor_smoke = alert;
  }
  CHECK(fire["severity"] == "extreme");
  CHECK(fire["confidence"].get<double>() > sensor_smoke["confidence"].get<double>());
  CHECK(fire["confidence"].get<double>() > camera_smoke["confidence"].get<double>());
  CHECK(fire["location"]["camera"] == "cam1");
  CHECK(fire["location"]["sensor"] == "s1");
  CHECK(fire["value"].get<double>() == Approx(12.0));
  CHECK(fire.contains("box"));
  CHECK(fire["evidence"].size() == 1);  // the camera's snapshot travels with the fire
  // Both cues' alerts are named in the fire's summary.
  CHECK(fire["summary"].get<std::string>().find(camera_smoke["alert_id"].get<std::string>()) != std::string::npos);
  CHECK(fire["summary"].get<std::string>().find(sensor_smoke["alert_id"].get<std::string>()) != std::string::npos);

  // Both cues end: the fire ends, once.
  on_io([&] { gateway.on_reading(reading(1.0, now + 40'000)); });
  on_io([&] { gateway.on_camera_report(smoke_report("cam1", Phase::end, now + 41'000)); });
  CHECK(test::wait_until([&] { return count_alerts(recorder, "fire", "end") == 1; }, 15s));
  CHECK(count_alerts(recorder, "fire", "start") == 1);

  on_io([&] { gateway.stop(); });
  work.reset();
  io.stop();
  runner.join();
}
