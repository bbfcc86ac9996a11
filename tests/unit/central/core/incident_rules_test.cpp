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
