#pragma once
// SQL that SqliteStore and PostgresStore share word for word. Their
// migrations differ (column types, ALTER syntax) and stay in each store.
#include <functional>
#include <string>

#include "central/store.hpp"

namespace gridwatch::central {

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
