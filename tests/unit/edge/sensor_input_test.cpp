// The sensor adapters' pure halves: MQTT JSON frames and Modbus register
// words into samples.
#include <catch2/catch.hpp>

#include <cmath>

#include "edge/modbus_poller.hpp"
#include "edge/mqtt_sensor_input.hpp"

using namespace gridwatch;
using namespace gridwatch::edge;

namespace {

SensorSettings mqtt_sensor() {
  SensorSettings sensor;
  sensor.id = "kitchen";
  sensor.type = "mqtt_json";
  sensor.mqtt.topic = "sensors/kitchen/state";
  sensor.mqtt.availability_topic = "sensors/kitchen/availability";
  return sensor;
}

}  // namespace

TEST_CASE("an MQTT JSON reading becomes a sample", "[sensor-input][mqtt]") {
  const auto sample = parse_sensor_message(
      mqtt_sensor(), R"({"sensor":"smoke1","seq":42,"smoke":1.23,"unit":"%/m","status":"ok"})", 5000);
  REQUIRE(sample.value);
  CHECK(*sample.value == Approx(1.23));
  CHECK(sample.at_ms == 5000);
  CHECK_FALSE(sample.device_fault);
  CHECK(parse_sensor_message(mqtt_sensor(), R"({"smoke":2,"status":"fault"})", 0).device_fault);
  const auto out_of_range = parse_sensor_message(mqtt_sensor(), R"({"smoke":null,"status":"out_of_range"})", 0);
  REQUIRE(out_of_range.value);
  CHECK(std::isinf(*out_of_range.value));
}

TEST_CASE("a bad MQTT JSON frame gives an error naming the sensor and the field", "[sensor-input][mqtt]") {
  const auto sensor = mqtt_sensor();
  auto error_of = [&](const std::string& payload) {
    const auto sample = parse_sensor_message(sensor, payload, 0);
    CHECK_FALSE(sample.value);
    CHECK(sample.error.find("sensor kitchen") != std::string::npos);
    return sample.error;
  };
  CHECK(error_of("{\"smoke\": 1.2").find("not JSON") != std::string::npos);
  CHECK(error_of("[1, 2]").find("not a JSON object") != std::string::npos);
  CHECK(error_of(R"({"temperature_c": 20})").find("field \"smoke\" is missing") != std::string::npos);
  CHECK(error_of(R"({"smoke": "high"})").find("field \"smoke\" is string, not a number") != std::string::npos);
  CHECK(error_of(R"({"smoke": null, "status": "ok"})").find("field \"smoke\" is null") != std::string::npos);
  CHECK(error_of(R"({"smoke": 1, "status": 3})").find("field \"status\" is not a string") != std::string::npos);
  CHECK(error_of(R"({"smoke": 1, "status": "on fire"})").find("field \"status\": \"on fire\"") != std::string::npos);
  // Binary garbage is shown escaped and cut short, never raw.
  const auto garbage = error_of(std::string("\x01\xff\x00zz", 5) + std::string(500, 'x'));
  CHECK(garbage.find("...") != std::string::npos);
  CHECK(garbage.size() < 200);
}

TEST_CASE("MQTT availability: offline is a failed read, online is nothing to act on", "[sensor-input][mqtt]") {
  const auto offline = parse_sensor_availability(mqtt_sensor(), "offline", 10);
  REQUIRE(offline);
  CHECK_FALSE(offline->value);
  CHECK(offline->error.find("link down") != std::string::npos);
  CHECK_FALSE(parse_sensor_availability(mqtt_sensor(), "online", 10));
}

TEST_CASE("Modbus registers decode by the register map", "[sensor-input][modbus]") {
  RegisterMap map;
  map.scale = 0.01;
  CHECK(*decode_registers(map, 1234, std::nullopt, 0).value == Approx(12.34));
  map.format = "int16";
  map.scale = 0.1;
  map.offset = 1.0;
  // -10 x 0.1 + 1; arm64 fuses the multiply-add, so the result is a few ulps
  // off zero and a relative-only Approx(0.0) would never match.
  CHECK(*decode_registers(map, 0xFFF6, std::nullopt, 0).value == Approx(0.0).margin(1e-9));
  map = RegisterMap{};
  map.raw_out_of_range = 65535;
  CHECK(std::isinf(*decode_registers(map, 0xFFFF, std::nullopt, 0).value));
  map.status_register = 2;
  map.fault_bit = 0;
  CHECK(decode_registers(map, 10, std::uint16_t{1}, 0).device_fault);
  CHECK_FALSE(decode_registers(map, 10, std::uint16_t{2}, 0).device_fault);
}
