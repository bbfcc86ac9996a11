#pragma once
// Threshold alarm for one sensor channel: raise when the value has stayed
// at or above `raise_level` for `min_duration_ms` (so a cooking spike
// shorter than that never alarms), clear when it falls to `clear_level`
// or below (hysteresis, so a value hovering at the threshold does not
// flap). Pure: the caller passes each sample's timestamp.
#include <cstdint>
#include <optional>

#include "common/time.hpp"

namespace gridwatch::edge {

struct ThresholdAlarmSettings {
  double raise_level = 0;
  double clear_level = 0;  ///< must be <= raise_level
  std::int64_t min_duration_ms = 0;
};

struct AlarmTransition {
  enum class Kind { raised, cleared } kind;
  EpochMs at_ms;        ///< timestamp of the sample that caused it
  double value;         ///< that sample's value
  double peak;          ///< highest value seen while raised (or pending)
};

class ThresholdAlarm {
 public:
  explicit ThresholdAlarm(ThresholdAlarmSettings settings);

  std::optional<AlarmTransition> update(EpochMs at_ms, double value);
  bool active() const { return active_; }
  double peak() const { return peak_; }

 private:
  ThresholdAlarmSettings settings_;
  bool active_ = false;
  std::optional<EpochMs> above_since_ms_;
  double peak_ = 0;
};

}  // namespace gridwatch::edge
