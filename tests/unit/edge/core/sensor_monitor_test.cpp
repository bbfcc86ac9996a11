#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "edge/core/sensor_monitor.hpp"

using namespace gridwatch;
using namespace gridwatch::edge;

namespace {

SensorMonitorSettings smoke_settings() {
  SensorMonitorSettings settings;
  settings.alarm = {8.0, 4.0, 8000, {}};
  settings.faults = {0, 100, 30'000, 5'000, 300'000};
  return settings;
}

SensorSample value_at(EpochMs at_ms, double value) { return SensorSample{at_ms, value, "", false}; }
SensorSample failure_at(EpochMs at_ms) { return SensorSample{at_ms, std::nullopt, "timeout", false}; }

int count(const std::vector<SensorEvent>& events, SensorEvent::Kind kind) {
  return static_cast<int>(std::count_if(events.begin(), events.end(), [kind](const SensorEvent& e) { return e.kind == kind; }));
}

const SensorEvent* find_fault(const std::vector<SensorEvent>& events, SensorFault fault, SensorEvent::Kind kind) {
  for (const auto& event : events) {
    if (event.kind == kind && event.fault == fault) return &event;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("sensor monitor: level alarm with minimum duration and hysteresis", "[sensor-monitor]") {
  SensorMonitor monitor(smoke_settings(), 0);
  std::vector<SensorEvent> all;
  for (int t = 0; t < 30; ++t) {
    const double value = t < 10 ? 0.3 : (t < 25 ? 9.0 : 6.0);  // above 8 from 10 s, then between clear and raise
    auto events = monitor.update(value_at(t * 1000, value));
    all.insert(all.end(), events.begin(), events.end());
  }
  REQUIRE(count(all, SensorEvent::Kind::alarm_raised) == 1);
  CHECK(all.front().at_ms == 18'000);
  CHECK(monitor.alarm_active());  // 6 is above the clear level
  const auto cleared = monitor.update(value_at(31'000, 3.9));
  CHECK(count(cleared, SensorEvent::Kind::alarm_cleared) == 1);
}

TEST_CASE("sensor monitor: a cooking spike shorter than the minimum duration never alarms", "[sensor-monitor]") {
  SensorMonitor monitor(smoke_settings(), 0);
  for (int t = 0; t < 60; ++t) {
    const double value = (t >= 20 && t < 27) ? 12.0 : 0.3;  // 7 s over the level, minimum is 8 s
    CHECK(count(monitor.update(value_at(t * 1000, value)), SensorEvent::Kind::alarm_raised) == 0);
  }
}

TEST_CASE("sensor monitor: a fault never cancels an active alarm (EN 54-7)", "[sensor-monitor]") {
  SensorMonitor monitor(smoke_settings(), 0);
  for (int t = 0; t <= 10; ++t) monitor.update(value_at(t * 1000, 12.0));
  REQUIRE(monitor.alarm_active());

  SECTION("comms lost") {
    std::vector<SensorEvent> all;
    for (int t = 11; t < 40; ++t) {
      auto events = monitor.update(failure_at(t * 1000));
      all.insert(all.end(), events.begin(), events.end());
    }
    CHECK(find_fault(all, SensorFault::comms_lost, SensorEvent::Kind::fault_raised) != nullptr);
    CHECK(count(all, SensorEvent::Kind::alarm_cleared) == 0);
    CHECK(monitor.alarm_active());
    // Back, still smoky: the fault clears, the alarm stays.
    auto back = monitor.update(value_at(41'000, 11.0));
    CHECK(find_fault(back, SensorFault::comms_lost, SensorEvent::Kind::fault_cleared) != nullptr);
    CHECK(count(back, SensorEvent::Kind::alarm_cleared) == 0);
    CHECK(monitor.alarm_active());
  }
  SECTION("out of range") {
    auto events = monitor.update(value_at(11'000, std::numeric_limits<double>::infinity()));
    CHECK(find_fault(events, SensorFault::out_of_range, SensorEvent::Kind::fault_raised) != nullptr);
    events = monitor.update(value_at(12'000, -5.0));
    CHECK(count(events, SensorEvent::Kind::alarm_cleared) == 0);
    CHECK(monitor.alarm_active());
  }
  SECTION("no data") {
    auto events = monitor.tick(45'000);
    CHECK(find_fault(events, SensorFault::no_data, SensorEvent::Kind::fault_raised) != nullptr);
    CHECK(monitor.alarm_active());
  }
  SECTION("the device's own fault flag") {
    auto events = monitor.update(SensorSample{11'000, 12.0, "", true});
    CHECK(find_fault(events, SensorFault::device, SensorEvent::Kind::fault_raised) != nullptr);
    CHECK(monitor.alarm_active());
  }
}

TEST_CASE("sensor monitor: no data and comms lost are raised by the clock", "[sensor-monitor]") {
  SensorMonitor monitor(smoke_settings(), 1'000'000);
  CHECK(monitor.tick(1'029'000).empty());
  const auto silent = monitor.tick(1'030'000);
  const auto* fault = find_fault(silent, SensorFault::no_data, SensorEvent::Kind::fault_raised);
  REQUIRE(fault);
  CHECK(fault->detail.find("no reading for 30 s") != std::string::npos);
  CHECK(monitor.tick(1'031'000).empty());  // raised once, not every tick
  const auto back = monitor.update(value_at(1'032'000, 0.3));
  CHECK(find_fault(back, SensorFault::no_data, SensorEvent::Kind::fault_cleared) != nullptr);

  monitor.update(failure_at(1'033'000));
  CHECK_FALSE(monitor.fault_active(SensorFault::comms_lost));  // one failed read is not a lost link
  const auto lost = monitor.tick(1'038'000);
  CHECK(find_fault(lost, SensorFault::comms_lost, SensorEvent::Kind::fault_raised) != nullptr);
}

TEST_CASE("sensor monitor: a frozen reading is a stuck fault, a changing one clears it", "[sensor-monitor]") {
  SensorMonitor monitor(smoke_settings(), 0);
  std::vector<SensorEvent> all;
  for (int t = 0; t <= 300; ++t) {
    auto events = monitor.update(value_at(t * 1000, 0.42));
    all.insert(all.end(), events.begin(), events.end());
  }
  const auto* stuck = find_fault(all, SensorFault::stuck, SensorEvent::Kind::fault_raised);
  REQUIRE(stuck);
  CHECK(stuck->at_ms == 300'000);
  const auto moving = monitor.update(value_at(301'000, 0.43));
  CHECK(find_fault(moving, SensorFault::stuck, SensorEvent::Kind::fault_cleared) != nullptr);
}

TEST_CASE("sensor monitor: drift compensation follows slow dirt, not smoke, and faults when exhausted",
          "[sensor-monitor][drift]") {
  auto settings = smoke_settings();
  settings.drift = {3.0, 4.0};  // up to 3 per hour, at most 4 in total
  settings.faults.stuck_ms = 0;
  SensorMonitor monitor(settings, 0);
  std::vector<SensorEvent> all;
  // Dirt: +1.5 per hour for 4 hours, with a little noise so it is not stuck.
  for (int t = 0; t <= 4 * 3600; t += 10) {
    const double value = 0.3 + 1.5 * t / 3600.0 + ((t / 10) % 2 == 0 ? 0.02 : -0.02);
    auto events = monitor.update(value_at(static_cast<EpochMs>(t) * 1000, value));
    all.insert(all.end(), events.begin(), events.end());
    if (t == 2 * 3600) {
      // Two hours in: 3 units of drift are compensated away.
      CHECK(monitor.drift_offset() == Approx(3.0).margin(0.1));
    }
  }
  CHECK(count(all, SensorEvent::Kind::alarm_raised) == 0);
  const auto* exhausted = find_fault(all, SensorFault::drift_exhausted, SensorEvent::Kind::fault_raised);
  REQUIRE(exhausted);
  // 4 units at 1.5 per hour: about 2 h 40 min.
  CHECK(static_cast<double>(exhausted->at_ms) / 1000.0 == Approx(9600).margin(300));
  CHECK(monitor.drift_offset() == Approx(4.0));

  // A fire on top still alarms: the baseline cannot follow smoke.
  SensorMonitor fresh(settings, 0);
  for (int t = 0; t < 60; ++t) fresh.update(value_at(t * 1000, 0.3));
  std::vector<SensorEvent> fire;
  for (int t = 60; t < 200; ++t) {
    auto events = fresh.update(value_at(t * 1000, 0.3 + 0.15 * (t - 60)));
    fire.insert(fire.end(), events.begin(), events.end());
  }
  CHECK(count(fire, SensorEvent::Kind::alarm_raised) == 1);
  CHECK(fresh.drift_offset() == Approx(0.0).margin(0.05));  // at most 3 per hour before the alarm
}
