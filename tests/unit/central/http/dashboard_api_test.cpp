// The API the dashboard uses (issue 8 and the parts of issue 7 it needs):
// incident filters and paging, fleet, stats, cells, and role checks on
// transitions. Router level, against a real SQLite store.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "central/http/api_router.hpp"
#include "central/sqlite_store.hpp"
#include "tests/support/test_env.hpp"
#include "tests/unit/central/alert_builder.hpp"

using namespace gridwatch;
using namespace gridwatch::central;

namespace {

struct Fixture {
  test::TempDir dir;
  SqliteStore store{dir.file("central.db")};
  ApiRouter router{store, nullptr};
  HttpStats http{};

  nlohmann::json get(const std::string& target, unsigned expected = 200) {
    const auto reply = router.handle("GET", target, http);
    INFO(target << " -> " << reply.body);
    CHECK(reply.status == expected);
    return nlohmann::json::parse(reply.body);
  }
  void alerts(int count) {
    for (int seq = 1; seq <= count; ++seq) {
      const auto alert = test::make_alert("gw-1", static_cast<std::uint64_t>(seq), Phase::start);
      store.record_alert(alert, encode(alert), 1000);
    }
  }
};

}  // namespace

TEST_CASE("GET /api/v1/incidents filters, pages by cursor and names bad parameters", "[http][dashboard]") {
  Fixture f;
  f.alerts(5);
  auto page = f.get("/api/v1/incidents?limit=2&state=new&kind=smoke&open=true");
  REQUIRE(page["incidents"].size() == 2);
  CHECK(page["incidents"][0]["id"] == 5);
  CHECK(page["next_cursor"] == 4);
  page = f.get("/api/v1/incidents?limit=2&cursor=4");
  CHECK(page["incidents"][0]["id"] == 3);
  page = f.get("/api/v1/incidents?limit=2&cursor=2");
  CHECK(page["incidents"].size() == 1);
  CHECK(page["next_cursor"].is_null());
  CHECK(f.get("/api/v1/incidents?state=closed,cancelled")["incidents"].empty());
  CHECK(f.get("/api/v1/incidents?since=1795000003000")["incidents"].size() == 3);

  for (const auto& [query, field] : std::vector<std::pair<std::string, std::string>>{
           {"state=burning", "state: "}, {"kind=volcano", "kind: "}, {"level=planet", "level: "},
           {"since=yesterday", "since: "}, {"open=maybe", "open: "}, {"cursor=0", "cursor: "},
           {"cell=a%20b", "cell: "}, {"since=5&until=5", "until: "}, {"sort=id", "sort: "}}) {
    const auto error = f.get("/api/v1/incidents?" + query, 400);
    INFO(query);
    CHECK(error["error"].get<std::string>().rfind(field, 0) == 0);
  }
}

TEST_CASE("GET /api/v1/fleet lists gateways with devices, outbox depth and drops", "[http][dashboard]") {
  Fixture f;
  f.store.record_status({"gw-1", PresenceState::online, "b", 1, "0.1.0", 30.5, 104.1}, 1000);
  Telemetry telemetry;
  telemetry.gateway_id = "gw-1";
  telemetry.boot_id = "b";
  telemetry.ts_ms = 1000;
  telemetry.outbox.depth = {{"alarm", 2}, {"telemetry", 1}};
  telemetry.outbox.dropped = {{"parking", 4}};
  telemetry.sensors = {{"smoke-1", "ok", ""}};
  telemetry.cameras = {{"cam-1", "offline", "no frames"}};
  f.store.record_telemetry(telemetry, encode(telemetry), 2000);
  f.store.record_status({"gw-2", PresenceState::offline, "c", 1, "0.1.0", std::nullopt, std::nullopt}, 1500);

  const auto fleet = f.get("/api/v1/fleet");
  CHECK(fleet["summary"]["total"] == 2);
  CHECK(fleet["summary"]["online"] == 1);
  CHECK(fleet["summary"]["offline"] == 1);
  const auto& gw1 = fleet["gateways"][0];
  CHECK(gw1["gateway_id"] == "gw-1");
  CHECK(gw1["outbox_depth"] == 3);
  CHECK(gw1["dropped"] == 4);
  CHECK(gw1["sensors"][0]["id"] == "smoke-1");
  CHECK(gw1["cameras"][0]["state"] == "offline");
  CHECK(gw1["lat"] == 30.5);
  const auto& gw2 = fleet["gateways"][1];
  CHECK(gw2["outbox_depth"].is_null());
  CHECK(gw2["offline_reason"] == "status");
  CHECK(gw2["offline_since_ms"] == 1500);

  const auto one = f.get("/api/v1/fleet/gw-1");
  CHECK(one["gateway"]["gateway_id"] == "gw-1");
  CHECK(one["incidents"].is_array());
  f.get("/api/v1/fleet/gw-9", 404);
  f.get("/api/v1/fleet/a%20b", 400);
}

