// The Store contract for what the dashboard added (schema v4): the fleet
// registry, central's own incidents, incident filters and paging, alerts
// of an incident, users and credentials. Each case runs against SQLite and
// PostgreSQL.
#include <catch2/catch.hpp>

#include "tests/unit/central/alert_builder.hpp"
#include "tests/unit/central/store_backends.hpp"

using namespace gridwatch;
using namespace gridwatch::central;
using test::PostgresBackend;
using test::SqliteBackend;

namespace {

Status status_of(const std::string& gateway, PresenceState state, std::optional<double> lat = std::nullopt,
                 std::optional<double> lon = std::nullopt) {
  return Status{gateway, state, "boot-1", 1, "0.1.0", lat, lon};
}

}  // namespace

TEMPLATE_TEST_CASE("a status places the gateway, online ends an offline spell", "[store][fleet]", SqliteBackend,
                   PostgresBackend) {
  if (!test::backend_usable<TestType>()) return;
  TestType backend;
  auto store = backend.open();
  store->record_status(status_of("gw-1", PresenceState::online, 30.6598, 104.0633), 1000);
  auto gateway = *store->gateway("gw-1");
  CHECK(gateway.presence == "online");
  CHECK(gateway.lat == Approx(30.6598));
  CHECK(gateway.lon == Approx(104.0633));
  CHECK(gateway.cell_id.empty());
  CHECK_FALSE(gateway.offline_since_ms);
  store->set_gateway_location("gw-1", 30.6598, 104.0633, "county-1");
  CHECK(store->gateway("gw-1")->cell_id == "county-1");
  // The same position keeps the cell; a status without one keeps both.
  store->record_status(status_of("gw-1", PresenceState::online, 30.6598, 104.0633), 1100);
  store->record_status(status_of("gw-1", PresenceState::online), 1150);
  CHECK(store->gateway("gw-1")->cell_id == "county-1");
  CHECK(store->gateway("gw-1")->lat == Approx(30.6598));

  store->record_status(status_of("gw-1", PresenceState::offline), 2000);
  gateway = *store->gateway("gw-1");
  CHECK(gateway.presence == "offline");
  CHECK(gateway.offline_since_ms == 2000);
  CHECK(gateway.offline_reason == "status");
  // A second offline (Last Will after the clean one) keeps the spell's start.
  store->record_status(status_of("gw-1", PresenceState::offline), 2500);
  CHECK(store->gateway("gw-1")->offline_since_ms == 2000);
  store->set_maintenance_incident("gw-1", 42);
  CHECK(store->gateway("gw-1")->maintenance_incident_id == 42);

  // Moved: the cell must be looked up again.
  store->record_status(status_of("gw-1", PresenceState::online, 30.7, 104.1), 3000);
  gateway = *store->gateway("gw-1");
  CHECK(gateway.presence == "online");
  CHECK_FALSE(gateway.offline_since_ms);
  CHECK(gateway.offline_reason.empty());
  CHECK_FALSE(gateway.maintenance_incident_id);
  CHECK(gateway.cell_id.empty());
  CHECK(gateway.lat == Approx(30.7));
  CHECK_FALSE(store->gateway("gw-none"));
}

TEMPLATE_TEST_CASE("silent gateways go offline, a heartbeat brings them back, a Last Will does not",
                   "[store][fleet]", SqliteBackend, PostgresBackend) {
  if (!test::backend_usable<TestType>()) return;
  TestType backend;
  auto store = backend.open();
  store->record_status(status_of("gw-quiet", PresenceState::online), 1000);
  store->record_status(status_of("gw-busy", PresenceState::online), 1000);
  store->record_status(status_of("gw-gone", PresenceState::offline), 1000);
  Telemetry telemetry;
  telemetry.gateway_id = "gw-busy";
  telemetry.boot_id = "boot-1";
  telemetry.ts_ms = 5000;
  store->record_telemetry(telemetry, encode(telemetry), 5000);

  const auto silent = store->mark_silent_offline(4000, 6000);
  REQUIRE(silent.size() == 1);
  CHECK(silent[0].gateway_id == "gw-quiet");
  CHECK(silent[0].presence == "offline");
  CHECK(silent[0].offline_reason == "heartbeat_timeout");
  CHECK(silent[0].offline_since_ms == 6000);
  CHECK(store->mark_silent_offline(4000, 6500).empty());  // once per spell

  // Maintenance candidates: offline long enough and without an incident yet.
  auto due = store->offline_without_maintenance(5000);
  REQUIRE(due.size() == 1);
  CHECK(due[0].gateway_id == "gw-gone");
  CHECK(store->offline_without_maintenance(7000).size() == 2);
  store->set_maintenance_incident("gw-gone", 7);
  CHECK(store->offline_without_maintenance(7000).size() == 1);

  telemetry.gateway_id = "gw-quiet";
  store->record_telemetry(telemetry, encode(telemetry), 7000);
  CHECK(store->gateway("gw-quiet")->presence == "online");
  CHECK_FALSE(store->gateway("gw-quiet")->offline_since_ms);
  telemetry.gateway_id = "gw-gone";  // queued telemetry after its Last Will
  store->record_telemetry(telemetry, encode(telemetry), 7000);
  CHECK(store->gateway("gw-gone")->presence == "offline");
}

