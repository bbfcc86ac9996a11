// The Store contract: every case runs against SqliteStore and
// PostgresStore (the latter on a throwaway PostgreSQL, skipped with a
// WARN where the server binaries are missing).
#include <catch2/catch.hpp>

#include <array>

#include "tests/unit/central/alert_builder.hpp"
#include "tests/unit/central/store_backends.hpp"

using namespace gridwatch;
using namespace gridwatch::central;
using test::PostgresBackend;
using test::SqliteBackend;

TEMPLATE_TEST_CASE("an episode's start, update and end make one incident", "[store]", SqliteBackend,
                   PostgresBackend) {
  if (!test::backend_usable<TestType>()) return;
  TestType backend;
  auto store = backend.open();
  const auto start = test::make_alert("gw-1", 1, Phase::start);
  CHECK(store->record_alert(start, encode(start), 100) == AlertOutcome::opened_incident);
  auto update = test::make_alert("gw-1", 2, Phase::update, start.episode_id);
  update.severity = Severity::extreme;
  CHECK(store->record_alert(update, encode(update), 200) == AlertOutcome::updated_incident);
  const auto end = test::make_alert("gw-1", 3, Phase::end, start.episode_id);
  CHECK(store->record_alert(end, encode(end), 300) == AlertOutcome::updated_incident);

  const auto incidents = store->incidents({});
  REQUIRE(incidents.size() == 1);
  const auto& incident = incidents.front();
  CHECK(incident.episode_id == start.episode_id);
  CHECK(incident.gateway_id == "gw-1");
  CHECK(incident.kind == "smoke");
  CHECK(incident.severity == "extreme");  // the worst seen
  CHECK(incident.urgency == "Immediate");
  CHECK(incident.certainty == "Likely");
  CHECK(incident.state == "new");
  CHECK(incident.detected_at_ms == start.detected_at_ms);
  CHECK(incident.created_ms == 100);
  CHECK(incident.updated_ms == 300);
  CHECK(incident.episode_ended_ms == end.detected_at_ms);
  CHECK(incident.alert_count == 3);
  CHECK(incident.sensor == "smoke-1");
  CHECK(incident.camera.empty());
  CHECK(incident.lat == Approx(30.5));
  CHECK(incident.lon == Approx(104.1));
  CHECK(incident.summary == "seq 3");
  // Routing and workflow fields start empty.
  CHECK(incident.level == "grid");
  CHECK(incident.light == "none");
  CHECK_FALSE(incident.dispatched_ms);
  CHECK_FALSE(incident.satisfaction);
  CHECK_FALSE(incident.sla_next_ms);
  CHECK(store->incident_by_episode(start.episode_id)->id == incident.id);
  CHECK(store->incident(incident.id)->episode_id == start.episode_id);
}

TEMPLATE_TEST_CASE("a lower severity, lower confidence or empty summary never downgrades an incident", "[store]",
                   SqliteBackend, PostgresBackend) {
  if (!test::backend_usable<TestType>()) return;
  TestType backend;
  auto store = backend.open();
  auto start = test::make_alert("gw-1", 1, Phase::start);
  start.confidence = 0.95;
  store->record_alert(start, encode(start), 100);
  auto update = test::make_alert("gw-1", 2, Phase::update, start.episode_id);
  update.severity = Severity::minor;
  update.confidence = 0.5;
  update.summary.clear();
  CHECK(store->record_alert(update, encode(update), 200) == AlertOutcome::updated_incident);
  const auto incident = *store->incident_by_episode(start.episode_id);
  CHECK(incident.severity == "severe");
  CHECK(incident.confidence == Approx(0.95));
  CHECK(incident.certainty == "Observed");
  CHECK(incident.summary == "seq 1");
  CHECK_FALSE(incident.episode_ended_ms);
  CHECK(incident.updated_ms == 200);
}