TEST_CASE("GET /api/v1/stats reports SLA compliance and counts, GET /api/v1/cells the map", "[http][dashboard]") {
  Fixture f;
  f.alerts(2);
  auto incident = *f.store.incident(1);
  incident.state = "dispatched";
  incident.dispatched_ms = incident.detected_at_ms + 5000;
  incident.cell_id = "grid-1";
  REQUIRE(f.store.update_workflow(incident, "new", std::nullopt));
  const auto stats = f.get("/api/v1/stats?since=0&until=1900000000000&tz_offset_min=480");
  CHECK(stats["total"] == 2);
  CHECK(stats["sla"]["dispatch"]["met"] == 1);
  CHECK(stats["sla"]["dispatch"]["limit_s"] == 30);
  CHECK(stats["by_kind"]["smoke"] == 2);
  CHECK(stats["by_cell"]["grid-1"] == 1);
  CHECK(stats["resolved_at_level"]["grid"]["count"] == 0);
  CHECK(stats["resolved_at_level"]["grid"]["percent"].is_null());
  CHECK(f.get("/api/v1/stats?tz_offset_min=900", 400)["error"].get<std::string>().rfind("tz_offset_min:", 0) == 0);
  CHECK(f.get("/api/v1/stats?since=10&until=5", 400)["error"].get<std::string>().rfind("until:", 0) == 0);

  CHECK(f.get("/api/v1/cells")["features"].empty());
  f.router.set_cells_geojson(R"({"type":"FeatureCollection","features":[{"id":1}]})");
  CHECK(f.get("/api/v1/cells")["features"].size() == 1);
}

TEST_CASE("transitions are role-checked and recorded under the caller's name", "[http][dashboard][auth]") {
  Fixture f;
  f.alerts(1);
  std::vector<TransitionRequest> applied;
  f.router.set_transition_handler([&](std::int64_t, const TransitionRequest& request) {
    applied.push_back(request);
    TransitionOutcome outcome;
    outcome.incident = f.store.incident(1);
    return outcome;
  });
  const Caller operator_caller{"duty-1", Role::operator_, true, "csrf", "hash"};
  const Caller supervisor{"lead-1", Role::supervisor, true, "csrf", "hash"};
  const auto path = "/api/v1/incidents/1/transitions";

  auto refused = f.router.handle("POST", path, R"({"action":"false_alarm","note":"n"})", f.http, &operator_caller);
  CHECK(refused.status == 403);
  CHECK(refused.body.find("operator may not false_alarm; it needs the supervisor role") != std::string::npos);
  CHECK(applied.empty());

  CHECK(f.router.handle("POST", path, R"({"action":"false_alarm","note":"n"})", f.http, &supervisor).status == 200);
  // Signed in, "actor" is optional and never trusted.
  CHECK(f.router.handle("POST", path, R"({"action":"dispatch","unit":"u","actor":"someone-else"})", f.http,
                        &operator_caller)
            .status == 200);
  REQUIRE(applied.size() == 2);
  CHECK(applied[0].actor == "lead-1");
  CHECK(applied[1].actor == "duty-1");
  // Without sign-in (http.auth: off) the actor is still required.
  CHECK(f.router.handle("POST", path, R"({"action":"dispatch","unit":"u"})", f.http).status == 400);
}
