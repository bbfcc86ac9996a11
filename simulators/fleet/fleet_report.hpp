#pragma once
// What a fleet run measured: connections, alerts sent and acknowledged,
// and latency distributions (publish -> PUBACK, and publish -> delivery to
// a subscriber when the run verifies delivery).
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace gridwatch::sim {

/// Latency samples in microseconds; percentiles by sorting at the end.
class LatencySamples {
 public:
  void add(std::int64_t microseconds) { samples_.push_back(microseconds); }
  std::size_t count() const { return samples_.size(); }
  /// {count, p50_ms, p90_ms, p99_ms, max_ms}; nulls when empty.
  nlohmann::json summary() const;

 private:
  mutable std::vector<std::int64_t> samples_;
};

struct FleetReport {
  std::string scenario;
  std::string mode;
  int gateways = 0;
  int connected = 0;           ///< gateways that got a CONNACK during the ramp
  int connect_failures = 0;
  double connect_ramp_s = 0;   ///< from the first connect to the last CONNACK
  int disconnects = 0;         ///< unexpected disconnects during the run
  int reconnects = 0;
  double load_s = 0;           ///< length of the load phase actually run
  std::uint64_t alerts_planned = 0;
  std::uint64_t alerts_sent = 0;
  std::uint64_t alerts_acked = 0;
  std::uint64_t alerts_skipped_offline = 0;  ///< due while their gateway was not connected
  std::uint64_t publish_errors = 0;
  std::uint64_t heartbeats_sent = 0;
  std::uint64_t status_sent = 0;
  LatencySamples ack_latency;
  LatencySamples connect_latency;
  bool verified = false;       ///< a subscriber counted deliveries
  std::uint64_t delivered_unique = 0;
  std::uint64_t delivered_duplicates = 0;
  std::uint64_t delivered_unknown = 0;  ///< alert ids this run did not send
  LatencySamples delivery_latency;
  double max_rss_mib = 0;

  nlohmann::json to_json() const;
  /// A short human-readable table.
  std::string to_text() const;
};

}  // namespace gridwatch::sim
