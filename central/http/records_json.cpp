#include "central/http/records_json.hpp"

namespace gridwatch::central {

nlohmann::json to_json(const IncidentRecord& incident) {
  nlohmann::json out{{"id", incident.id},
                     {"episode_id", incident.episode_id},
                     {"gateway_id", incident.gateway_id},
                     {"kind", incident.kind},
                     {"severity", incident.severity},
                     {"urgency", incident.urgency},
                     {"certainty", incident.certainty},
                     {"confidence", incident.confidence},
                     {"state", incident.state},
                     {"detected_at_ms", incident.detected_at_ms},
                     {"created_ms", incident.created_ms},
                     {"updated_ms", incident.updated_ms},
                     {"episode_ended_ms", nullptr},
                     {"lat", incident.lat},
                     {"lon", incident.lon},
                     {"camera", incident.camera},
                     {"zone", incident.zone},
                     {"sensor", incident.sensor},
                     {"summary", incident.summary},
                     {"alert_count", incident.alert_count}};
  if (incident.episode_ended_ms) out["episode_ended_ms"] = *incident.episode_ended_ms;
  auto optional_ms = [](const std::optional<EpochMs>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
  };
  out["dispatch"] = {
      {"cell_id", incident.cell_id},
      {"level", incident.level},
      {"starting_level", incident.starting_level},
      {"department", incident.department},
      {"unit", incident.unit},
      {"dispatched_ms", optional_ms(incident.dispatched_ms)},
      {"on_scene_ms", optional_ms(incident.on_scene_ms)},
      {"feedback_ms", optional_ms(incident.feedback_ms)},
      {"resolved_ms", optional_ms(incident.resolved_ms)},
      {"closed_ms", optional_ms(incident.closed_ms)},
      {"satisfaction", incident.satisfaction ? nlohmann::json(*incident.satisfaction) : nlohmann::json(nullptr)},
      {"light", incident.light},
      {"breaches", incident.breaches}};
  return out;
}

nlohmann::json to_json(const IncidentEvent& event) {
  auto details = nlohmann::json::parse(event.details, nullptr, false);
  if (!details.is_object()) details = nlohmann::json::object();
  return {{"id", event.id},         {"at_ms", event.at_ms},           {"actor", event.actor},
          {"action", event.action}, {"from_state", event.from_state}, {"to_state", event.to_state},
          {"note", event.note},     {"details", std::move(details)}};
}

nlohmann::json to_json(const GatewayRecord& gateway) {
  nlohmann::json out{{"gateway_id", gateway.gateway_id},
                     {"presence", gateway.presence},
                     {"boot_id", gateway.boot_id},
                     {"version", gateway.version},
                     {"last_seen_ms", gateway.last_seen_ms},
                     {"telemetry", nullptr},
                     {"lat", gateway.lat ? nlohmann::json(*gateway.lat) : nlohmann::json(nullptr)},
                     {"lon", gateway.lon ? nlohmann::json(*gateway.lon) : nlohmann::json(nullptr)},
                     {"cell_id", gateway.cell_id},
                     {"offline_since_ms", gateway.offline_since_ms ? nlohmann::json(*gateway.offline_since_ms)
                                                                   : nlohmann::json(nullptr)},
                     {"offline_reason", gateway.offline_reason},
                     {"maintenance_incident_id", gateway.maintenance_incident_id
                                                     ? nlohmann::json(*gateway.maintenance_incident_id)
                                                     : nlohmann::json(nullptr)}};
  if (!gateway.telemetry_json.empty()) {
    // Stored as received (ingest validated it), but a row written by an older
    // build or edited by hand must not turn the whole fleet listing into a 500.
    auto telemetry = nlohmann::json::parse(gateway.telemetry_json, nullptr, /*allow_exceptions=*/false);
    if (telemetry.is_object()) out["telemetry"] = std::move(telemetry);
  }
  return out;
}

namespace {

std::uint64_t sum_counts(const nlohmann::json& telemetry, const char* key) {
  std::uint64_t total = 0;
  const auto outbox = telemetry.find("outbox");
  if (outbox == telemetry.end() || !outbox->is_object()) return 0;
  const auto counts = outbox->find(key);
  if (counts == outbox->end() || !counts->is_object()) return 0;
  for (const auto& [name, value] : counts->items()) {
    if (value.is_number_unsigned()) total += value.get<std::uint64_t>();
  }
  return total;
}

}  // namespace

nlohmann::json to_fleet_json(const GatewayRecord& gateway) {
  auto out = to_json(gateway);
  const auto& telemetry = out["telemetry"];
  const bool have = telemetry.is_object();
  auto devices = [&](const char* key) {
    if (!have) return nlohmann::json::array();
    const auto found = telemetry.find(key);
    return found != telemetry.end() && found->is_array() ? *found : nlohmann::json::array();
  };
  out["cameras"] = devices("cameras");
  out["sensors"] = devices("sensors");
  out["outbox_depth"] = have ? nlohmann::json(sum_counts(telemetry, "depth")) : nlohmann::json(nullptr);
  out["dropped"] = have ? nlohmann::json(sum_counts(telemetry, "dropped")) : nlohmann::json(nullptr);
  return out;
}

nlohmann::json to_json(const StoredAlert& alert) {
  auto payload = nlohmann::json::parse(alert.payload, nullptr, false);
  if (!payload.is_object()) payload = nlohmann::json::object();
  payload["received_ms"] = alert.received_ms;
  payload["alert_id"] = alert.alert_id;
  payload["phase"] = alert.phase;
  return payload;
}

}  // namespace gridwatch::central
