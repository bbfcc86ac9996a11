#include <catch2/catch.hpp>

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
