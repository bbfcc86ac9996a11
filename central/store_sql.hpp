#pragma once
// SQL that SqliteStore and PostgresStore share word for word. Their
// migrations differ (column types, ALTER syntax) and stay in each store.
#include <functional>
#include <string>

#include "central/store.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "central/store.hpp"

namespace gridwatch::central {

/// The incident of an episode: its own (joined = 0), or the one it joined
/// through cross-cue correlation, found through its earlier alerts
/// (joined = 1). Columns: id, episode ended, severity, joined. ?1/$1: the
/// episode id.
inline constexpr const char* kFindEpisodeIncident =
    "SELECT id, episode_ended_ms IS NOT NULL, severity, 0 FROM incidents WHERE episode_id = $1 "
    "UNION ALL SELECT i.id, false, i.severity, 1 FROM alerts a JOIN incidents i ON i.id = a.incident_id "
    "WHERE a.episode_id = $1 AND a.incident_id IS NOT NULL LIMIT 1";

/// Open smoke/fire incidents detected between $1 and $2 (ms), inside the
/// box $3-$4 (latitude), $5-$6 (longitude) around the new cue
/// (box_around): the candidates a new fire-cue episode may join. Columns:
/// id, lat, lon, detected_at_ms, severity. The box lets the
/// incidents_fire_cue index (kind, lat, lon, detected_at_ms) skip all but
/// the nearby incidents; without it every smoke incident of the window was
/// read for each new smoke alert (docs/benchmarks.md, "Central ingest").
/// SQLite numbers `$N` parameters in order of appearance: keep $1..$6 in order.
inline constexpr const char* kFireCueCandidates =
    "SELECT id, lat, lon, detected_at_ms, severity FROM incidents WHERE kind IN ('smoke', 'fire') "
    "AND detected_at_ms BETWEEN $1 AND $2 AND lat BETWEEN $3 AND $4 AND lon BETWEEN $5 AND $6 "
    "AND resolved_ms IS NULL AND closed_ms IS NULL AND state NOT IN ('cancelled', 'false_alarm')";

/// The timeline row recording that an episode joined an incident.
inline IncidentEvent correlation_event(const Alert& alert, EpochMs at_ms) {
  IncidentEvent event;
  event.at_ms = at_ms;
  event.actor = "auto";
  event.action = "correlated";
  const std::string source = alert.location.sensor   ? "sensor " + *alert.location.sensor
                             : alert.location.camera ? "camera " + *alert.location.camera
                                                     : std::string("gateway");
  event.note = fmt::format("{} {} of {} joined this incident", to_string(alert.kind), source, alert.gateway_id);
  nlohmann::json details{{"episode_id", alert.episode_id}, {"gateway_id", alert.gateway_id},
                         {"kind", to_string(alert.kind)}, {"alert_id", alert.alert_id}};
  if (alert.location.sensor) details["sensor"] = *alert.location.sensor;
  if (alert.location.camera) details["camera"] = *alert.location.camera;
  event.details = details.dump();
  return event;
}

/// The incidents columns, in the order both stores' read_incident() expect.
inline constexpr const char* kIncidentColumns =
    "id, episode_id, gateway_id, kind, severity, urgency, certainty, confidence, state, detected_at_ms, "
    "created_ms, updated_ms, episode_ended_ms, lat, lon, camera, zone, sensor, summary, alert_count, "
    "cell_id, level, starting_level, department, unit, dispatched_ms, on_scene_ms, feedback_ms, resolved_ms, "
    "closed_ms, satisfaction, light, breaches, sla_next_ms, plate";

/// The gateways columns, in the order both stores' read_gateway() expect.
inline constexpr const char* kGatewayColumns =
    "gateway_id, presence, boot_id, version, last_seen_ms, telemetry, lat, lon, cell_id, offline_since_ms, "
    "offline_reason, maintenance_incident_id";

inline constexpr const char* kUserColumns = "name, role, password_hash, created_ms";
inline constexpr const char* kCredentialColumns =
    "secret_hash, user_name, kind, label, csrf_token, created_ms, expires_ms";

/// Turns a text value into a quoted SQL literal for the backend at hand.
using QuoteText = std::function<std::string(const std::string&)>;

/// "SELECT ... FROM incidents WHERE ... ORDER BY id DESC LIMIT n" for a
/// query: values are inlined as literals quoted by `quote` (numbers are
/// formatted by us, never taken from text).
std::string incident_query_sql(const IncidentQuery& query, const QuoteText& quote);

}  // namespace gridwatch::central