TEMPLATE_TEST_CASE("whichever phase of an episode arrives first opens its incident", "[store]", SqliteBackend,
                   PostgresBackend) {
  if (!test::backend_usable<TestType>()) return;
  TestType backend;
  auto store = backend.open();
  const auto end = test::make_alert("gw-1", 7, Phase::end, "gw-1:e0e0e0e0:5");
  CHECK(store->record_alert(end, encode(end), 100) == AlertOutcome::opened_incident);
  const auto start = test::make_alert("gw-1", 5, Phase::start);  // its episode id is gw-1:e0e0e0e0:5
  CHECK(store->record_alert(start, encode(start), 200) == AlertOutcome::updated_incident);
  const auto incident = *store->incident_by_episode("gw-1:e0e0e0e0:5");
  CHECK(incident.episode_ended_ms == end.detected_at_ms);
  CHECK(incident.alert_count == 2);
  CHECK(incident.detected_at_ms == end.detected_at_ms);
}

TEMPLATE_TEST_CASE("a redelivered alert never creates a second dispatch event", "[store]", SqliteBackend,
                   PostgresBackend) {
  if (!test::backend_usable<TestType>()) return;
  TestType backend;
  auto store = backend.open();
  const auto alert = test::make_alert("gw-1", 1, Phase::start);
  CHECK(store->record_alert(alert, encode(alert), 100) == AlertOutcome::opened_incident);
  for (int i = 0; i < 5; ++i) CHECK(store->record_alert(alert, encode(alert), 200) == AlertOutcome::duplicate);
  const auto incidents = store->incidents({});
  REQUIRE(incidents.size() == 1);
  CHECK(incidents.front().alert_count == 1);
  CHECK(incidents.front().updated_ms == 100);
}

