#pragma once
// Everything the gateway decides about one smoke sensor, from its samples
// alone: the alarm (ThresholdAlarm on the drift-compensated reading) and
// the faults (no data, comms lost, out of range, stuck value, drift
// compensation exhausted, the device's own fault flag).
//
// As in EN 54-7, a fault never cancels an active alarm: while a fault
// stops trustworthy readings, the alarm keeps its state; it clears only
// on a valid reading at or below the clear level.
//
// Pure and clock-injected: the caller passes each sample's timestamp and
// calls tick() periodically so silence can be noticed. The live gateway,
// `replay-sensor` and `evaluate sensor` run this same code.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.hpp"
#include "edge/core/threshold_alarm.hpp"

namespace gridwatch::edge {

enum class SensorFault { no_data, comms_lost, out_of_range, stuck, drift_exhausted, device };
inline constexpr std::size_t kSensorFaultCount = 6;
std::string_view to_string(SensorFault fault);

struct DriftSettings {
  /// How fast the clean-air baseline may follow the reading, in reading
  /// units per hour; 0 = no drift compensation. A fire rises far faster
  /// than dirt accumulates, so the baseline cannot follow a fire.
  double max_rate_per_h = 0;
  /// Fault "drift_exhausted" when the baseline has moved further than this
  /// from where it started.
  double max_compensation = 0;
};

struct SensorFaultSettings {
  double valid_min = -1e300;       ///< readings outside [valid_min, valid_max] are out of range
  double valid_max = 1e300;
  std::int64_t no_data_ms = 30'000;     ///< nothing received (value or error) for this long
  std::int64_t comms_lost_ms = 5'000;   ///< every read failed for this long
  std::int64_t stuck_ms = 600'000;      ///< the value has not changed at all for this long; 0 = off
};

struct SensorMonitorSettings {
  ThresholdAlarmSettings alarm;  ///< applies to the compensated reading
  DriftSettings drift;
  SensorFaultSettings faults;
};

/// One observation of a sensor: a value, or why there is none.
struct SensorSample {
  EpochMs at_ms = 0;
  std::optional<double> value;  ///< scaled reading; nullopt: the read failed or the link is down
  std::string error;            ///< why there is no value
  bool device_fault = false;    ///< the device itself reports a fault (status bit / "fault" status)
};

struct SensorEvent {
  enum class Kind { alarm_raised, alarm_cleared, fault_raised, fault_cleared } kind = Kind::alarm_raised;
  EpochMs at_ms = 0;
  double value = 0;        ///< the reading (alarm events), or the last reading known
  double compensated = 0;  ///< value minus the drift offset (alarm events)
  double peak = 0;         ///< alarm events: highest compensated value of the episode
  bool by_rate_of_rise = false;
  SensorFault fault = SensorFault::no_data;  ///< fault events only
  std::string detail;      ///< fault events: what was seen, for the alert summary
};

class SensorMonitor {
 public:
  /// `started_ms`: the no-data clock runs from here until the first sample.
  SensorMonitor(SensorMonitorSettings settings, EpochMs started_ms);

  std::vector<SensorEvent> update(const SensorSample& sample);
  /// Call about once a second with the current time: raises no_data and
  /// comms_lost when samples stop coming.
  std::vector<SensorEvent> tick(EpochMs now_ms);

  bool alarm_active() const { return alarm_.active(); }
  bool fault_active(SensorFault fault) const { return faults_[static_cast<std::size_t>(fault)]; }
  bool any_fault() const;
  /// Current baseline offset subtracted from readings.
  double drift_offset() const { return offset_; }

 private:
  void set_fault(std::vector<SensorEvent>& events, SensorFault fault, bool active, EpochMs at_ms,
                 const std::string& detail);
  void track_drift(EpochMs at_ms, double value, std::vector<SensorEvent>& events);
  void check_stuck(EpochMs at_ms, double value, std::vector<SensorEvent>& events);

  SensorMonitorSettings settings_;
  ThresholdAlarm alarm_;
  std::array<bool, kSensorFaultCount> faults_{};
  EpochMs last_sample_ms_;
  std::optional<EpochMs> failing_since_ms_;
  std::string last_error_;
  std::optional<double> last_value_;
  EpochMs unchanged_since_ms_ = 0;
  std::optional<double> baseline_;   ///< tracked clean-air reading
  double reference_ = 0;             ///< baseline at the first valid reading
  std::optional<EpochMs> baseline_at_ms_;
  double offset_ = 0;
};

}  // namespace gridwatch::edge
