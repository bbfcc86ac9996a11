// The dispatch workflow against both real stores (SQLite, PostgreSQL) and the fixture grid:
// routing, auto-dispatch, staff transitions with their audit trail, and
// the SLA sweep escalating with injected time.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "central/dispatcher.hpp"
#include "central/http/api_router.hpp"
#include "tests/unit/central/alert_builder.hpp"
#include "tests/unit/central/store_backends.hpp"

using namespace gridwatch::central;
using gridwatch::AlertKind;
using gridwatch::EpochMs;
using gridwatch::Phase;
using gridwatch::Severity;
using gridwatch::test::PostgresBackend;
using gridwatch::test::SqliteBackend;

namespace {

constexpr EpochMs kSecond = 1000;

// Outside the template: GCC 12 crashes (check_noexcept_r) on DispatchConfig{}
// inside a class template.
DispatchConfig default_config() { return DispatchConfig{}; }

template <typename Backend>
struct Fixture {
  Backend backend;
  std::unique_ptr<Store> owned_store = backend.open();
  Store& store = *owned_store;
  GridMap map = GridMap::load(GRIDWATCH_SOURCE_DIR "/tests/fixtures/central/grid.geojson");
  Dispatcher dispatcher{store, &map, default_config(), default_notifiers()};

  /// Opens an incident at lat/lon as ingest would and returns it.
  IncidentRecord open(AlertKind kind, Severity severity, double lat, double lon, std::uint64_t seq = 1) {
    auto alert = gridwatch::test::make_alert("gw-1", seq, Phase::start);
    alert.kind = kind;
    alert.severity = severity;
    alert.location.lat = lat;
    alert.location.lon = lon;
    REQUIRE(store.record_alert(alert, gridwatch::encode(alert), alert.detected_at_ms + 100) ==
            AlertOutcome::opened_incident);
    dispatcher.on_incident_opened(alert.episode_id, alert.detected_at_ms + 150);
    return *store.incident_by_episode(alert.episode_id);
  }
};

/// The notifications queued for an incident, as the log channel's JSON bodies.
std::vector<nlohmann::json> notified(Store& store, std::int64_t id) {
  std::vector<nlohmann::json> out;
  for (const auto& row : store.notifications(id)) {
    CHECK(row.channel == "log");
    out.push_back(nlohmann::json::parse(row.body));
  }
  return out;
}

std::vector<std::string> actions_of(Store& store, std::int64_t id) {
  std::vector<std::string> out;
  for (const auto& event : store.incident_events(id)) out.push_back(event.action);
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("routing and auto-dispatch are one write: listeners hear the dispatched incident once", "[dispatcher]",
                   SqliteBackend, PostgresBackend) {
  if (!gridwatch::test::backend_usable<TestType>()) return;
  Fixture<TestType> f;
  std::vector<std::string> heard;
  int notification_kicks = 0;
  f.dispatcher.set_change_listener([&](const IncidentRecord& changed) { heard.push_back(changed.state); });
  f.dispatcher.set_notifications_listener([&] { ++notification_kicks; });
  f.open(AlertKind::parking, Severity::minor, 30.61, 104.01);
  CHECK(heard == std::vector<std::string>{"dispatched"});
  CHECK(notification_kicks == 1);
  // A kind without a rule is routed alone.
  heard.clear();
  f.open(AlertKind::tamper, Severity::minor, 30.61, 104.01, 2);
  CHECK(heard == std::vector<std::string>{"new"});
}

TEMPLATE_TEST_CASE("a new parking incident is routed to its grid cell's unit and auto-dispatched", "[dispatcher]",
                   SqliteBackend, PostgresBackend) {
  if (!gridwatch::test::backend_usable<TestType>()) return;
  Fixture<TestType> f;
  const auto incident = f.open(AlertKind::parking, Severity::minor, 30.61, 104.01);
  CHECK(incident.cell_id == "grid-1");
  CHECK(incident.level == "grid");
  CHECK(incident.department == "traffic");
  CHECK(incident.unit == "market-grid-warden");
  CHECK(incident.state == "dispatched");
  CHECK(incident.dispatched_ms == incident.detected_at_ms + 150);
  CHECK(incident.sla_next_ms);  // the on-scene clock runs
  CHECK(actions_of(f.store, incident.id) == std::vector<std::string>{"routed", "dispatch"});
  // Routing keeps the state; the dispatch moves it on.
  const auto events = f.store.incident_events(incident.id);
  CHECK(events[0].from_state == "new");
  CHECK(events[0].to_state == "new");
  CHECK(events[1].from_state == "new");
  CHECK(events[1].to_state == "dispatched");
  const auto sent = notified(f.store, incident.id);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0]["event"] == "dispatched");
  CHECK(sent[0]["unit"] == "market-grid-warden");
  CHECK(f.dispatcher.counters().auto_dispatched == 1);
  CHECK(f.dispatcher.counters().transitions == 1);
  // Opening the same episode again (a replay) changes nothing.
  f.dispatcher.on_incident_opened(incident.episode_id, incident.detected_at_ms + 10 * kSecond);
  CHECK(f.store.incident_events(incident.id).size() == 2);
}

