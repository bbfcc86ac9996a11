#pragma once
// The fleet registry's live side: places each gateway in its grid cell,
// marks a gateway whose heartbeats stopped offline, and opens a
// maintenance incident for a gateway offline too long. The registry
// itself lives in the store (GatewayRecord); this class runs on the
// io_context thread and only decides when to write.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "central/central_config.hpp"
#include "central/core/grid_map.hpp"
#include "central/store.hpp"

namespace gridwatch::central {

struct FleetCounters {
  std::uint64_t timed_out = 0;             ///< gateways marked offline for silence
  std::uint64_t maintenance_opened = 0;    ///< maintenance incidents opened
};

class FleetMonitor {
 public:
  /// `map` may be null (no cells configured): gateways then have no cell.
  FleetMonitor(Store& store, const GridMap* map, FleetConfig config);

  /// After ingest stored a status message of this gateway.
  void on_status(const std::string& gateway_id);
  /// After ingest stored a telemetry message (a heartbeat).
  void on_telemetry(const std::string& gateway_id);
  /// After ingest stored an alert: a gateway that never said where it
  /// stands is placed where its alert happened.
  void on_alert(const std::string& gateway_id, double lat, double lon);

  /// Marks silent gateways offline and opens maintenance incidents for
  /// long offline spells. Returns the new incidents' episode ids (the
  /// dispatcher routes them).
  std::vector<std::string> check(EpochMs now);

  /// `listener` sees every gateway record that changed, while `wanted()`
  /// says someone listens (heartbeats are then not looked up at all).
  void set_change_listener(std::function<bool()> wanted, std::function<void(const GatewayRecord&)> listener);
  const FleetCounters& counters() const { return counters_; }
  const FleetConfig& config() const { return config_; }

 private:
  /// Finds the cell of a gateway whose position is new; updates `gateway`.
  void place(GatewayRecord& gateway);
  void changed(const GatewayRecord& gateway);
  bool listening() const { return listener_ && wanted_ && wanted_(); }

  Store& store_;
  const GridMap* map_;
  FleetConfig config_;
  FleetCounters counters_;
  /// Positions already placed, so a heartbeat or alert costs no lookup.
  std::map<std::string, std::pair<double, double>> placed_;
  std::function<bool()> wanted_;
  std::function<void(const GatewayRecord&)> listener_;
};

/// The maintenance incident for a gateway's offline spell (kind
/// "maintenance", minor: it starts in the grid); its episode id names the
/// gateway and the spell, so a restart never opens it twice.
IncidentRecord maintenance_incident(const GatewayRecord& gateway, EpochMs now);

}  // namespace gridwatch::central
