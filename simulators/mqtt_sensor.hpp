#pragma once
// A simulated smoke sensor that publishes JSON readings over MQTT, the way
// networked detectors and Zigbee/LoRa bridges do (docs/simulators.md has
// the topics and payload):
//   {prefix}/state         one reading per period, QoS 1
//   {prefix}/availability  retained "online"; "offline" as Last Will
// A "disconnect" fault drops the link so that the broker publishes the
// Will, and the sensor comes back when the fault ends.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "common/time.hpp"
#include "simulators/sensor_model.hpp"

namespace gridwatch::sim {

struct MqttSensorSettings {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string topic_prefix;  ///< empty = "sensors/{sensor_id}"
  double period_s = 1.0;     ///< simulated seconds between readings
  double speed = 1.0;        ///< simulated seconds per wall second
  double duration_s = 0;     ///< simulated seconds to run; 0 = until stopped or the source ends
  int keepalive_s = 10;
};

/// The JSON of one reading. `ts_ms` is wall time; everything else is a
/// function of the scenario and `t_s` (deterministic).
std::string mqtt_reading_payload(const std::string& sensor_id, std::uint64_t seq, double t_s, EpochMs ts_ms,
                                 const SensorSample& sample);

std::string mqtt_topic_prefix(const MqttSensorSettings& settings, const std::string& sensor_id);

/// Publishes until `stop`, the duration or the end of the source. Returns
/// 0, or 1 after logging why the broker could not be reached at start.
int serve_mqtt(const MqttSensorSettings& settings, const std::string& sensor_id, SampleSource& source,
               const std::atomic<bool>& stop, const std::function<void(double t_s, const SensorSample&)>& on_sample);

}  // namespace gridwatch::sim