TEMPLATE_TEST_CASE("a severe smoke incident starts at the town's fire station", "[dispatcher]",
                   SqliteBackend, PostgresBackend) {
  if (!gridwatch::test::backend_usable<TestType>()) return;
  Fixture<TestType> f;
  const auto incident = f.open(AlertKind::smoke, Severity::severe, 30.64, 104.01);
  CHECK(incident.cell_id == "grid-2");
  CHECK(incident.starting_level == "town");
  CHECK(incident.level == "town");
  CHECK(incident.unit == "baihe-fire-station");
  CHECK(incident.state == "dispatched");
}

TEMPLATE_TEST_CASE("an incident outside every cell is kept, unrouted, with its clocks running", "[dispatcher]",
                   SqliteBackend, PostgresBackend) {
  if (!gridwatch::test::backend_usable<TestType>()) return;
  Fixture<TestType> f;
  const auto incident = f.open(AlertKind::tamper, Severity::moderate, 31.5, 105.0);
  CHECK(incident.cell_id.empty());
  CHECK(incident.state == "new");
  CHECK(incident.sla_next_ms);
  CHECK(actions_of(f.store, incident.id) == std::vector<std::string>{"unrouted"});
  CHECK(f.dispatcher.counters().unrouted == 1);
}

TEMPLATE_TEST_CASE("staff move an incident through the workflow, refusals and conflicts change nothing", "[dispatcher]",
                   SqliteBackend, PostgresBackend) {
  if (!gridwatch::test::backend_usable<TestType>()) return;
  Fixture<TestType> f;
  const auto incident = f.open(AlertKind::tamper, Severity::minor, 30.61, 104.01);
  REQUIRE(incident.state == "new");  // no auto-dispatch rule for tamper
  const EpochMs t = incident.created_ms;
  TransitionRequest request;
  request.actor = "operator-7";
  request.action = DispatchAction::arrive;
  auto outcome = f.dispatcher.transition(incident.id, request, t + kSecond);
  CHECK(outcome.result == TransitionOutcome::Result::refused);
  CHECK(f.store.incident(incident.id)->state == "new");

  request.action = DispatchAction::dispatch;
  request.unit = incident.unit;
  outcome = f.dispatcher.transition(incident.id, request, t + 10 * kSecond);
  REQUIRE(outcome.result == TransitionOutcome::Result::applied);
  CHECK(outcome.incident->state == "dispatched");
  request.unit.clear();
  for (auto action : {DispatchAction::acknowledge, DispatchAction::arrive}) {
    request.action = action;
    REQUIRE(f.dispatcher.transition(incident.id, request, t + 60 * kSecond).result ==
            TransitionOutcome::Result::applied);
  }
  request.action = DispatchAction::feedback;
  request.note = "camera wiped and re-aimed";
  REQUIRE(f.dispatcher.transition(incident.id, request, t + 90 * kSecond).result == TransitionOutcome::Result::applied);
  request.action = DispatchAction::resolve;
  request.note.clear();
  REQUIRE(f.dispatcher.transition(incident.id, request, t + 100 * kSecond).result == TransitionOutcome::Result::applied);
  request.action = DispatchAction::close;
  request.satisfaction = 4;
  outcome = f.dispatcher.transition(incident.id, request, t + 110 * kSecond);
  REQUIRE(outcome.result == TransitionOutcome::Result::applied);
  CHECK(outcome.incident->satisfaction == 4);
  CHECK(outcome.incident->closed_ms == t + 110 * kSecond);
  CHECK_FALSE(outcome.incident->sla_next_ms);  // closed: no clock runs
  const auto events = f.store.incident_events(incident.id);
  REQUIRE(events.size() == 7);
  CHECK(events[1].actor == "operator-7");
  CHECK(events[1].from_state == "new");
  CHECK(events[1].to_state == "dispatched");
  CHECK(events[4].note == "camera wiped and re-aimed");
  CHECK(events[6].to_state == "closed");
  CHECK(f.dispatcher.transition(999, request, t).result == TransitionOutcome::Result::not_found);
}

