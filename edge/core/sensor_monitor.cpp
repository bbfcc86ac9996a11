#include "edge/core/sensor_monitor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace gridwatch::edge {
namespace {

double seconds(EpochMs duration_ms) { return static_cast<double>(duration_ms) / 1000.0; }

SensorEvent make_event(SensorEvent::Kind kind, EpochMs at_ms) {
  SensorEvent event;
  event.kind = kind;
  event.at_ms = at_ms;
  return event;
}

}  // namespace

std::string_view to_string(SensorFault fault) {
  switch (fault) {
    case SensorFault::no_data: return "no_data";
    case SensorFault::comms_lost: return "comms_lost";
    case SensorFault::out_of_range: return "out_of_range";
    case SensorFault::stuck: return "stuck";
    case SensorFault::drift_exhausted: return "drift_exhausted";
    case SensorFault::device: return "device_fault";
  }
  return "unknown";
}

SensorMonitor::SensorMonitor(SensorMonitorSettings settings, EpochMs started_ms)
    : settings_(settings), alarm_(settings.alarm), last_sample_ms_(started_ms) {}

bool SensorMonitor::any_fault() const {
  return std::any_of(faults_.begin(), faults_.end(), [](bool active) { return active; });
}

void SensorMonitor::set_fault(std::vector<SensorEvent>& events, SensorFault fault, bool active, EpochMs at_ms,
                              const std::string& detail) {
  auto& current = faults_[static_cast<std::size_t>(fault)];
  if (current == active) return;
  current = active;
  auto event = make_event(active ? SensorEvent::Kind::fault_raised : SensorEvent::Kind::fault_cleared, at_ms);
  event.value = last_value_.value_or(0);
  event.fault = fault;
  event.detail = detail;
  events.push_back(std::move(event));
}

std::vector<SensorEvent> SensorMonitor::tick(EpochMs now_ms) {
  std::vector<SensorEvent> events;
  if (now_ms - last_sample_ms_ >= settings_.faults.no_data_ms) {
    set_fault(events, SensorFault::no_data, true, now_ms,
              fmt::format("no reading for {:.0f} s", seconds(now_ms - last_sample_ms_)));
  }
  if (failing_since_ms_ && now_ms - *failing_since_ms_ >= settings_.faults.comms_lost_ms) {
    set_fault(events, SensorFault::comms_lost, true, now_ms,
              fmt::format("no answer for {:.0f} s: {}", seconds(now_ms - *failing_since_ms_), last_error_));
  }
  return events;
}

std::vector<SensorEvent> SensorMonitor::update(const SensorSample& sample) {
  std::vector<SensorEvent> events;
  last_sample_ms_ = std::max(last_sample_ms_, sample.at_ms);
  set_fault(events, SensorFault::no_data, false, sample.at_ms, "readings again");
  if (!sample.value) {
    if (!failing_since_ms_) failing_since_ms_ = sample.at_ms;
    last_error_ = sample.error;
    auto more = tick(sample.at_ms);
    events.insert(events.end(), more.begin(), more.end());
    return events;  // the alarm keeps its state (EN 54-7)
  }
  failing_since_ms_.reset();
  set_fault(events, SensorFault::comms_lost, false, sample.at_ms, "answering again");
  set_fault(events, SensorFault::device, sample.device_fault, sample.at_ms,
            sample.device_fault ? "the device reports a fault" : "the device reports healthy again");
  const double value = *sample.value;
  if (!std::isfinite(value) || value < settings_.faults.valid_min || value > settings_.faults.valid_max) {
    set_fault(events, SensorFault::out_of_range, true, sample.at_ms,
              fmt::format("reading {} outside [{}, {}]", value, settings_.faults.valid_min, settings_.faults.valid_max));
    return events;  // not a reading to act on; the alarm keeps its state
  }
  set_fault(events, SensorFault::out_of_range, false, sample.at_ms, fmt::format("reading {} in range again", value));
  check_stuck(sample.at_ms, value, events);
  track_drift(sample.at_ms, value, events);

  const double compensated = value - offset_;
  if (auto transition = alarm_.update(sample.at_ms, compensated)) {
    auto event = make_event(transition->kind == AlarmTransition::Kind::raised ? SensorEvent::Kind::alarm_raised
                                                                              : SensorEvent::Kind::alarm_cleared,
                            sample.at_ms);
    event.value = value;
    event.compensated = compensated;
    event.peak = transition->peak;
    event.by_rate_of_rise = transition->by_rate_of_rise;
    events.push_back(std::move(event));
  }
  return events;
}

void SensorMonitor::check_stuck(EpochMs at_ms, double value, std::vector<SensorEvent>& events) {
  if (!last_value_ || *last_value_ != value) {
    last_value_ = value;
    unchanged_since_ms_ = at_ms;
    set_fault(events, SensorFault::stuck, false, at_ms, "the reading changes again");
    return;
  }
  if (settings_.faults.stuck_ms > 0 && at_ms - unchanged_since_ms_ >= settings_.faults.stuck_ms) {
    set_fault(events, SensorFault::stuck, true, at_ms,
              fmt::format("reading frozen at {} for {:.0f} s", value, seconds(at_ms - unchanged_since_ms_)));
  }
}

void SensorMonitor::track_drift(EpochMs at_ms, double value, std::vector<SensorEvent>& events) {
  if (settings_.drift.max_rate_per_h <= 0) return;
  if (!baseline_) {
    baseline_ = reference_ = value;
    baseline_at_ms_ = at_ms;
    return;
  }
  const double hours = seconds(std::max<EpochMs>(0, at_ms - *baseline_at_ms_)) / 3600.0;
  baseline_at_ms_ = at_ms;
  // Follow only clean air: never while an alarm is raised or building up,
  // nor from readings above the clear level, so smoke is not learned away.
  if (alarm_.active() || alarm_.pending() || value - offset_ > settings_.alarm.clear_level) return;
  const double step = settings_.drift.max_rate_per_h * hours;
  *baseline_ += std::clamp(value - *baseline_, -step, step);
  const double wanted = *baseline_ - reference_;
  const double limit = settings_.drift.max_compensation;
  const bool exhausted = std::abs(wanted) > limit;
  offset_ = std::clamp(wanted, -limit, limit);
  set_fault(events, SensorFault::drift_exhausted, exhausted, at_ms,
            exhausted ? fmt::format("baseline moved {:+.2f} from {:.2f}, beyond the {:.2f} drift compensation allows",
                                    wanted, reference_, limit)
                      : fmt::format("baseline back within compensation ({:+.2f})", wanted));
}

}  // namespace gridwatch::edge
