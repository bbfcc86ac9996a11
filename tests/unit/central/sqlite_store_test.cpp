#include <catch2/catch.hpp>
#include <filesystem>

#include "central/sqlite_store.hpp"
#include "tests/support/test_env.hpp"
#include "tests/unit/central/alert_builder.hpp"

using namespace gridwatch;
using namespace gridwatch::central;

TEST_CASE("an episode's start, update and end make one incident", "[store]") {
  test::TempDir dir;
  SqliteStore store(dir.file("central.db"));
  const auto start = test::make_alert("gw-1", 1, Phase::start);
  CHECK(store.record_alert(start, encode(start), 100) == AlertOutcome::opened_incident);
  auto update = test::make_alert("gw-1", 2, Phase::update, start.episode_id);
  update.severity = Severity::extreme;
  CHECK(store.record_alert(update, encode(update), 200) == AlertOutcome::updated_incident);
  const auto end = test::make_alert("gw-1", 3, Phase::end, start.episode_id);
  CHECK(store.record_alert(end, encode(end), 300) == AlertOutcome::updated_incident);

  const auto incidents = store.incidents({});
  REQUIRE(incidents.size() == 1);
  const auto& incident = incidents.front();
  CHECK(incident.episode_id == start.episode_id);
  CHECK(incident.gateway_id == "gw-1");
  CHECK(incident.kind == "smoke");
  CHECK(incident.severity == "extreme");  // the worst seen
  CHECK(incident.urgency == "Immediate");
  CHECK(incident.state == "new");
  CHECK(incident.detected_at_ms == start.detected_at_ms);
  CHECK(incident.created_ms == 100);
  CHECK(incident.updated_ms == 300);
  CHECK(incident.episode_ended_ms == end.detected_at_ms);
  CHECK(incident.alert_count == 3);
  CHECK(incident.sensor == "smoke-1");
}

TEST_CASE("a redelivered alert never creates a second dispatch event", "[store]") {
  test::TempDir dir;
  SqliteStore store(dir.file("central.db"));
  const auto alert = test::make_alert("gw-1", 1, Phase::start);
  CHECK(store.record_alert(alert, encode(alert), 100) == AlertOutcome::opened_incident);
  for (int i = 0; i < 5; ++i) CHECK(store.record_alert(alert, encode(alert), 200) == AlertOutcome::duplicate);
  const auto incidents = store.incidents({});
  REQUIRE(incidents.size() == 1);
  CHECK(incidents.front().alert_count == 1);
  CHECK(incidents.front().updated_ms == 100);
}

TEST_CASE("incidents survive reopening and list newest first, filtered by gateway", "[store]") {
  test::TempDir dir;
  {
    SqliteStore store(dir.file("central.db"));
    for (std::uint64_t seq = 1; seq <= 3; ++seq) {
      const auto alert = test::make_alert(seq == 2 ? "gw-2" : "gw-1", seq, Phase::start);
      store.record_alert(alert, encode(alert), 100);
    }
  }
  SqliteStore store(dir.file("central.db"), SqliteStore::Access::read_only);
  const auto all = store.incidents({});
  REQUIRE(all.size() == 3);
  CHECK(all.front().id > all.back().id);
  CHECK(store.incidents({10, std::string("gw-2")}).size() == 1);
  CHECK(store.incidents({1, std::nullopt}).size() == 1);
}

TEST_CASE("presence and telemetry update the gateway record", "[store]") {
  test::TempDir dir;
  SqliteStore store(dir.file("central.db"));
  store.record_status({"gw-1", PresenceState::online, "boot1", 10, "0.1.0"}, 1000);
  Telemetry telemetry;
  telemetry.gateway_id = "gw-1";
  telemetry.boot_id = "boot1";
  telemetry.ts_ms = 2000;
  store.record_telemetry(telemetry, encode(telemetry), 2000);
  store.record_status({"gw-1", PresenceState::offline, "boot1", 20, "0.1.0"}, 1500);
  const auto gateways = store.gateways();
  REQUIRE(gateways.size() == 1);
  CHECK(gateways.front().presence == "offline");
  CHECK(gateways.front().last_seen_ms == 2000);
  CHECK(gateways.front().telemetry_json.find("\"telemetry\"") != std::string::npos);
}

TEST_CASE("migrations are versioned and a newer schema is refused", "[store]") {
  test::TempDir dir;
  { CHECK(SqliteStore(dir.file("central.db")).schema_version() == 3); }  // alerts+incidents, evidence, dispatch workflow
  { sqlite::Database(dir.file("central.db")).exec("PRAGMA user_version=42"); }
  CHECK_THROWS_WITH(SqliteStore(dir.file("central.db")), Catch::Contains("newer than this build"));
}

TEST_CASE("a corrupt central database is refused, never silently replaced", "[store][corrupt]") {
  const auto fixture = GENERATE(as<std::string>{}, "not-a-database.db", "truncated-header.db");
  test::TempDir dir;
  std::filesystem::copy_file(std::string(GRIDWATCH_SOURCE_DIR) + "/tests/fixtures/outbox/" + fixture,
                             dir.file("central.db"));
  // Central's database is the system of record for staff: an operator
  // decides what to do with it, so it is never moved aside automatically.
  CHECK_THROWS_AS(SqliteStore(dir.file("central.db")), sqlite::SqliteError);
  CHECK(std::filesystem::file_size(dir.file("central.db")) ==
        std::filesystem::file_size(std::string(GRIDWATCH_SOURCE_DIR) + "/tests/fixtures/outbox/" + fixture));
}
