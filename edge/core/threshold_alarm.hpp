#pragma once
// Alarm decision for one sensor channel. Two ways in:
//  - level: the value has stayed at or above `raise_level` for
//    `min_duration_ms` (so a cooking spike shorter than that never alarms);
//  - rate of rise (optional): the value has climbed by at least
//    `rate_of_rise.rise` over the last `rate_of_rise.window_ms`, and kept
//    doing so for `rate_of_rise.min_duration_ms`. This catches a smoulder
//    before it reaches the level; its own, longer, duration keeps a
//    short spike (which rises fast too) from alarming.
// The alarm clears when the value falls to `clear_level` or below and no
// rise is in progress (hysteresis, so a value hovering at the threshold
// does not flap). Pure: the caller passes each sample's timestamp.
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

#include "common/time.hpp"

namespace gridwatch::edge {

struct RateOfRiseSettings {
  double rise = 0;                 ///< 0 = rate of rise off
  std::int64_t window_ms = 30'000;
  std::int64_t min_duration_ms = 15'000;
};

struct ThresholdAlarmSettings {
  double raise_level = 0;
  double clear_level = 0;  ///< must be <= raise_level
  std::int64_t min_duration_ms = 0;
  RateOfRiseSettings rate_of_rise;
};

struct AlarmTransition {
  enum class Kind { raised, cleared } kind;
  EpochMs at_ms;        ///< timestamp of the sample that caused it
  double value;         ///< that sample's value
  double peak;          ///< highest value seen while raised (or pending)
  bool by_rate_of_rise = false;  ///< raised by the rate-of-rise rule (not the level)
};

class ThresholdAlarm {
 public:
  explicit ThresholdAlarm(ThresholdAlarmSettings settings);

  std::optional<AlarmTransition> update(EpochMs at_ms, double value);
  bool active() const { return active_; }
  /// A condition holds but has not lasted long enough yet.
  bool pending() const { return level_since_ms_.has_value() || rising_since_ms_.has_value(); }
  double peak() const { return peak_; }
  /// Rise over the rate-of-rise window at the last sample (0 when off).
  double last_rise() const { return last_rise_; }

 private:
  double rise_over_window(EpochMs at_ms, double value);

  ThresholdAlarmSettings settings_;
  bool active_ = false;
  std::optional<EpochMs> level_since_ms_;
  std::optional<EpochMs> rising_since_ms_;
  std::deque<std::pair<EpochMs, double>> history_;  ///< samples within the rate-of-rise window
  double peak_ = 0;
  double last_rise_ = 0;
};

}  // namespace gridwatch::edge
