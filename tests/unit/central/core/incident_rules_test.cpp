#include <catch2/catch.hpp>
#include <cmath>

#include "central/core/incident_rules.hpp"
#include "tests/unit/central/alert_builder.hpp"

using namespace gridwatch;
using namespace gridwatch::central;

TEST_CASE("the first message of an episode opens the incident, whatever its phase", "[rules]") {
  CHECK(decide(test::make_alert("gw", 1, Phase::start), std::nullopt) == IncidentAction::open);
  CHECK(decide(test::make_alert("gw", 2, Phase::update), std::nullopt) == IncidentAction::open);
  CHECK(decide(test::make_alert("gw", 3, Phase::end), std::nullopt) == IncidentAction::open);
}

TEST_CASE("later messages update or end the episode", "[rules]") {
  const EpisodeIncident open{7, false};
  CHECK(decide(test::make_alert("gw", 2, Phase::update), open) == IncidentAction::update);
  CHECK(decide(test::make_alert("gw", 3, Phase::end), open) == IncidentAction::end_episode);
  CHECK(decide(test::make_alert("gw", 4, Phase::start), open) == IncidentAction::update);
}

TEST_CASE("CAP classification", "[rules]") {
  auto alert = test::make_alert("gw", 1, Phase::start);
  alert.confidence = 0.95;
  CHECK(classify(alert).urgency == "Immediate");
  CHECK(classify(alert).certainty == "Observed");
  alert.kind = AlertKind::parking;
  alert.confidence = 0.5;
  CHECK(classify(alert).urgency == "Expected");
  CHECK(classify(alert).certainty == "Possible");
  CHECK(max_severity(Severity::minor, Severity::extreme) == Severity::extreme);
  CHECK(max_severity(Severity::severe, Severity::unknown) == Severity::severe);
}

TEST_CASE("a new fire cue joins the nearest open fire incident within radius and window", "[rules][correlation]") {
  CorrelationSettings settings;  // 300 m, 5 min
  auto sensor_alarm = test::make_alert("gw-2", 1, Phase::start);
  sensor_alarm.location.lat = 30.5;
  sensor_alarm.location.lon = 104.1;
  const EpochMs t = sensor_alarm.detected_at_ms;
  // ~111 m per 0.001 degree of latitude.
  const std::vector<CorrelationCandidate> candidates{
      {7, 30.5020, 104.1, t - 20'000},   // ~222 m
      {8, 30.5010, 104.1, t - 400'000},  // ~111 m but 400 s earlier
      {9, 30.5009, 104.1, t + 10'000},   // ~100 m, nearest in time window
  };
  CHECK(correlate(sensor_alarm, candidates, settings) == std::optional<std::int64_t>(9));
  CHECK(correlate(sensor_alarm, {candidates[0]}, settings) == std::optional<std::int64_t>(7));
  CHECK_FALSE(correlate(sensor_alarm, {candidates[1]}, settings));  // outside the window
  settings.radius_m = 150;
  CHECK_FALSE(correlate(sensor_alarm, {candidates[0]}, settings));  // too far
  auto parking = sensor_alarm;
  parking.kind = AlertKind::parking;
  CHECK_FALSE(correlate(parking, candidates, settings));  // only fire cues correlate
  auto fire = sensor_alarm;
  fire.kind = AlertKind::fire;
  CHECK(correlate(fire, candidates, settings) == std::optional<std::int64_t>(9));
  settings.enabled = false;
  CHECK_FALSE(correlate(sensor_alarm, candidates, settings));
  CHECK(distance_m(30.5, 104.1, 30.501, 104.1) == Approx(111.2).margin(0.5));
}

TEST_CASE("the box around a cue holds every point within the radius, and little more", "[rules]") {
  auto inside = [](const LatLonBox& box, double lat, double lon) {
    return lat >= box.min_lat && lat <= box.max_lat && lon >= box.min_lon && lon <= box.max_lon;
  };
  for (const double lat : {0.0, 30.66, -45.0, 70.0, 89.5}) {
    const auto box = box_around(lat, 104.06, 300);
    // Walk the rim, 1 degree of bearing at a time, just inside 300 m.
    int rim_points = 0;
    for (int bearing = 0; bearing < 360; ++bearing) {
      const double b = bearing * 3.14159265358979323846 / 180;
      // Search the point at 299.9 m along this bearing by bisection on the offset.
      double low = 0, high = 0.01;
      for (int i = 0; i < 60; ++i) {
        const double mid = (low + high) / 2;
        const double p_lat = lat + mid * std::cos(b);
        const double p_lon = 104.06 + mid * std::sin(b) / std::cos(lat * 3.14159265358979323846 / 180);
        (distance_m(lat, 104.06, p_lat, p_lon) < 299.9 ? low : high) = mid;
      }
      const double p_lat = lat + low * std::cos(b);
      const double p_lon = 104.06 + low * std::sin(b) / std::cos(lat * 3.14159265358979323846 / 180);
      if (inside(box, p_lat, p_lon)) ++rim_points;
    }
    CHECK(rim_points == 360);
    // ... and not much more: 600 m north or east is outside.
    CHECK_FALSE(inside(box, lat + 600 / 111'195.0, 104.06));
    if (lat < 89) CHECK_FALSE(inside(box, lat, 104.06 + 600 / (111'195.0 * std::cos(lat * 3.14159265358979323846 / 180))));
  }
  // Across the antimeridian or at a pole every longitude is kept.
  const auto dateline = box_around(10, 179.999, 300);
  CHECK(dateline.min_lon == -180);
  CHECK(dateline.max_lon == 180);
  const auto pole = box_around(89.999, 0, 300);
  CHECK(pole.min_lon == -180);
  CHECK(pole.max_lat == 90);
}
