#pragma once
// A fleet scenario: how many virtual gateways, how they connect, and how
// their alerts arrive (Poisson, bursty or a city-wide storm). Parsed from
// YAML with file:line errors (docs/simulators.md documents every key).
#include <cstdint>
#include <map>
#include <string>

namespace gridwatch::sim {

enum class ArrivalMode {
  poisson,  ///< independent Poisson arrivals per gateway
  bursty,   ///< each gateway alternates quiet and burst periods (Markov-modulated Poisson)
  storm,    ///< Poisson background plus a city-wide storm: many gateways alert within seconds
};

struct FleetSpec {
  std::string name = "fleet";
  std::string purpose;
  std::string source_file;
  std::uint64_t seed = 1;
  int gateways = 100;
  std::string id_prefix = "fleet";
  double duration_s = 60;          ///< length of the load phase, after every gateway has connected
  double connect_rate_per_s = 500; ///< new connections per second during the ramp
  double heartbeat_s = 30;         ///< telemetry period per gateway; 0 = none
  ArrivalMode mode = ArrivalMode::poisson;
  double rate_per_gateway_h = 6;   ///< background alerts per gateway per hour (every mode)
  // bursty
  double burst_on_mean_s = 20;     ///< mean length of a burst
  double burst_off_mean_s = 300;   ///< mean quiet time between bursts
  double burst_rate_per_gateway_h = 360;  ///< alert rate inside a burst
  // storm
  double storm_at_s = 30;          ///< when the storm starts, seconds into the load phase
  double storm_ramp_s = 10;        ///< storm alerts spread uniformly over this window
  double storm_fraction = 0.5;     ///< share of gateways caught in the storm
  int storm_alerts_per_gateway = 2;
  /// Relative weights of the alert kinds (names as on the wire).
  std::map<std::string, double> kinds{{"parking", 0.6}, {"smoke", 0.15}, {"tamper", 0.15}, {"sensor_fault", 0.1}};
  double centre_lat = 30.66;       ///< gateways are placed on a grid around this point
  double centre_lon = 104.06;
};

std::string to_string(ArrivalMode mode);

/// Parses a fleet scenario file; throws ConfigInvalid with every problem at file:line.
FleetSpec load_fleet_scenario(const std::string& path);
FleetSpec parse_fleet_scenario(const std::string& yaml_text, const std::string& name);

}  // namespace gridwatch::sim
