#include <catch2/catch.hpp>

#include "edge/edge_config.hpp"
#include "tests/support/test_env.hpp"

using namespace gridwatch;
using namespace gridwatch::edge;

namespace {
std::string errors_of(const std::string& yaml) {
  try {
    parse_edge_config(yaml, "edge.yaml");
  } catch (const ConfigInvalid& invalid) {
    return invalid.errors().to_string();
  }
  return "";
}
}  // namespace

TEST_CASE("the shipped example config is valid", "[edge-config]") {
  const auto config = load_edge_config(std::string(GRIDWATCH_SOURCE_DIR) + "/config/edge.example.yaml");
  CHECK(config.gateway.id == "gw-demo-01");
  CHECK(config.mqtt.client_id == "gw-demo-01");  // defaults to the gateway id for ACLs
  REQUIRE(config.sensors.size() == 3);  // Modbus TCP, Modbus RTU, MQTT JSON
  CHECK(config.sensors[0].alarm.raise == Approx(8.0));
  CHECK(config.outbox_path() == "/var/lib/gridwatch/outbox.db");
}

TEST_CASE("a minimal config takes documented defaults", "[edge-config]") {
  const auto config = parse_edge_config("gateway: {id: gw-1, lat: 30, lon: 104}\n", "edge.yaml");
  CHECK(config.mqtt.broker == "tcp://127.0.0.1:1883");
  CHECK(config.mqtt.inflight_window == 32);
  CHECK(config.heartbeat_s == 30);
  CHECK(config.sensors.empty());
}

TEST_CASE("edge config errors name file, line and key, all of them", "[edge-config]") {
  const auto errors = errors_of(
      "gateway: {id: gw-1, lat: 30, lon: 104}\n"
      "heartbeat_s: 0\n"
      "outbox: {max_rows: 5}\n"
      "sensors:\n"
      "  - {id: s1, alarm: {raise: 5, clear: 2}}\n"
      "  - {id: s1, type: zigbee, alarm: {raise: 5, clear: 2}}\n");
  CHECK(errors.find("edge.yaml:2:14: heartbeat_s: must be between 1 and 3600") != std::string::npos);
  CHECK(errors.find("outbox.max_rows: must be between 100") != std::string::npos);
  CHECK(errors.find("sensors[1].id: duplicate sensor id \"s1\"") != std::string::npos);
  CHECK(errors.find("sensors[1].type: \"zigbee\" is not one of: modbus_tcp") != std::string::npos);
}

TEST_CASE("gateway identity is required", "[edge-config]") {
  const auto errors = errors_of("log_level: info\n");
  CHECK(errors.find("gateway: missing required key") != std::string::npos);
  CHECK(errors_of("gateway: {id: gw-1, lat: 30, lon: 104}\nlog_level: loud\n").find("log_level") != std::string::npos);
}

