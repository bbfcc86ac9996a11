#include <catch2/catch.hpp>

#include "edge/core/priority.hpp"

using namespace gridwatch;
using namespace gridwatch::edge;

TEST_CASE("fire and smoke outrank faults, parking, evidence and telemetry", "[priority]") {
  CHECK(priority_for(AlertKind::smoke) == Priority::alarm);
  CHECK(priority_for(AlertKind::fire) == Priority::alarm);
  CHECK(priority_for(AlertKind::tamper) == Priority::fault);
  CHECK(priority_for(AlertKind::sensor_fault) == Priority::fault);
  CHECK(priority_for(AlertKind::parking) == Priority::parking);
  CHECK(static_cast<int>(Priority::alarm) < static_cast<int>(Priority::fault));
  CHECK(static_cast<int>(Priority::parking) < static_cast<int>(Priority::evidence));
  CHECK(static_cast<int>(Priority::evidence) < static_cast<int>(Priority::telemetry));
  CHECK(priority_from_int(4) == Priority::telemetry);
  CHECK_FALSE(priority_from_int(5));
}
