#pragma once
// MQTT JSON smoke sensors (networked detectors, Zigbee/LoRa bridges):
// turns a message on a sensor's topic into a sample. A bad frame gives an
// error naming the sensor and the field, never an exception.
#include <string>

#include "edge/core/sensor_monitor.hpp"
#include "edge/edge_config.hpp"

namespace gridwatch::edge {

/// A reading on `sensor.mqtt.topic`: {"<value_field>": number|null,
/// "<status_field>": "ok"|"fault"|"out_of_range"}; other fields are
/// ignored. On a bad frame the sample has no value and `error` says why.
SensorSample parse_sensor_message(const SensorSettings& sensor, const std::string& payload, EpochMs at_ms);

/// "online"/"offline" on `sensor.mqtt.availability_topic`. Offline (the
/// device's Last Will) is a sample without a value; online is nothing to
/// act on (the next reading clears the fault), returned as nullopt.
std::optional<SensorSample> parse_sensor_availability(const SensorSettings& sensor, const std::string& payload,
                                                      EpochMs at_ms);

}  // namespace gridwatch::edge
