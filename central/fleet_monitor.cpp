#include "central/fleet_monitor.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace gridwatch::central {

FleetMonitor::FleetMonitor(Store& store, const GridMap* map, FleetConfig config)
    : store_(store), map_(map), config_(config) {}

void FleetMonitor::set_change_listener(std::function<bool()> wanted,
                                       std::function<void(const GatewayRecord&)> listener) {
  wanted_ = std::move(wanted);
  listener_ = std::move(listener);
}

void FleetMonitor::changed(const GatewayRecord& gateway) {
  if (listening()) listener_(gateway);
}

void FleetMonitor::place(GatewayRecord& gateway) {
  if (!gateway.lat || !gateway.lon) return;
  const std::pair<double, double> position{*gateway.lat, *gateway.lon};
  const auto known = placed_.find(gateway.gateway_id);
  if (known != placed_.end() && known->second == position) return;
  const GridCell* cell = map_ != nullptr ? map_->locate(position.first, position.second) : nullptr;
  const std::string cell_id = cell != nullptr ? cell->id : "";
  if (cell_id != gateway.cell_id) {
    store_.set_gateway_location(gateway.gateway_id, position.first, position.second, cell_id);
    gateway.cell_id = cell_id;
  }
  placed_[gateway.gateway_id] = position;
}

void FleetMonitor::on_status(const std::string& gateway_id) {
  auto gateway = store_.gateway(gateway_id);
  if (!gateway) return;
  // The status may carry a new position (record_status then cleared the cell).
  if (gateway->cell_id.empty()) placed_.erase(gateway_id);
  place(*gateway);
  changed(*gateway);
}

void FleetMonitor::on_telemetry(const std::string& gateway_id) {
  if (!listening()) return;
  if (const auto gateway = store_.gateway(gateway_id)) changed(*gateway);
}

void FleetMonitor::on_alert(const std::string& gateway_id, double lat, double lon) {
  if (placed_.count(gateway_id) != 0) return;
  auto gateway = store_.gateway(gateway_id);
  if (!gateway) {
    gateway.emplace();
    gateway->gateway_id = gateway_id;
    gateway->presence = "unknown";
  }
  if (!gateway->lat || !gateway->lon) {
    gateway->lat = lat;
    gateway->lon = lon;
    // Written even outside every cell: the position is worth keeping.
    store_.set_gateway_location(gateway_id, lat, lon, "");
  }
  place(*gateway);
  changed(*gateway);
}

std::vector<std::string> FleetMonitor::check(EpochMs now) {
  const auto timeout_ms = static_cast<EpochMs>(config_.heartbeat_timeout_s) * 1000;
  for (const auto& gateway : store_.mark_silent_offline(now - timeout_ms, now)) {
    ++counters_.timed_out;
    spdlog::warn("gateway {} silent for {} s (last seen {}): marked offline", gateway.gateway_id,
                 config_.heartbeat_timeout_s, format_utc(gateway.last_seen_ms));
    changed(gateway);
  }
  std::vector<std::string> opened;
  const auto maintenance_ms = static_cast<EpochMs>(config_.maintenance_after_s) * 1000;
  for (auto& gateway : store_.offline_without_maintenance(now - maintenance_ms)) {
    const auto draft = maintenance_incident(gateway, now);
    const auto id = store_.open_incident(draft);
    store_.set_maintenance_incident(gateway.gateway_id, id);
    gateway.maintenance_incident_id = id;
    ++counters_.maintenance_opened;
    spdlog::warn("gateway {} offline since {} ({}): maintenance incident {} opened", gateway.gateway_id,
                 format_utc(gateway.offline_since_ms.value_or(now)), gateway.offline_reason, id);
    opened.push_back(draft.episode_id);
    changed(gateway);
  }
  return opened;
}

IncidentRecord maintenance_incident(const GatewayRecord& gateway, EpochMs now) {
  const auto since = gateway.offline_since_ms.value_or(now);
  IncidentRecord draft;
  draft.episode_id = fmt::format("maintenance:{}:{}", gateway.gateway_id, since);
  draft.gateway_id = gateway.gateway_id;
  draft.kind = "maintenance";
  draft.severity = "minor";
  draft.urgency = "Expected";
  draft.certainty = "Observed";
  draft.confidence = 1;
  // The dispatch clock starts when central noticed the outage was too long.
  draft.detected_at_ms = now;
  draft.created_ms = now;
  draft.lat = gateway.lat.value_or(0);
  draft.lon = gateway.lon.value_or(0);
  draft.summary = fmt::format("gateway {} offline since {} ({})", gateway.gateway_id, format_utc(since),
                              gateway.offline_reason == "heartbeat_timeout" ? "heartbeats stopped" : "went offline");
  return draft;
}

}  // namespace gridwatch::central
