#pragma once
// The deterministic schedule of a fleet run: which gateway raises which
// alert when, planned up front from the scenario and its seed, so two runs
// with the same seed send the same alerts (same ids, kinds and times) and
// the plan doubles as the run's ground truth.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "common/wire.hpp"
#include "simulators/fleet/fleet_scenario.hpp"

namespace gridwatch::sim {

struct PlannedAlert {
  double at_s = 0;          ///< seconds into the load phase
  std::uint32_t gateway = 0;  ///< index into FleetPlan::gateways
  std::uint64_t seq = 0;    ///< per-gateway sequence, from 1
  AlertKind kind = AlertKind::parking;
  bool storm = false;       ///< part of the storm rather than the background
};

struct PlannedGateway {
  std::string id;
  double lat = 0;
  double lon = 0;
  double heartbeat_phase_s = 0;  ///< first heartbeat this long into the load phase
};

struct FleetPlan {
  std::string run_id;  ///< from the seed: the "epoch" part of every alert id
  std::vector<PlannedGateway> gateways;
  std::vector<PlannedAlert> alerts;  ///< sorted by time, then gateway

  std::string alert_id(const PlannedAlert& alert) const;
  /// The wire alert, stamped with `detected_at_ms`.
  Alert make_alert(const PlannedAlert& alert, EpochMs detected_at_ms) const;
};

FleetPlan plan_fleet(const FleetSpec& spec);

/// Ground truth of the plan: the scenario's settings and every alert with
/// its id, gateway, time and kind.
nlohmann::json plan_truth(const FleetSpec& spec, const FleetPlan& plan);

}  // namespace gridwatch::sim
