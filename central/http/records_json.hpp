#pragma once
// The one JSON mapping of central's records, shared by the HTTP API and
// `gridwatch-central events --json`, so both always show the same fields.
#include <nlohmann/json.hpp>

#include "central/store.hpp"

namespace gridwatch::central {

/// All IncidentRecord fields; `episode_ended_ms` is null while the episode is open.
nlohmann::json to_json(const IncidentRecord& incident);

/// All GatewayRecord fields; `telemetry` is the last telemetry payload parsed
/// back into an object, or null when none was stored or it is not a JSON object.
nlohmann::json to_json(const GatewayRecord& gateway);

/// A gateway as the fleet page shows it: to_json(gateway) plus, from its
/// last telemetry, `cameras`, `sensors`, `outbox_depth` (undelivered rows,
/// all priorities) and `dropped` (rows dropped, all priorities).
nlohmann::json to_fleet_json(const GatewayRecord& gateway);

/// One alert of an incident: the stored payload parsed back (box, zone,
/// evidence ids), plus when central received it.
nlohmann::json to_json(const StoredAlert& alert);

/// One timeline entry; `details` parsed back into an object.
nlohmann::json to_json(const IncidentEvent& event);

}  // namespace gridwatch::central