TEMPLATE_TEST_CASE("the SLA sweep records breaches and escalates grid -> village -> town, notifying each time",
                   "[dispatcher][sla]", SqliteBackend, PostgresBackend) {
  if (!gridwatch::test::backend_usable<TestType>()) return;
  Fixture<TestType> f;
  const auto incident = f.open(AlertKind::tamper, Severity::minor, 30.61, 104.01);
  const EpochMs detected = incident.detected_at_ms;
  CHECK(f.dispatcher.sweep(detected + 20 * kSecond) == 0);  // nothing due yet

  CHECK(f.dispatcher.sweep(detected + 31 * kSecond) == 1);
  auto now = *f.store.incident(incident.id);
  CHECK(now.breaches == "dispatch");
  CHECK(now.level == "village");
  CHECK(now.unit == "east-village-committee");
  const auto sent = notified(f.store, incident.id);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0]["event"] == "escalated");
  CHECK(sent[0]["unit"] == "east-village-committee");
  CHECK(actions_of(f.store, incident.id) == std::vector<std::string>{"routed", "sla_breach", "escalated"});

  // Dispatched, but nobody arrives within 3 minutes.
  TransitionRequest request;
  request.actor = "operator-7";
  request.action = DispatchAction::dispatch;
  request.unit = now.unit;
  REQUIRE(f.dispatcher.transition(incident.id, request, detected + 40 * kSecond).result ==
          TransitionOutcome::Result::applied);
  CHECK(f.dispatcher.sweep(detected + 200 * kSecond) == 0);
  CHECK(f.dispatcher.sweep(detected + 221 * kSecond) == 1);
  now = *f.store.incident(incident.id);
  CHECK(now.breaches == "dispatch,on_scene");
  CHECK(now.level == "town");
  CHECK(now.unit == "baihe-town-office");
  // A day later the open case turns green and climbs to the county.
  f.dispatcher.sweep(now.created_ms + 24 * 3600 * kSecond + 2);
  now = *f.store.incident(incident.id);
  CHECK(now.light == "green");
  CHECK(now.level == "county");
  CHECK(now.unit == "county-command-centre");
  const auto events = f.store.incident_events(incident.id);
  const auto escalation = nlohmann::json::parse(events.back().details);
  CHECK(escalation["to_level"] == "county");
}

TEMPLATE_TEST_CASE("the API serves an incident's timeline and applies transitions with clear refusals",
                   "[dispatcher][http]", SqliteBackend, PostgresBackend) {
  if (!gridwatch::test::backend_usable<TestType>()) return;
  Fixture<TestType> f;
  const auto incident = f.open(AlertKind::tamper, Severity::minor, 30.61, 104.01);
  ApiRouter router(f.store, nullptr);
  const gridwatch::central::HttpStats stats{};
  const std::string path = "/api/v1/incidents/" + std::to_string(incident.id);
  CHECK(router.handle("POST", path + "/transitions", R"({"action":"acknowledge","actor":"a"})", stats).status == 503);
  router.set_transition_handler([&](std::int64_t id, const TransitionRequest& request) {
    return f.dispatcher.transition(id, request, incident.created_ms + 5 * kSecond);
  });

  auto reply = router.handle("GET", path, stats);
  REQUIRE(reply.status == 200);
  auto body = nlohmann::json::parse(reply.body);
  CHECK(body["incident"]["dispatch"]["cell_id"] == "grid-1");
  CHECK(body["timeline"].size() == 1);
  CHECK(body["timeline"][0]["action"] == "routed");
  CHECK(body["timeline"][0]["details"]["cell"] == "grid-1");

  reply = router.handle("POST", path + "/transitions", R"({"action":"arrive","actor":"operator-7"})", stats);
  CHECK(reply.status == 422);
  CHECK_THAT(reply.body, Catch::Contains("cannot arrive an incident that is new"));
  reply = router.handle("POST", path + "/transitions", R"({"action":"teleport","actor":"x","colour":1})", stats);
  CHECK(reply.status == 400);
  CHECK_THAT(reply.body, Catch::Contains("action: must be one of"));
  CHECK_THAT(reply.body, Catch::Contains("colour: unknown field"));
  CHECK(router.handle("POST", path + "/transitions", "not json", stats).status == 400);
  CHECK(router.handle("POST", "/api/v1/incidents/abc/transitions", "{}", stats).status == 400);
  CHECK(router.handle("GET", "/api/v1/incidents/999", stats).status == 404);
  CHECK(router.handle("DELETE", path, stats).status == 405);

  reply = router.handle("POST", path + "/transitions",
                        R"({"action":"dispatch","actor":"operator-7","unit":"market-grid-warden","note":"go"})", stats);
  REQUIRE(reply.status == 200);
  CHECK(nlohmann::json::parse(reply.body)["incident"]["state"] == "dispatched");
  body = nlohmann::json::parse(router.handle("GET", path, stats).body);
  REQUIRE(body["timeline"].size() == 2);
  CHECK(body["timeline"][1]["actor"] == "operator-7");
  CHECK(body["timeline"][1]["details"]["unit"] == "market-grid-warden");
}