TEMPLATE_TEST_CASE("incidents survive reopening and list newest first, filtered by gateway", "[store]",
                   SqliteBackend, PostgresBackend) {
  if (!test::backend_usable<TestType>()) return;
  TestType backend;
  {
    auto store = backend.open();
    for (std::uint64_t seq = 1; seq <= 3; ++seq) {
      const auto alert = test::make_alert(seq == 2 ? "gw-2" : "gw-1", seq, Phase::start);
      store->record_alert(alert, encode(alert), 100);
    }
  }
  auto store = backend.open_read_only();
  const auto all = store->incidents({});
  REQUIRE(all.size() == 3);
  CHECK(all.front().id > all.back().id);
  CHECK(all.front().episode_id == "gw-1:e0e0e0e0:3");
  const auto of_gw2 = store->incidents({10, std::string("gw-2")});
  REQUIRE(of_gw2.size() == 1);
  CHECK(of_gw2.front().gateway_id == "gw-2");
  CHECK(store->incidents({1, std::nullopt}).size() == 1);
  CHECK(store->incidents({10, std::string("gw-9")}).empty());
  CHECK_FALSE(store->incident(999'999));
  CHECK_FALSE(store->incident_by_episode("nope"));
}

TEMPLATE_TEST_CASE("presence and telemetry update the gateway record", "[store]", SqliteBackend, PostgresBackend) {
  if (!test::backend_usable<TestType>()) return;
  TestType backend;
  auto store = backend.open();
  store->record_status({"gw-1", PresenceState::online, "boot1", 10, "0.1.0", std::nullopt, std::nullopt}, 1000);
  Telemetry telemetry;
  telemetry.gateway_id = "gw-1";
  telemetry.boot_id = "boot1";
  telemetry.ts_ms = 2000;
  store->record_telemetry(telemetry, encode(telemetry), 2000);
  store->record_status({"gw-1", PresenceState::offline, "boot1", 20, "0.1.1", std::nullopt, std::nullopt}, 1500);
  telemetry.gateway_id = "gw-0";  // telemetry before any status
  store->record_telemetry(telemetry, encode(telemetry), 500);
  const auto gateways = store->gateways();
  REQUIRE(gateways.size() == 2);
  CHECK(gateways[0].gateway_id == "gw-0");
  CHECK(gateways[0].presence == "unknown");
  CHECK(gateways[0].last_seen_ms == 500);
  const auto& gw1 = gateways[1];
  CHECK(gw1.presence == "offline");
  CHECK(gw1.version == "0.1.1");
  CHECK(gw1.boot_id == "boot1");
  CHECK(gw1.last_seen_ms == 2000);  // the newest, whatever the arrival order
  CHECK(gw1.telemetry_json.find("\"telemetry\"") != std::string::npos);
}

TEMPLATE_TEST_CASE("evidence is stored byte for byte, once per evidence id", "[store]", SqliteBackend,
                   PostgresBackend) {
  if (!test::backend_usable<TestType>()) return;
  TestType backend;
  auto store = backend.open();
  Evidence evidence;
  evidence.evidence_id = "gw-1:e0e0e0e0:1:jpg";
  evidence.alert_id = "gw-1:e0e0e0e0:1";
  evidence.gateway_id = "gw-1";
  evidence.captured_at_ms = 1234;
  evidence.data = std::string("\xff\xd8\xff\xe0\0\x01\\x00'\"\n", 13);
  evidence.data += std::string(100'000, '\x80');
  CHECK(store->record_evidence(evidence, 2000));
  auto again = evidence;
  again.data = "other";
  CHECK_FALSE(store->record_evidence(again, 3000));
  const auto stored = store->evidence(evidence.evidence_id);
  REQUIRE(stored);
  CHECK(stored->data == evidence.data);
  CHECK(stored->alert_id == evidence.alert_id);
  CHECK(stored->gateway_id == "gw-1");
  CHECK(stored->captured_at_ms == 1234);
  CHECK(stored->content_type == "image/jpeg");
  CHECK_FALSE(store->evidence("nope:jpg"));
}

TEMPLATE_TEST_CASE("a workflow update applies only from the expected state, with its audit event", "[store]",
                   SqliteBackend, PostgresBackend) {
  if (!test::backend_usable<TestType>()) return;
  TestType backend;
  auto store = backend.open();
  const auto alert = test::make_alert("gw-1", 1, Phase::start);
  store->record_alert(alert, encode(alert), 100);
  auto incident = *store->incident_by_episode(alert.episode_id);

  incident.state = "dispatched";
  incident.cell_id = "grid-1";
  incident.level = "village";
  incident.starting_level = "grid";
  incident.department = "fire";
  incident.unit = "east-village-committee";
  incident.dispatched_ms = 5000;
  incident.satisfaction = 3;
  incident.light = "green";
  incident.breaches = "dispatch";
  incident.sla_next_ms = 9000;
  IncidentEvent event;
  event.at_ms = 5000;
  event.actor = "operator-7";
  event.action = "dispatch";
  event.from_state = "new";
  event.to_state = "dispatched";
  event.note = "it's \"urgent\"";
  // Another operator (or central instance) moved it first: refused.
  CHECK_FALSE(store->update_workflow(incident, "acknowledged", event));
  CHECK(store->incident(incident.id)->state == "new");
  CHECK(store->incident_events(incident.id).empty());

  CHECK(store->update_workflow(incident, "new", event));
  auto stored = *store->incident(incident.id);
  CHECK(stored.state == "dispatched");
  CHECK(stored.cell_id == "grid-1");
  CHECK(stored.level == "village");
  CHECK(stored.department == "fire");
  CHECK(stored.unit == "east-village-committee");
  CHECK(stored.dispatched_ms == 5000);
  CHECK_FALSE(stored.on_scene_ms);
  CHECK(stored.satisfaction == 3);
  CHECK(stored.light == "green");
  CHECK(stored.breaches == "dispatch");
  CHECK(stored.sla_next_ms == 9000);
  CHECK(stored.updated_ms == 5000);
  CHECK(stored.alert_count == 1);  // untouched by the workflow

  // Without an event; clearing optional fields writes NULL.
  stored.sla_next_ms.reset();
  stored.satisfaction.reset();
  stored.updated_ms = 50;  // older than what is stored: updated_ms never goes back
  CHECK(store->update_workflow(stored, "dispatched", std::nullopt));
  stored = *store->incident(incident.id);
  CHECK_FALSE(stored.sla_next_ms);
  CHECK_FALSE(stored.satisfaction);
  CHECK(stored.updated_ms == 5000);

  event.action = "acknowledge";
  event.at_ms = 6000;
  event.details = R"({"unit":"x"})";
  stored.state = "acknowledged";
  CHECK(store->update_workflow(stored, "dispatched", event));
  const auto events = store->incident_events(incident.id);
  REQUIRE(events.size() == 2);
  CHECK(events[0].id < events[1].id);
  CHECK(events[0].incident_id == incident.id);
  CHECK(events[0].at_ms == 5000);
  CHECK(events[0].actor == "operator-7");
  CHECK(events[0].action == "dispatch");
  CHECK(events[0].from_state == "new");
  CHECK(events[0].to_state == "dispatched");
  CHECK(events[0].note == "it's \"urgent\"");
  CHECK(events[0].details == "{}");
  CHECK(events[1].action == "acknowledge");
  CHECK(events[1].details == R"({"unit":"x"})");
  CHECK(store->incident_events(999'999).empty());

  stored.id = 999'999;
  CHECK_FALSE(store->update_workflow(stored, "acknowledged", event));
}

TEMPLATE_TEST_CASE("incidents_due lists what the SLA sweep must look at, soonest first", "[store]", SqliteBackend,
                   PostgresBackend) {
  if (!test::backend_usable<TestType>()) return;
  TestType backend;
  auto store = backend.open();
  const std::array<std::optional<EpochMs>, 4> next{9000, std::nullopt, 3000, 20'000};
  for (std::uint64_t seq = 1; seq <= next.size(); ++seq) {
    const auto alert = test::make_alert("gw-1", seq, Phase::start);
    store->record_alert(alert, encode(alert), 100);
    auto incident = *store->incident_by_episode(alert.episode_id);
    incident.sla_next_ms = next[seq - 1];
    REQUIRE(store->update_workflow(incident, "new", std::nullopt));
  }
  const auto due = store->incidents_due(10'000, 10);
  REQUIRE(due.size() == 2);
  CHECK(due[0].sla_next_ms == 3000);
  CHECK(due[1].sla_next_ms == 9000);
  CHECK(store->incidents_due(10'000, 1).size() == 1);
  CHECK(store->incidents_due(2999, 10).empty());
  CHECK(store->incidents_due(20'000, 10).size() == 3);
}

namespace {

NotificationRecord queued(const std::string& channel, const std::string& event, EpochMs at) {
  NotificationRecord row;
  row.channel = channel;
  row.event = event;
  row.target = channel == "sms" ? "+8613800000001" : "http://127.0.0.1:9/hook";
  row.body = R"({"event":")" + event + R"("})";
  row.created_ms = at;
  row.next_attempt_ms = at;
  return row;
}

IncidentRecord one_incident(Store& store) {
  const auto alert = test::make_alert("gw-1", 1, Phase::start);
  store.record_alert(alert, encode(alert), 100);
  return *store.incident_by_episode(alert.episode_id);
}

}  // namespace

TEMPLATE_TEST_CASE("notifications are written with their workflow change, then leased, retried and delivered",
                   "[store][notify]", SqliteBackend, PostgresBackend) {
  if (!test::backend_usable<TestType>()) return;
  TestType backend;
  auto store = backend.open();
  auto incident = one_incident(*store);
  incident.state = "dispatched";
  IncidentEvent event;
  event.at_ms = 1000;
  event.actor = "auto";
  event.action = "dispatch";

  // A refused change writes none of its notifications.
  CHECK_FALSE(store->apply_workflow({incident, "acknowledged", std::nullopt, {event}, {queued("hook", "dispatched", 1000)}}));
  CHECK(store->notifications(incident.id).empty());
  REQUIRE(store->apply_workflow(
      {incident, "new", std::nullopt, {event}, {queued("hook", "dispatched", 1000), queued("sms", "dispatched", 1000)}}));
  auto rows = store->notifications(incident.id);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].incident_id == incident.id);
  CHECK(rows[0].attempts == 0);
  CHECK(rows[0].next_attempt_ms == 1000);
  CHECK(store->notification_backlog().pending == 2);
  CHECK(store->notification_backlog().oldest_pending_created_ms == 1000);

  CHECK(store->claim_notifications(999, 50'000, 10).empty());  // not due yet
  auto claimed = store->claim_notifications(1000, 50'000, 1);
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].id == rows[0].id);
  CHECK(claimed[0].attempts == 1);
  CHECK(claimed[0].next_attempt_ms == 50'000);  // leased
  // The leased row is not handed out again; the other one is.
  claimed = store->claim_notifications(2000, 50'000, 10);
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].id == rows[1].id);

  store->notification_failed(rows[0].id, 3000, "HTTP 503: busy");
  store->notification_delivered(rows[1].id, 2500);
  CHECK(store->notification_backlog().pending == 1);
  CHECK(store->notification_backlog().delivered == 1);
  CHECK(store->notification_backlog().retrying == 1);
  CHECK(store->claim_notifications(2999, 50'000, 10).empty());
  claimed = store->claim_notifications(3000, 60'000, 10);
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].attempts == 2);
  CHECK(claimed[0].last_error == "HTTP 503: busy");

  // A lease that runs out (its sender died) makes the row due again.
  claimed = store->claim_notifications(60'000, 90'000, 10);
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].attempts == 3);
  store->notification_delivered(rows[0].id, 61'000);
  // A late failure report for a delivered row changes nothing.
  store->notification_failed(rows[0].id, 62'000, "late");
  rows = store->notifications(incident.id);
  CHECK(rows[0].delivered_ms == 61'000);
  CHECK_FALSE(rows[0].next_attempt_ms);
  CHECK(rows[0].last_error.empty());
  CHECK(store->notification_backlog().pending == 0);
  CHECK(store->notification_backlog().oldest_pending_created_ms == 0);
  CHECK(store->claim_notifications(1'000'000, 2'000'000, 10).empty());
}

TEMPLATE_TEST_CASE("an SLA write applies only while the incident still has the deadline the sweep saw",
                   "[store][sla]", SqliteBackend, PostgresBackend) {
  if (!test::backend_usable<TestType>()) return;
  TestType backend;
  auto store = backend.open();
  auto incident = one_incident(*store);
  incident.sla_next_ms = 5000;
  REQUIRE(store->update_workflow(incident, "new", std::nullopt));

  // Two sweeps saw deadline 5000; the first moves it on, the second is refused.
  auto first = incident;
  first.sla_next_ms = 9000;
  first.level = "village";
  CHECK(store->apply_workflow({first, "new", std::optional<EpochMs>(5000), {}, {}}));
  auto second = incident;
  second.sla_next_ms = 9000;
  second.level = "town";
  CHECK_FALSE(store->apply_workflow({second, "new", std::optional<EpochMs>(5000), {}, {}}));
  CHECK(store->incident(incident.id)->level == "village");
  // A deadline of "none" is matched too.
  auto cleared = *store->incident(incident.id);
  cleared.sla_next_ms = std::nullopt;
  CHECK(store->apply_workflow({cleared, "new", std::optional<EpochMs>(9000), {}, {}}));
  CHECK(store->apply_workflow({cleared, "new", std::optional<std::optional<EpochMs>>(std::nullopt), {}, {}}));
}

TEMPLATE_TEST_CASE("a parking alert's plate is kept on its incident", "[store]", SqliteBackend, PostgresBackend) {
  if (!test::backend_usable<TestType>()) return;
  TestType backend;
  auto store = backend.open();
  auto start = test::make_alert("gw-1", 1, Phase::start);
  start.kind = AlertKind::parking;
  store->record_alert(start, encode(start), 100);
  CHECK(store->incident_by_episode(start.episode_id)->plate.empty());
  auto update = test::make_alert("gw-1", 2, Phase::update, start.episode_id);
  update.kind = AlertKind::parking;
  update.plate = "A12345";
  store->record_alert(update, encode(update), 200);
  auto end = test::make_alert("gw-1", 3, Phase::end, start.episode_id);
  end.kind = AlertKind::parking;
  store->record_alert(end, encode(end), 300);  // no plate: keeps the one read before
  CHECK(store->incident_by_episode(start.episode_id)->plate == "A12345");
}

TEMPLATE_TEST_CASE("a camera's smoke and a nearby sensor's alarm make one incident, a far one or parking do not",
                   "[store][correlation]", SqliteBackend, PostgresBackend) {
  if (!test::backend_usable<TestType>()) return;
  TestType backend;
  auto store = backend.open();
  CorrelationSettings correlation;  // 300 m, 5 min
  store->set_correlation(correlation);

  auto camera_smoke = test::make_alert("gw-cam", 1, Phase::start);
  camera_smoke.location = {30.5, 104.1, std::string("cam-1"), std::nullopt, std::nullopt};
  camera_smoke.severity = Severity::moderate;
  REQUIRE(store->record_alert(camera_smoke, encode(camera_smoke), 100) == AlertOutcome::opened_incident);
  const auto incident = *store->incident_by_episode(camera_smoke.episode_id);

  auto sensor_alarm = test::make_alert("gw-pole", 7, Phase::start);  // 6 s later, ~100 m away
  sensor_alarm.location = {30.5009, 104.1, std::nullopt, std::nullopt, std::string("smoke-1")};
  CHECK(store->record_alert(sensor_alarm, encode(sensor_alarm), 200) == AlertOutcome::updated_incident);
  CHECK(store->incident_by_episode(sensor_alarm.episode_id)->id == incident.id);
  auto joined = *store->incident(incident.id);
  CHECK(joined.alert_count == 2);
  CHECK(joined.severity == "severe");  // the worst cue
  const auto events = store->incident_events(incident.id);
  REQUIRE(events.size() == 1);
  CHECK(events[0].action == "correlated");
  CHECK(events[0].note == "smoke sensor smoke-1 of gw-pole joined this incident");

  // The joined episode's later messages follow it; its end does not end
  // the incident (only the opening episode's does).
  auto sensor_end = test::make_alert("gw-pole", 8, Phase::end, sensor_alarm.episode_id);
  CHECK(store->record_alert(sensor_end, encode(sensor_end), 300) == AlertOutcome::updated_incident);
  CHECK_FALSE(store->incident(incident.id)->episode_ended_ms);
  CHECK(store->incident(incident.id)->alert_count == 3);

  auto far_smoke = test::make_alert("gw-far", 9, Phase::start);  // ~2 km away
  far_smoke.location = {30.518, 104.1, std::nullopt, std::nullopt, std::string("smoke-9")};
  CHECK(store->record_alert(far_smoke, encode(far_smoke), 400) == AlertOutcome::opened_incident);
  auto parking = test::make_alert("gw-cam", 10, Phase::start);
  parking.kind = AlertKind::parking;
  parking.location = camera_smoke.location;
  CHECK(store->record_alert(parking, encode(parking), 500) == AlertOutcome::opened_incident);
  CHECK(store->incidents({}).size() == 3);

  // Once staff mark it a false alarm, a new cue opens its own incident.
  auto closed = *store->incident(incident.id);
  closed.state = "false_alarm";
  REQUIRE(store->update_workflow(closed, "new", std::nullopt));
  auto later = test::make_alert("gw-pole", 11, Phase::start);
  later.location = sensor_alarm.location;
  CHECK(store->record_alert(later, encode(later), 600) == AlertOutcome::opened_incident);
}