TEMPLATE_TEST_CASE("central's own incidents open once per episode", "[store][fleet]", SqliteBackend,
                   PostgresBackend) {
  if (!test::backend_usable<TestType>()) return;
  TestType backend;
  auto store = backend.open();
  IncidentRecord draft;
  draft.episode_id = "maintenance:gw-1:1000";
  draft.gateway_id = "gw-1";
  draft.kind = "maintenance";
  draft.severity = "minor";
  draft.urgency = "Expected";
  draft.certainty = "Observed";
  draft.confidence = 1;
  draft.detected_at_ms = 5000;
  draft.created_ms = 5000;
  draft.lat = 30.5;
  draft.lon = 104.1;
  draft.summary = "gateway gw-1 offline";
  const auto id = store->open_incident(draft);
  CHECK(store->open_incident(draft) == id);
  const auto incident = *store->incident(id);
  CHECK(incident.kind == "maintenance");
  CHECK(incident.state == "new");
  CHECK(incident.alert_count == 0);
  CHECK(incident.summary == "gateway gw-1 offline");
  CHECK(store->incidents({}).size() == 1);
}

TEMPLATE_TEST_CASE("incident filters combine and pages follow the cursor", "[store][filters]", SqliteBackend,
                   PostgresBackend) {
  if (!test::backend_usable<TestType>()) return;
  TestType backend;
  auto store = backend.open();
  for (std::uint64_t seq = 1; seq <= 6; ++seq) {
    auto alert = test::make_alert(seq % 2 == 0 ? "gw-even" : "gw-odd", seq, Phase::start);
    if (seq == 5) alert.kind = AlertKind::parking;
    store->record_alert(alert, encode(alert), 100 + static_cast<EpochMs>(seq));
  }
  auto routed = *store->incident(2);
  routed.cell_id = "grid-1";
  routed.level = "village";
  routed.state = "dispatched";
  REQUIRE(store->update_workflow(routed, "new", std::nullopt));
  auto done = *store->incident(4);
  done.state = "closed";
  REQUIRE(store->update_workflow(done, "new", std::nullopt));

  IncidentQuery query;
  query.gateway_id = "gw-even";
  CHECK(store->incidents(query).size() == 3);
  query.open_only = true;
  CHECK(store->incidents(query).size() == 2);
  query = {};
  query.states = {"dispatched", "closed"};
  CHECK(store->incidents(query).size() == 2);
  query = {};
  query.kind = "parking";
  REQUIRE(store->incidents(query).size() == 1);
  CHECK(store->incidents(query)[0].id == 5);
  query = {};
  query.cell_id = "grid-1";
  query.level = "village";
  CHECK(store->incidents(query).size() == 1);
  query = {};
  const auto base = test::make_alert("x", 0, Phase::start).detected_at_ms;
  query.since_ms = base + 2000;
  query.until_ms = base + 4000;  // seq 2 and 3
  CHECK(store->incidents(query).size() == 2);
  // A quote in a value is a value, not SQL.
  query = {};
  query.gateway_id = "gw' OR '1'='1";
  CHECK(store->incidents(query).empty());

  // Pages of two, newest first, with no gaps or repeats.
  query = {};
  query.limit = 2;
  std::vector<std::int64_t> seen;
  for (int page = 0; page < 4; ++page) {
    const auto found = store->incidents(query);
    for (const auto& incident : found) seen.push_back(incident.id);
    if (found.size() < query.limit) break;
    query.before_id = found.back().id;
  }
  CHECK(seen == std::vector<std::int64_t>{6, 5, 4, 3, 2, 1});
}

TEMPLATE_TEST_CASE("an incident's alerts come back oldest first with their payload", "[store]", SqliteBackend,
                   PostgresBackend) {
  if (!test::backend_usable<TestType>()) return;
  TestType backend;
  auto store = backend.open();
  const auto start = test::make_alert("gw-1", 1, Phase::start);
  auto update = test::make_alert("gw-1", 2, Phase::update, start.episode_id);
  update.box = Box{0.1, 0.2, 0.3, 0.4};
  store->record_alert(update, encode(update), 200);
  store->record_alert(start, encode(start), 210);
  const auto id = store->incident_by_episode(start.episode_id)->id;
  const auto alerts = store->incident_alerts(id, 10);
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[0].alert_id == start.alert_id);
  CHECK(alerts[0].phase == "start");
  CHECK(alerts[1].received_ms == 200);
  CHECK(alerts[1].payload.find("\"box\"") != std::string::npos);
  CHECK(store->incident_alerts(id, 1).size() == 1);
  CHECK(store->incident_alerts(999, 10).empty());
}

TEMPLATE_TEST_CASE("users are unique, credentials expire and can be removed", "[store][auth]", SqliteBackend,
                   PostgresBackend) {
  if (!test::backend_usable<TestType>()) return;
  TestType backend;
  auto store = backend.open();
  CHECK(store->add_user({"alice", "operator", "hash-a", 100}));
  CHECK_FALSE(store->add_user({"alice", "admin", "hash-b", 200}));
  CHECK(store->add_user({"bob", "supervisor", "hash-c", 300}));
  CHECK(store->user("alice")->role == "operator");
  CHECK(store->user("alice")->password_hash == "hash-a");
  CHECK_FALSE(store->user("carol"));
  REQUIRE(store->users().size() == 2);
  CHECK(store->users()[1].name == "bob");

  store->add_credential({"s-hash", "alice", "session", "", "csrf-1", 1000, 5000});
  store->add_credential({"t-hash", "bob", "token", "scada", "", 1000, std::nullopt});
  const auto session = store->credential("s-hash", 4999);
  REQUIRE(session);
  CHECK(session->user_name == "alice");
  CHECK(session->csrf_token == "csrf-1");
  CHECK(session->expires_ms == 5000);
  CHECK_FALSE(store->credential("s-hash", 5000));  // expired
  CHECK(store->credential("t-hash", 999'999'999)->label == "scada");
  store->remove_credential("t-hash");
  CHECK_FALSE(store->credential("t-hash", 2000));
}
