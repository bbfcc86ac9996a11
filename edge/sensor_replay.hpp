#pragma once
// Runs recorded or simulated sensor readings through the same alarm and
// fault logic as the live gateway (SensorMonitor), on the log's own time
// axis and faster than real time. Used by `gridwatch-edge replay-sensor`
// and `gridwatch-edge evaluate sensor`.
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "edge/core/sensor_monitor.hpp"
#include "edge/edge_config.hpp"

namespace gridwatch::sim {
class SampleSource;
}

namespace gridwatch::edge {

/// A monitor event at `t_s` seconds from the start of the log or scenario.
struct ReplayedEvent {
  double t_s = 0;
  SensorEvent event;
};

/// Samples `source` every `step_s` from 0 to its end (or `end_s` when > 0)
/// as the gateway would poll it, and returns every alarm and fault event.
/// `device_out_of_range`: honour the source's out-of-range flag (a
/// simulated device); a replayed log is judged by the sensor's valid range.
std::vector<ReplayedEvent> replay_sensor(const SensorSettings& sensor, sim::SampleSource& source, double step_s,
                                         bool device_out_of_range, double end_s = 0);

/// "t=3185.0s alarm raised 1.89 %/m" style line, and the JSON line form.
std::string to_json_line(const ReplayedEvent& event, const std::string& sensor_id);

struct SensorReplayOptions {
  std::string log_path;
  std::string column;              ///< NAME[*SCALE]: the reading
  std::string time_column;         ///< seconds (UNIX or relative); else one row per period_s
  std::string label_column;        ///< optional 0/1 truth, shown next to the alarms
  double period_s = 1.0;
  double step_s = 1.0;
  std::string sensor_path;         ///< one `sensors:` entry (alarm, drift, faults)
};

/// `replay-sensor`: JSON lines on `out`, one per alarm or fault event, then
/// a summary line. Returns the process exit code (2: bad mapping or config).
int run_sensor_replay(const SensorReplayOptions& options, std::ostream& out, std::ostream& err);

}  // namespace gridwatch::edge
