#include "central/incident_stats.hpp"

#include <fmt/format.h>

#include <chrono>
#include <optional>

namespace gridwatch::central {
namespace {

void count_clock(ClockCompliance& clock, std::optional<EpochMs> started, std::optional<EpochMs> stopped,
                 double limit_s, bool abandoned, EpochMs now) {
  if (!started) return;
  const auto limit_ms = static_cast<EpochMs>(limit_s * 1000);
  if (stopped) {
    ++(*stopped - *started <= limit_ms ? clock.met : clock.missed);
  } else if (now - *started > limit_ms) {
    // A case cancelled or found false before this clock stopped never ran it out.
    if (!abandoned) ++clock.missed;
  } else if (!abandoned) {
    ++clock.pending;
  }
}

std::string day_of(EpochMs ms, int utc_offset_min) {
  using namespace std::chrono;
  const auto shifted = sys_time<milliseconds>(milliseconds(ms + static_cast<EpochMs>(utc_offset_min) * 60'000));
  const year_month_day day{floor<days>(shifted)};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(day.year()), static_cast<unsigned>(day.month()),
                     static_cast<unsigned>(day.day()));
}

}  // namespace

double ClockCompliance::percent() const {
  const auto decided = met + missed;
  return decided == 0 ? -1.0 : 100.0 * static_cast<double>(met) / static_cast<double>(decided);
}

IncidentStats compute_stats(const std::vector<IncidentRecord>& incidents, const SlaSettings& sla, EpochMs now,
                            int utc_offset_min) {
  IncidentStats stats;
  for (const auto& incident : incidents) {
    ++stats.total;
    const bool abandoned = incident.state == "cancelled" || incident.state == "false_alarm";
    count_clock(stats.dispatch, incident.detected_at_ms, incident.dispatched_ms, sla.dispatch_s, abandoned, now);
    count_clock(stats.on_scene, incident.dispatched_ms, incident.on_scene_ms, sla.on_scene_s, abandoned, now);
    count_clock(stats.feedback, incident.on_scene_ms, incident.feedback_ms, sla.feedback_s, abandoned, now);
    ++stats.by_kind[incident.kind];
    ++stats.by_cell[incident.cell_id];
    ++stats.by_day[day_of(incident.detected_at_ms, utc_offset_min)];
    ++stats.by_state[incident.state];
    if (incident.resolved_ms) {
      ++stats.resolved;
      ++stats.resolved_at_level[incident.level];
    }
  }
  return stats;
}

}  // namespace gridwatch::central
