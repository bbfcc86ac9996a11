#include "edge/core/threshold_alarm.hpp"

#include <algorithm>

namespace gridwatch::edge {

ThresholdAlarm::ThresholdAlarm(ThresholdAlarmSettings settings) : settings_(settings) {}

std::optional<AlarmTransition> ThresholdAlarm::update(EpochMs at_ms, double value) {
  if (active_) {
    peak_ = std::max(peak_, value);
    if (value <= settings_.clear_level) {
      active_ = false;
      above_since_ms_.reset();
      return AlarmTransition{AlarmTransition::Kind::cleared, at_ms, value, peak_};
    }
    return std::nullopt;
  }
  if (value < settings_.raise_level) {
    above_since_ms_.reset();
    return std::nullopt;
  }
  if (!above_since_ms_) {
    above_since_ms_ = at_ms;
    peak_ = value;
  }
  peak_ = std::max(peak_, value);
  if (at_ms - *above_since_ms_ >= settings_.min_duration_ms) {
    active_ = true;
    return AlarmTransition{AlarmTransition::Kind::raised, at_ms, value, peak_};
  }
  return std::nullopt;
}

}  // namespace gridwatch::edge
