// FleetMonitor on a real SQLite store and the test grid: gateways are
// placed in their cells, silence marks them offline, and a long offline
// spell opens exactly one maintenance incident.
#include <catch2/catch.hpp>

#include "central/fleet_monitor.hpp"
#include "central/sqlite_store.hpp"
#include "tests/support/test_env.hpp"

using namespace gridwatch;
using namespace gridwatch::central;

namespace {

GridMap test_grid() { return GridMap::load(std::string(GRIDWATCH_SOURCE_DIR) + "/tests/fixtures/central/grid.geojson"); }

}  // namespace

TEST_CASE("the fleet monitor places gateways in their cells and tells listeners", "[fleet]") {
  test::TempDir dir;
  SqliteStore store(dir.file("central.db"));
  const auto grid = test_grid();
  FleetMonitor fleet(store, &grid, FleetConfig{});
  std::vector<GatewayRecord> changes;
  fleet.set_change_listener([] { return true; }, [&](const GatewayRecord& gateway) { changes.push_back(gateway); });

  // The county point of the integration tests (outside the town).
  store.record_status({"gw-1", PresenceState::online, "b", 1, "0.1.0", 30.6598, 104.0633}, 1000);
  fleet.on_status("gw-1");
  CHECK(store.gateway("gw-1")->cell_id == "county-1");
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].cell_id == "county-1");

  // A gateway that never sent a position is placed by its first alert.
  fleet.on_alert("gw-2", 30.6598, 104.0633);
  const auto second = store.gateway("gw-2");
  REQUIRE(second);
  CHECK(second->cell_id == "county-1");
  CHECK(second->lat == Approx(30.6598));
  // Far from every cell: a position but no cell.
  fleet.on_alert("gw-3", 0.5, 0.5);
  CHECK(store.gateway("gw-3")->cell_id.empty());
  CHECK(store.gateway("gw-3")->lat == Approx(0.5));
}

TEST_CASE("silence marks a gateway offline, and a long spell opens one maintenance incident", "[fleet]") {
  test::TempDir dir;
  SqliteStore store(dir.file("central.db"));
  const auto grid = test_grid();
  FleetConfig config;
  config.heartbeat_timeout_s = 10;
  config.maintenance_after_s = 60;
  FleetMonitor fleet(store, &grid, config);
  store.record_status({"gw-1", PresenceState::online, "b", 1, "0.1.0", 30.6598, 104.0633}, 1'000'000);
  fleet.on_status("gw-1");

  CHECK(fleet.check(1'005'000).empty());
  CHECK(store.gateway("gw-1")->presence == "online");
  CHECK(fleet.check(1'011'000).empty());  // silent 11 s: offline, no incident yet
  CHECK(store.gateway("gw-1")->presence == "offline");
  CHECK(store.gateway("gw-1")->offline_reason == "heartbeat_timeout");
  CHECK(fleet.counters().timed_out == 1);

  const auto opened = fleet.check(1'072'000);  // offline 61 s
  REQUIRE(opened.size() == 1);
  const auto incident = store.incident_by_episode(opened[0]);
  REQUIRE(incident);
  CHECK(incident->kind == "maintenance");
  CHECK(incident->gateway_id == "gw-1");
  CHECK(incident->severity == "minor");
  CHECK(incident->lat == Approx(30.6598));
  CHECK(store.gateway("gw-1")->maintenance_incident_id == incident->id);
  CHECK(fleet.check(1'200'000).empty());  // one per spell
  CHECK(fleet.counters().maintenance_opened == 1);
}
