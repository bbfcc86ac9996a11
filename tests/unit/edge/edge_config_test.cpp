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
  REQUIRE(config.sensors.size() == 1);
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
