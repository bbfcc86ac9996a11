#include "central/core/incident_rules.hpp"

namespace gridwatch::central {
namespace {

int rank(Severity severity) {
  switch (severity) {
    case Severity::extreme: return 4;
    case Severity::severe: return 3;
    case Severity::moderate: return 2;
    case Severity::minor: return 1;
    case Severity::unknown: return 0;
  }
  return 0;
}

}  // namespace

IncidentAction decide(const Alert& alert, const std::optional<EpisodeIncident>& existing) {
  if (!existing) return IncidentAction::open;
  return alert.phase == Phase::end ? IncidentAction::end_episode : IncidentAction::update;
}

CapClassification classify(const Alert& alert) {
  CapClassification out{"Expected", "Possible"};
  switch (alert.kind) {
    case AlertKind::smoke:
    case AlertKind::fire:
      out.urgency = "Immediate";
      break;
    case AlertKind::parking:
    case AlertKind::tamper:
    case AlertKind::sensor_fault:
    case AlertKind::camera_fault:
      out.urgency = "Expected";
      break;
  }
  // A detector's confidence maps onto CAP's certainty words.
  if (alert.confidence >= 0.9) {
    out.certainty = "Observed";
  } else if (alert.confidence >= 0.6) {
    out.certainty = "Likely";
  } else if (alert.confidence >= 0.3) {
    out.certainty = "Possible";
  } else {
    out.certainty = "Unlikely";
  }
  return out;
}

Severity max_severity(Severity a, Severity b) { return rank(a) >= rank(b) ? a : b; }

}  // namespace gridwatch::central
