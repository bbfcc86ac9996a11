#include <catch2/catch.hpp>

#include "edge/core/threshold_alarm.hpp"

using namespace gridwatch::edge;

TEST_CASE("alarm raises only after the minimum duration above the level", "[alarm]") {
  ThresholdAlarm alarm({8.0, 4.0, 5000});
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
  ThresholdAlarm alarm({8.0, 4.0, 10'000});
  for (int t = 0; t < 6; ++t) CHECK_FALSE(alarm.update(t * 1000, 12.0));
  CHECK_FALSE(alarm.update(6000, 1.0));   // dropped below: pending time resets
  CHECK_FALSE(alarm.update(7000, 12.0));
  CHECK_FALSE(alarm.update(16'000, 12.0));  // 9 s since restart
  CHECK(alarm.update(17'000, 12.0));
}

TEST_CASE("hysteresis: no flapping around the raise level", "[alarm]") {
  ThresholdAlarm alarm({8.0, 4.0, 0});
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
