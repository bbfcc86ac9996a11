// The stats page's figures from hand-made incidents.
#include <catch2/catch.hpp>

#include "central/incident_stats.hpp"

using namespace gridwatch;
using namespace gridwatch::central;

namespace {

constexpr EpochMs kDay = 1'795'305'600'000;  // 2026-11-22T00:00:00Z

IncidentRecord incident(std::string kind, std::string state, EpochMs detected) {
  IncidentRecord out;
  out.kind = std::move(kind);
  out.state = std::move(state);
  out.detected_at_ms = detected;
  return out;
}

}  // namespace

TEST_CASE("SLA compliance counts met, missed and pending clocks", "[stats]") {
  std::vector<IncidentRecord> incidents;
  auto on_time = incident("smoke", "closed", kDay);
  on_time.dispatched_ms = kDay + 10'000;           // 10 s: met
  on_time.on_scene_ms = kDay + 10'000 + 200'000;   // 200 s: missed (limit 180)
  on_time.feedback_ms = *on_time.on_scene_ms + 60'000;  // met
  on_time.resolved_ms = *on_time.feedback_ms + 1;
  on_time.level = "grid";
  on_time.cell_id = "grid-1";
  incidents.push_back(on_time);
  auto late = incident("parking", "dispatched", kDay + 1000);
  late.dispatched_ms = kDay + 1000 + 31'000;       // 31 s: missed; on-scene clock still running
  late.level = "village";
  incidents.push_back(late);
  incidents.push_back(incident("smoke", "new", kDay + 2000));          // running past 30 s at "now": missed
  incidents.push_back(incident("smoke", "false_alarm", kDay + 3000));  // abandoned: not counted
  const auto now = kDay + 60'000;
  auto fresh = incident("fire", "new", now - 5000);                    // pending
  fresh.resolved_ms = std::nullopt;
  incidents.push_back(fresh);

  const auto stats = compute_stats(incidents, SlaSettings{}, now, 0);
  CHECK(stats.total == 5);
  CHECK(stats.dispatch.met == 1);
  CHECK(stats.dispatch.missed == 2);
  CHECK(stats.dispatch.pending == 1);
  CHECK(stats.dispatch.percent() == Approx(100.0 / 3));
  CHECK(stats.on_scene.met == 0);
  CHECK(stats.on_scene.missed == 1);
  CHECK(stats.on_scene.pending == 1);
  CHECK(stats.feedback.met == 1);
  CHECK(stats.feedback.percent() == Approx(100));
  CHECK(ClockCompliance{}.percent() < 0);
  CHECK(stats.by_kind.at("smoke") == 3);
  CHECK(stats.by_cell.at("grid-1") == 1);
  CHECK(stats.by_cell.at("") == 4);
  CHECK(stats.by_state.at("new") == 2);
  CHECK(stats.resolved == 1);
  CHECK(stats.resolved_at_level.at("grid") == 1);
}

TEST_CASE("days follow the caller's time zone", "[stats]") {
  // 20:00 UTC on the 22nd is 04:00 on the 23rd in China.
  const std::vector<IncidentRecord> incidents{incident("smoke", "new", kDay + 20 * 3'600'000)};
  CHECK(compute_stats(incidents, SlaSettings{}, kDay, 0).by_day.count("2026-11-22") == 1);
  CHECK(compute_stats(incidents, SlaSettings{}, kDay, 480).by_day.count("2026-11-23") == 1);
}
