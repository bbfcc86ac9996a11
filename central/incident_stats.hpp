#pragma once
// The stats page's figures over a set of incidents: "333" SLA compliance,
// counts per kind, grid cell and day, and where cases were resolved.
// Pure: the caller passes the incidents and "now".
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "central/core/dispatch.hpp"
#include "central/store.hpp"

namespace gridwatch::central {

/// One SLA clock over many incidents. A clock that stopped in time is
/// met; one that stopped late, or still runs past its limit, is missed;
/// one still inside its limit is pending and not counted in the share.
struct ClockCompliance {
  std::size_t met = 0;
  std::size_t missed = 0;
  std::size_t pending = 0;
  /// met / (met + missed) as a percentage; -1 when nothing was decided.
  double percent() const;
};

struct IncidentStats {
  std::size_t total = 0;
  ClockCompliance dispatch;  ///< detection -> dispatched within sla.dispatch_s
  ClockCompliance on_scene;  ///< dispatched -> on scene within sla.on_scene_s
  ClockCompliance feedback;  ///< on scene -> first feedback within sla.feedback_s
  std::map<std::string, std::size_t> by_kind;
  std::map<std::string, std::size_t> by_cell;   ///< "" = unrouted
  std::map<std::string, std::size_t> by_day;    ///< YYYY-MM-DD of detection, in the caller's time zone
  std::map<std::string, std::size_t> by_state;
  std::size_t resolved = 0;                      ///< reached resolved (or closed after it)
  std::map<std::string, std::size_t> resolved_at_level;  ///< grid, village, town, county
};

/// `utc_offset_min` shifts day boundaries (480 for China Standard Time).
IncidentStats compute_stats(const std::vector<IncidentRecord>& incidents, const SlaSettings& sla, EpochMs now,
                            int utc_offset_min);

}  // namespace gridwatch::central
