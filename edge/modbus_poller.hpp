#pragma once
// Polls one smoke sensor over Modbus TCP or RTU (serial) on its own thread
// (libmodbus is blocking) and hands each reading to `deliver`, which must
// be thread-safe: the gateway passes a function that posts to its
// io_context. The register map and scaling come from the sensor's config.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "edge/core/sensor_monitor.hpp"
#include "edge/edge_config.hpp"

namespace gridwatch::edge {

/// One observation of one configured sensor, as adapters deliver it.
struct SensorReading {
  std::string sensor_id;
  SensorSample sample;
};

/// Turns raw register words into a sample by the sensor's register map:
/// format, scale and offset, the out-of-range code, the status fault bit.
/// `status` is the status register's word when the map has one.
SensorSample decode_registers(const RegisterMap& map, std::uint16_t raw, std::optional<std::uint16_t> status,
                              EpochMs at_ms);

class ModbusPoller {
 public:
  ModbusPoller(SensorSettings settings, std::function<void(SensorReading)> deliver);
  ~ModbusPoller();
  ModbusPoller(const ModbusPoller&) = delete;
  ModbusPoller& operator=(const ModbusPoller&) = delete;

  void start();
  void stop();

 private:
  void run();

  SensorSettings settings_;
  std::function<void(SensorReading)> deliver_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace gridwatch::edge
