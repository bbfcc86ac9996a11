#include <catch2/catch.hpp>

#include "edge/core/threshold_alarm.hpp"

#include <cmath>

using namespace gridwatch;
using namespace gridwatch::edge;

TEST_CASE("alarm raises only after the minimum duration above the level", "[alarm]") {
  ThresholdAlarm alarm({8.0, 4.0, 5000, {}});
  CHECK_FALSE(alarm.update(0, 1.0));
  CHECK_FALSE(alarm.update(1000, 9.0));  // above, pending
  CHECK_FALSE(alarm.update(5000, 9.5));  // 4 s above
  const auto raised = alarm.update(6000, 10.0);  // 5 s above
  REQUIRE(raised);
  CHECK(raised->kind == AlarmTransition::Kind::raised);
  CHECK(raised->at_ms == 6000);
  CHECK(alarm.active());
}

TEST_CASE("a spike shorter than the minimum duration never alarms (cooking)", "[alarm]") {
  ThresholdAlarm alarm({8.0, 4.0, 10'000, {}});
  for (int t = 0; t < 6; ++t) CHECK_FALSE(alarm.update(t * 1000, 12.0));
  CHECK_FALSE(alarm.update(6000, 1.0));   // dropped below: pending time resets
  CHECK_FALSE(alarm.update(7000, 12.0));
  CHECK_FALSE(alarm.update(16'000, 12.0));  // 9 s since restart
  CHECK(alarm.update(17'000, 12.0));
}

TEST_CASE("the minimum duration runs on while noise dips a reading between the clear and raise levels",
          "[alarm]") {
  // A creeping smoulder: noise takes single readings back under the level.
  ThresholdAlarm alarm({8.0, 6.0, 6000, {}});
  CHECK_FALSE(alarm.update(0, 8.1));     // at the level: the count starts
  CHECK_FALSE(alarm.update(1000, 7.9));  // dip, above the clear level: counting on
  CHECK_FALSE(alarm.update(2000, 8.2));
  CHECK_FALSE(alarm.update(3000, 7.8));
  CHECK_FALSE(alarm.update(4000, 8.2));
  CHECK_FALSE(alarm.update(5000, 8.3));
  CHECK_FALSE(alarm.update(6000, 7.9));  // 6 s, but this reading is under the level: no alarm on it
  const auto raised = alarm.update(7000, 8.4);
  REQUIRE(raised);
  CHECK(raised->at_ms == 7000);

  // Falling to the clear level does restart the count.
  ThresholdAlarm restarted({8.0, 6.0, 6000, {}});
  CHECK_FALSE(restarted.update(0, 8.5));
  CHECK_FALSE(restarted.update(3000, 6.0));  // at the clear level
  CHECK_FALSE(restarted.update(4000, 8.5));  // counts from here
  CHECK_FALSE(restarted.update(9000, 8.5));
  CHECK(restarted.update(10'000, 8.5));

  // A short spike that decays between the levels never alarms.
  ThresholdAlarm spike({8.0, 6.0, 6000, {}});
  for (int t = 0; t <= 5; ++t) CHECK_FALSE(spike.update(t * 1000, 11.0));
  for (int t = 6; t <= 30; ++t) CHECK_FALSE(spike.update(t * 1000, 7.0));
  CHECK_FALSE(spike.active());
}

TEST_CASE("hysteresis: no flapping around the raise level", "[alarm]") {
  ThresholdAlarm alarm({8.0, 4.0, 0, {}});
  REQUIRE(alarm.update(0, 8.0));
  CHECK_FALSE(alarm.update(1000, 7.0));  // below raise, above clear: stays active
  CHECK_FALSE(alarm.update(2000, 8.5));
  CHECK(alarm.active());
  const auto cleared = alarm.update(3000, 4.0);
  REQUIRE(cleared);
  CHECK(cleared->kind == AlarmTransition::Kind::cleared);
  CHECK(cleared->peak == Approx(8.5));
  CHECK_FALSE(alarm.active());
}

TEST_CASE("rate of rise alarms on a sustained climb below the level", "[alarm][rate-of-rise]") {
  ThresholdAlarmSettings settings{8.0, 4.0, 8000, {3.0, 30'000, 15'000}};
  ThresholdAlarm alarm(settings);
  // +0.15 per second (a smoulder): 3 units within 30 s after 20 s.
  std::optional<AlarmTransition> raised;
  EpochMs raised_at = 0;
  for (int t = 0; t <= 60 && !raised; ++t) {
    raised = alarm.update(t * 1000, 0.3 + 0.15 * t);
    raised_at = t * 1000;
  }
  REQUIRE(raised);
  CHECK(raised->by_rate_of_rise);
  CHECK(raised->value < 8.0);  // well before the level
  // Rising from about 20 s (3 units in 30 s), sustained 15 s.
  CHECK(raised_at >= 35'000);
  CHECK(raised_at <= 36'000);
}

TEST_CASE("a fast spike shorter than the rate-of-rise duration does not alarm", "[alarm][rate-of-rise]") {
  ThresholdAlarm alarm({8.0, 4.0, 8000, {3.0, 30'000, 15'000}});
  // A 9 s cooking spike peaking at 14: rises fast, but neither rule holds long enough.
  for (int t = 0; t < 120; ++t) {
    const double spike = (t >= 30 && t < 39) ? 14.0 * std::sin((t - 30) * 3.14159 / 9.0) : 0.0;
    CHECK_FALSE(alarm.update(t * 1000, 0.3 + spike));
  }
  CHECK_FALSE(alarm.active());
}

TEST_CASE("an alarm raised by the rise does not clear while the value keeps rising", "[alarm][rate-of-rise]") {
  ThresholdAlarm alarm({8.0, 4.0, 0, {1.0, 10'000, 0}});
  CHECK_FALSE(alarm.update(0, 0.0));
  REQUIRE(alarm.update(5000, 2.0));  // +2 in 5 s, below the clear level
  CHECK_FALSE(alarm.update(6000, 3.5));
  CHECK(alarm.active());
  // Flat below the clear level: the window empties of rise, so it clears.
  std::optional<AlarmTransition> cleared;
  for (int t = 7; t < 30 && !cleared; ++t) cleared = alarm.update(t * 1000, 3.5);
  REQUIRE(cleared);
  CHECK(cleared->kind == AlarmTransition::Kind::cleared);
}
