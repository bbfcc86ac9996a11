#include "edge/mqtt_sensor_input.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace gridwatch::edge {
namespace {

constexpr std::size_t kQuotedPayloadChars = 60;

SensorSample bad_frame(const SensorSettings& sensor, EpochMs at_ms, const std::string& why) {
  SensorSample sample;
  sample.at_ms = at_ms;
  sample.error = fmt::format("sensor {}: bad MQTT frame on {}: {}", sensor.id, sensor.mqtt.topic, why);
  return sample;
}

std::string quoted(const std::string& payload) {
  std::string shown = payload.substr(0, kQuotedPayloadChars);
  for (auto& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return fmt::format("\"{}\"{}", shown, payload.size() > kQuotedPayloadChars ? "..." : "");
}

}  // namespace

SensorSample parse_sensor_message(const SensorSettings& sensor, const std::string& payload, EpochMs at_ms) {
  const auto body = nlohmann::json::parse(payload, nullptr, false);
  if (body.is_discarded()) return bad_frame(sensor, at_ms, fmt::format("not JSON: {}", quoted(payload)));
  if (!body.is_object()) return bad_frame(sensor, at_ms, fmt::format("not a JSON object: {}", quoted(payload)));
  SensorSample sample;
  sample.at_ms = at_ms;
  const auto& fields = sensor.mqtt;
  std::string status = "ok";
  if (body.contains(fields.status_field)) {
    const auto& value = body[fields.status_field];
    if (!value.is_string()) return bad_frame(sensor, at_ms, fmt::format("field \"{}\" is not a string", fields.status_field));
    status = value.get<std::string>();
    if (status != "ok" && status != "fault" && status != "out_of_range") {
      return bad_frame(sensor, at_ms,
                       fmt::format("field \"{}\": \"{}\" is not ok, fault or out_of_range", fields.status_field,
                                   status.substr(0, kQuotedPayloadChars)));
    }
  }
  sample.device_fault = status == "fault";
  if (status == "out_of_range") {
    // The monitor's range check turns this into an out_of_range fault.
    sample.value = std::numeric_limits<double>::infinity();
    return sample;
  }
  if (!body.contains(fields.value_field)) {
    return bad_frame(sensor, at_ms, fmt::format("field \"{}\" is missing", fields.value_field));
  }
  const auto& value = body[fields.value_field];
  if (!value.is_number()) {
    return bad_frame(sensor, at_ms,
                     fmt::format("field \"{}\" is {}, not a number", fields.value_field, value.type_name()));
  }
  const double number = value.get<double>();
  if (!std::isfinite(number)) return bad_frame(sensor, at_ms, fmt::format("field \"{}\" is not finite", fields.value_field));
  sample.value = number;
  return sample;
}

std::optional<SensorSample> parse_sensor_availability(const SensorSettings& sensor, const std::string& payload,
                                                      EpochMs at_ms) {
  if (payload == "online") return std::nullopt;
  SensorSample sample;
  sample.at_ms = at_ms;
  sample.error = payload == "offline"
                     ? fmt::format("sensor {}: link down (\"offline\" on {})", sensor.id, sensor.mqtt.availability_topic)
                     : fmt::format("sensor {}: unexpected availability {} on {}", sensor.id, quoted(payload),
                                   sensor.mqtt.availability_topic);
  return sample;
}

}  // namespace gridwatch::edge
