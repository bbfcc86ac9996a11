#pragma once
// Polls one smoke sensor over Modbus TCP on its own thread (libmodbus is
// blocking) and hands each reading to `deliver`, which must be
// thread-safe: the gateway passes a function that posts to its io_context.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/time.hpp"
#include "edge/edge_config.hpp"

namespace gridwatch::edge {

struct SensorReading {
  std::string sensor_id;
  EpochMs at_ms = 0;
  std::optional<double> value;  ///< nullopt when the read failed
  std::string error;            ///< why it failed
};

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
