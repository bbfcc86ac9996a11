#pragma once
// /metrics in the Prometheus text exposition format, version 0.0.4.
#include <cstdint>
#include <string>

#include "central/ingest.hpp"
#include "central/store.hpp"
#include "common/time.hpp"

namespace gridwatch::central {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

/// The HTTP server's own figures, exported next to the ingest counters.
struct HttpStats {
  std::uint64_t open_connections = 0;
  std::uint64_t rejected_connections = 0;  ///< turned away at max_connections
};

/// One `# HELP`, `# TYPE` and sample line per metric, '\n'-terminated.
/// `notifications` (from the store's outbox, so shared by every central on
/// one PostgreSQL) adds the notifier backlog; `now_ms` ages its oldest row.
std::string prometheus_text(const IngestCounters& counters, const HttpStats& http,
                            const NotificationBacklog* notifications = nullptr, EpochMs now_ms = 0);

}  // namespace gridwatch::central
