#pragma once
// A Modbus TCP server (libmodbus) that exposes one simulated smoke sensor
// as holding registers 0-3 (see RegisterImage). Single-threaded: serve()
// multiplexes the listening socket and every client with select() and
// refreshes the registers from the model on each tick.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "simulators/sensor_model.hpp"

namespace gridwatch::sim {

struct ModbusServerSettings {
  std::string bind_address = "127.0.0.1";
  int port = 1502;
  double tick_s = 0.1;  ///< how often registers are refreshed (wall time)
  double speed = 1.0;   ///< simulated seconds per wall second
  double duration_s = 0;  ///< simulated seconds to run; 0 = until stopped
};

/// Serves until `stop` becomes true, the duration elapses or the source ends. `on_sample`
/// (may be empty) sees each refreshed sample with its simulated time.
/// Returns 0, or 1 after printing why the port could not be opened.
int serve_modbus(const ModbusServerSettings& settings, SampleSource& source, const std::atomic<bool>& stop,
                 const std::function<void(double t_s, const SensorSample&)>& on_sample);

}  // namespace gridwatch::sim
