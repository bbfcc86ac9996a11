#pragma once
// Runs a fleet plan against a real broker: thousands of virtual gateways,
// each a libmosquitto client with its own id, birth status, Last Will and
// heartbeats, all on one Boost.Asio io_context (one thread, no client
// threads). libmosquitto's external-loop API lets the io_context watch
// every client's socket, so 10,000 gateways cost 10,000 sockets, not
// 10,000 threads.
#include <string>

#include "simulators/fleet/fleet_plan.hpp"
#include "simulators/fleet/fleet_report.hpp"

namespace gridwatch::sim {

enum class FleetEnd {
  clean,   ///< each gateway publishes "offline" and disconnects
  abrupt,  ///< sockets are closed without DISCONNECT, so the broker publishes every Last Will
};

struct FleetRunSettings {
  std::string host = "127.0.0.1";
  int port = 1883;
  int keepalive_s = 60;
  double drain_s = 15;     ///< after the load phase, how long to wait for acks and deliveries
  bool verify = false;     ///< subscribe to every alert and report deliveries and their latency
  FleetEnd end = FleetEnd::clean;
};

/// Runs until the plan is done or SIGINT/SIGTERM; the report covers
/// whatever ran. Throws only when the broker cannot be reached at all.
FleetReport run_fleet(const FleetSpec& spec, const FleetPlan& plan, const FleetRunSettings& settings);

}  // namespace gridwatch::sim