TEST_CASE("the sensors list reads TCP, RTU and MQTT JSON sensors with their alarm logic", "[sensor-input][edge-config]") {
  const auto config = parse_edge_config(
      "gateway: {id: gw-1, lat: 30, lon: 104}\n"
      "sensors:\n"
      "  - {id: tcp1, port: 1502, register: 0, scale: 0.01, raw_out_of_range: 65535, status_register: 2,\n"
      "     alarm: {raise: 8, clear: 4, min_duration_s: 8, rate_of_rise: {rise: 3, window_s: 30, min_duration_s: 15}},\n"
      "     drift: {max_rate_per_h: 3, max_compensation: 4}, faults: {valid_max: 100, stuck_s: 0}}\n"
      "  - {id: rtu1, type: modbus_rtu, serial: {device: /dev/ttyUSB0, baud: 19200, parity: even},\n"
      "     register_type: input, format: int16, alarm: {raise: 8, clear: 4}}\n"
      "  - {id: mq1, type: mqtt_json, mqtt: {topic: sensors/mq1/state, availability_topic: sensors/mq1/availability},\n"
      "     alarm: {raise: 8, clear: 4}}\n"
      "fusion: {window_s: 60}\n",
      "edge.yaml");
  REQUIRE(config.sensors.size() == 3);
  const auto& tcp = config.sensors[0];
  CHECK(tcp.map.raw_out_of_range == 65535);
  CHECK(tcp.map.status_register == 2);
  const auto monitor = monitor_settings(tcp);
  CHECK(monitor.alarm.min_duration_ms == 8000);
  CHECK(monitor.alarm.rate_of_rise.rise == Approx(3));
  CHECK(monitor.alarm.rate_of_rise.window_ms == 30'000);
  CHECK(monitor.drift.max_compensation == Approx(4));
  CHECK(monitor.faults.stuck_ms == 0);
  CHECK(config.sensors[1].serial.parity == "even");
  CHECK(config.sensors[1].map.kind == "input");
  CHECK_FALSE(config.sensors[2].is_modbus());
  CHECK(config.fusion.window_s == Approx(60));
}

TEST_CASE("sensor config errors name file, line and key", "[sensor-input][edge-config]") {
  const auto errors = errors_of(
      "gateway: {id: gw-1, lat: 30, lon: 104}\n"
      "sensors:\n"
      "  - {id: r1, type: modbus_rtu, alarm: {raise: 8, clear: 4}}\n"
      "  - {id: m1, type: mqtt_json, alarm: {raise: 8, clear: 4, rate_of_rise: {window_s: 5}}}\n"
      "  - {id: c1, camera: cam9, alarm: {raise: 8, clear: 4, hysteresis: 2}, faults: {valid_min: 5, valid_max: 1}}\n"
      "  - {id: d1, drift: {max_rate_per_h: 1}, alarm: {raise: 8, clear: 4}}\n");
  CHECK(errors.find("edge.yaml:3:5: sensors[0].serial: missing required key") != std::string::npos);
  CHECK(errors.find("sensors[1].mqtt: missing required key") != std::string::npos);
  CHECK(errors.find("sensors[1].alarm.rate_of_rise.rise: missing required key") != std::string::npos);
  CHECK(errors.find("edge.yaml:5:") != std::string::npos);
  CHECK(errors.find("sensors[2].camera: no camera \"cam9\" in cameras[]") != std::string::npos);
  CHECK(errors.find("sensors[2].alarm.hysteresis: unknown key") != std::string::npos);
  CHECK(errors.find("sensors[2].faults.valid_max: must not be below valid_min") != std::string::npos);
  CHECK(errors.find("sensors[3].drift.max_compensation: missing required key") != std::string::npos);
}

TEST_CASE("uplink receipts: on by default, switchable, the timeout validated", "[edge-config][receipts]") {
  const auto defaults = parse_edge_config("gateway: {id: gw-1, lat: 30, lon: 104}\n", "edge.yaml");
  CHECK(defaults.uplink.receipts);
  CHECK(defaults.uplink.receipt_timeout_s == 120);
  const auto off = parse_edge_config(
      "gateway: {id: gw-1, lat: 30, lon: 104}\nuplink: {receipts: false, receipt_timeout_s: 5}\n", "edge.yaml");
  CHECK_FALSE(off.uplink.receipts);
  CHECK(off.uplink.receipt_timeout_s == 5);
  const auto errors = errors_of(
      "gateway: {id: gw-1, lat: 30, lon: 104}\nuplink:\n  receipts: maybe\n  receipt_timeout_s: 0\n  receipt: true\n");
  CHECK(errors.find("edge.yaml:3") != std::string::npos);
  CHECK(errors.find("uplink.receipts") != std::string::npos);
  CHECK(errors.find("edge.yaml:4") != std::string::npos);
  CHECK(errors.find("uplink.receipt_timeout_s") != std::string::npos);
  CHECK(errors.find("uplink.receipt: unknown key") != std::string::npos);
}
