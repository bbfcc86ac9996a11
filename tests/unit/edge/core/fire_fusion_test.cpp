#include <catch2/catch.hpp>

#include "edge/core/fire_fusion.hpp"

using namespace gridwatch::edge;

namespace {
FireFusion fusion() { return FireFusion({{"smoke1", "cam1"}, {"smoke2", "cam2"}}, 120'000); }
}  // namespace

TEST_CASE("fusion: a sensor alarm and a camera smoke of the same view within the window make one fire",
          "[fusion]") {
  auto fire = fusion();
  CHECK_FALSE(fire.camera_smoke_started("cam1", "gw:1:10", 1'000'000, 0.6));
  const auto decision = fire.sensor_alarm_started("smoke1", "gw:1:11", 1'090'000, 0.8);
  REQUIRE(decision);
  CHECK(decision->kind == FireDecision::Kind::start);
  CHECK(decision->camera_id == "cam1");
  CHECK(decision->sensor_id == "smoke1");
  CHECK(decision->camera.alert_id == "gw:1:10");
  CHECK(decision->sensor.alert_id == "gw:1:11");
  // Higher than either cue alone.
  CHECK(decision->confidence == Approx(0.92));
  CHECK(decision->confidence > 0.8);
  // A second sensor alarm of the same pair does not make a second fire.
  CHECK_FALSE(fire.sensor_alarm_ended("smoke1", 1'100'000));  // the camera still sees smoke
  CHECK_FALSE(fire.sensor_alarm_started("smoke1", "gw:1:12", 1'110'000, 0.8));
  CHECK_FALSE(fire.sensor_alarm_ended("smoke1", 1'120'000));
  const auto end = fire.camera_smoke_ended("cam1", 1'130'000);
  REQUIRE(end);
  CHECK(end->kind == FireDecision::Kind::end);
}

TEST_CASE("fusion: cues outside the window, or of views the config does not associate, stay apart", "[fusion]") {
  SECTION("ended long before") {
    auto fire = fusion();
    fire.camera_smoke_started("cam1", "c", 0, 0.6);
    fire.camera_smoke_ended("cam1", 10'000);
    CHECK_FALSE(fire.sensor_alarm_started("smoke1", "s", 10'000 + 120'001, 0.8));
  }
  SECTION("ended just within the window") {
    auto fire = fusion();
    fire.camera_smoke_started("cam1", "c", 0, 0.6);
    fire.camera_smoke_ended("cam1", 10'000);
    CHECK(fire.sensor_alarm_started("smoke1", "s", 10'000 + 120'000, 0.8));
  }
  SECTION("another camera") {
    auto fire = fusion();
    fire.camera_smoke_started("cam2", "c", 0, 0.6);
    CHECK_FALSE(fire.sensor_alarm_started("smoke1", "s", 1000, 0.8));
  }
  SECTION("a sensor without a camera") {
    auto fire = fusion();
    fire.camera_smoke_started("cam1", "c", 0, 0.6);
    CHECK_FALSE(fire.sensor_alarm_started("smoke9", "s", 1000, 0.8));
  }
}

TEST_CASE("fusion: a long sensor alarm still pairs with a later camera detection", "[fusion]") {
  auto fire = fusion();
  CHECK_FALSE(fire.sensor_alarm_started("smoke1", "s", 0, 0.8));
  const auto decision = fire.camera_smoke_started("cam1", "c", 600'000, 0.7);
  REQUIRE(decision);
  CHECK(decision->confidence == Approx(0.94));
  CHECK(fire.fire_active("smoke1"));
}

TEST_CASE("fusion: confidence is capped below certainty", "[fusion]") {
  CHECK(fused_confidence(0.99, 0.99) == Approx(0.99));
  CHECK(fused_confidence(0.5, 0.5) == Approx(0.75));
}
