#include "edge/core/threshold_alarm.hpp"

#include <algorithm>

namespace gridwatch::edge {

ThresholdAlarm::ThresholdAlarm(ThresholdAlarmSettings settings) : settings_(settings) {}

double ThresholdAlarm::rise_over_window(EpochMs at_ms, double value) {
  if (settings_.rate_of_rise.rise <= 0) return 0;
  // Keep one sample at or before the window start, so the rise is measured
  // over the whole window even with sparse samples.
  while (history_.size() >= 2 && history_[1].first <= at_ms - settings_.rate_of_rise.window_ms) history_.pop_front();
  const double rise = history_.empty() ? 0 : value - history_.front().second;
  history_.emplace_back(at_ms, value);
  return rise;
}

std::optional<AlarmTransition> ThresholdAlarm::update(EpochMs at_ms, double value) {
  last_rise_ = rise_over_window(at_ms, value);
  const bool rising = settings_.rate_of_rise.rise > 0 && last_rise_ >= settings_.rate_of_rise.rise;
  if (rising) {
    if (!rising_since_ms_) rising_since_ms_ = at_ms;
  } else {
    rising_since_ms_.reset();
  }
  if (active_) {
    peak_ = std::max(peak_, value);
    if (value <= settings_.clear_level && !rising) {
      active_ = false;
      level_since_ms_.reset();
      rising_since_ms_.reset();
      return AlarmTransition{AlarmTransition::Kind::cleared, at_ms, value, peak_};
    }
    return std::nullopt;
  }
  // The minimum duration runs from the first reading at the level until a
  // reading falls back to the clear level: the hysteresis that ends an
  // alarm also keeps a creeping smoulder's noise, dipping a reading just
  // under the level, from restarting the count. The alarm itself still
  // needs a reading at the level.
  if (value <= settings_.clear_level) {
    level_since_ms_.reset();
  } else if (!level_since_ms_ && value >= settings_.raise_level) {
    level_since_ms_ = at_ms;
  }
  if (!pending()) {
    peak_ = value;  // the next episode's peak starts here
    return std::nullopt;
  }
  peak_ = std::max(peak_, value);
  const bool by_level = level_since_ms_ && value >= settings_.raise_level &&
                        at_ms - *level_since_ms_ >= settings_.min_duration_ms;
  const bool by_rise = rising_since_ms_ && at_ms - *rising_since_ms_ >= settings_.rate_of_rise.min_duration_ms;
  if (by_level || by_rise) {
    active_ = true;
    return AlarmTransition{AlarmTransition::Kind::raised, at_ms, value, peak_, !by_level};
  }
  return std::nullopt;
}

}  // namespace gridwatch::edge
