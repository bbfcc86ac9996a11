#include "central/core/incident_rules.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

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

bool is_fire_cue(AlertKind kind) { return kind == AlertKind::smoke || kind == AlertKind::fire; }
bool is_fire_cue(std::string_view kind) { return kind == "smoke" || kind == "fire"; }

namespace {
constexpr double kEarthRadiusM = 6'371'008.8;
constexpr double kRadians = 3.14159265358979323846 / 180.0;
}  // namespace

double distance_m(double lat1, double lon1, double lat2, double lon2) {
  const double dlat = (lat2 - lat1) * kRadians;
  const double dlon = (lon2 - lon1) * kRadians;
  const double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(lat1 * kRadians) * std::cos(lat2 * kRadians) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(a)));
}

LatLonBox box_around(double lat, double lon, double radius_m) {
  // A little wider than exact, so rounding never drops a point on the rim.
  const double angle = radius_m / kEarthRadiusM * 1.001 + 1e-9;
  LatLonBox box;
  box.min_lat = std::max(-90.0, lat - angle / kRadians);
  box.max_lat = std::min(90.0, lat + angle / kRadians);
  // The widest longitude offset on a circle of angular radius `angle`
  // around latitude `lat` is asin(sin(angle) / cos(lat)).
  const double ratio = std::sin(angle) / std::cos(lat * kRadians);
  if (box.min_lat <= -90.0 || box.max_lat >= 90.0 || ratio >= 1.0) return box;
  const double half_lon = std::asin(ratio) / kRadians;
  if (lon - half_lon < -180.0 || lon + half_lon > 180.0) return box;
  box.min_lon = lon - half_lon;
  box.max_lon = lon + half_lon;
  return box;
}

std::optional<std::int64_t> correlate(const Alert& alert, const std::vector<CorrelationCandidate>& candidates,
                                      const CorrelationSettings& settings) {
  if (!settings.enabled || !is_fire_cue(alert.kind)) return std::nullopt;
  std::optional<std::int64_t> best;
  double best_distance = settings.radius_m;
  for (const auto& candidate : candidates) {
    if (std::llabs(candidate.detected_at_ms - alert.detected_at_ms) > settings.window_ms) continue;
    const double distance = distance_m(alert.location.lat, alert.location.lon, candidate.lat, candidate.lon);
    // Ties go to the older incident: the one staff already act on.
    if (distance < best_distance || (distance == best_distance && best && candidate.incident_id < *best)) {
      best_distance = distance;
      best = candidate.incident_id;
    }
  }
  return best;
}

}  // namespace gridwatch::central
