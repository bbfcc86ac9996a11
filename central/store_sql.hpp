#pragma once
// SQL that SqliteStore and PostgresStore share word for word. Their
// migrations differ (column types, ALTER syntax) and stay in each store.

namespace gridwatch::central {

/// The incidents columns, in the order both stores' read_incident() expect.
inline constexpr const char* kIncidentColumns =
    "id, episode_id, gateway_id, kind, severity, urgency, certainty, confidence, state, detected_at_ms, "
    "created_ms, updated_ms, episode_ended_ms, lat, lon, camera, zone, sensor, summary, alert_count, "
    "cell_id, level, starting_level, department, unit, dispatched_ms, on_scene_ms, feedback_ms, resolved_ms, "
    "closed_ms, satisfaction, light, breaches, sla_next_ms, plate";

}  // namespace gridwatch::central
