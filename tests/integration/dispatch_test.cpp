// The dispatch workflow end to end: a real sensor alarm through a real
// gateway and broker becomes an incident that central routes to its grid
// cell's duty unit, auto-dispatches, times, and lets staff move on over
// HTTP.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <thread>

#include "tests/integration/daemons.hpp"
#include "tests/support/live_feed_client.hpp"

using namespace gridwatch;
using namespace std::chrono_literals;

namespace {

/// curl against central's API; returns the HTTP status and the body.
std::pair<int, nlohmann::json> api(int port, const std::string& method, const std::string& path,
                                   const std::string& body = "") {
  std::vector<std::string> argv{"curl", "-s", "-o", "-", "-w", "\n%{http_code}", "-X", method,
                                "http://127.0.0.1:" + std::to_string(port) + path};
  if (!body.empty()) {
    argv.insert(argv.end(), {"-H", "Content-Type: application/json", "--data", body});
  }
  const auto result = test::run_command(argv, 10s);
  const auto newline = result.output.rfind('\n');
  REQUIRE(newline != std::string::npos);
  const int status = std::stoi(result.output.substr(newline + 1));
  return {status, nlohmann::json::parse(result.output.substr(0, newline), nullptr, false)};
}

}  // namespace

TEST_CASE("a smoke alarm is routed to the fire brigade of its cell, auto-dispatched, timed and moved on over HTTP",
          "[integration][dispatch]") {
  test::MosquittoBroker broker;
  test::Daemons daemons(broker);
  const int sensor_port = test::free_tcp_port();
  auto sensor = daemons.start_sensor(sensor_port, "flaming", 2.0);
  auto central = daemons.start_central(
      "central", std::string("dispatch:\n  cells_file: ") + GRIDWATCH_SOURCE_DIR +
                     "/tests/fixtures/central/grid.geojson\n  sweep_interval_ms: 200\n  sla:\n    on_scene_s: 2\n");
  test::EdgeOptions edge_options;
  edge_options.sensor_port = sensor_port;
  auto edge = daemons.start_edge(edge_options);

  const bool dispatched = test::wait_until(
      [&] {
        const auto incidents = daemons.incidents();
        return !incidents.empty() && incidents.front().state == "dispatched";
      },
      30s);
  INFO("central log:\n" << central->log());
  REQUIRE(dispatched);
  const auto incident = daemons.incidents().front();
  // The gateway stands at 30.6598, 104.0633: in the county, outside the
  // town; a severe smoke starts at town level, so the county handles it.
  CHECK(incident.cell_id == "county-1");
  CHECK(incident.level == "county");
  CHECK(incident.department == "fire");
  CHECK(incident.unit == "county-fire-brigade");
  CHECK(incident.dispatched_ms.value_or(0) - incident.detected_at_ms < 5000);  // the "30 s" order

  // Nobody arrives within the (shortened) 2 s: the on-scene clock breaches.
  const auto path = "/api/v1/incidents/" + std::to_string(incident.id);
  REQUIRE(test::wait_until([&] { return daemons.incidents().front().breaches == "on_scene"; }, 10s));

  // Staff watching the live feed see the snapshot, then each change.
  test::LiveFeedClient live(static_cast<std::uint16_t>(daemons.http_port()));
  const auto snapshot = live.next();
  REQUIRE(snapshot);
  CHECK((*snapshot)["type"] == "snapshot");
  CHECK((*snapshot)["incidents"][0]["id"] == incident.id);

  auto [status, body] = api(daemons.http_port(), "POST", path + "/transitions", R"({"action":"close","actor":"op"})");
  CHECK(status == 422);
  CHECK(body["error"].get<std::string>().find("only from: resolved") != std::string::npos);
  for (const char* request : {R"({"action":"acknowledge","actor":"county-fire-brigade"})",
                              R"({"action":"arrive","actor":"county-fire-brigade"})",
                              R"({"action":"feedback","actor":"county-fire-brigade","note":"kitchen fire out"})",
                              R"({"action":"resolve","actor":"operator-7"})",
                              R"({"action":"close","actor":"operator-7","satisfaction":5})"}) {
    INFO(request);
    std::tie(status, body) = api(daemons.http_port(), "POST", path + "/transitions", request);
    CHECK(status == 200);
  }
  for (const char* state : {"acknowledged", "on_scene", "feedback", "resolved", "closed"}) {
    const auto change = live.next();
    REQUIRE(change);
    CHECK((*change)["type"] == "incident");
    CHECK((*change)["incident"]["state"] == state);
  }
  std::tie(status, body) = api(daemons.http_port(), "GET", path);
  REQUIRE(status == 200);
  CHECK(body["incident"]["state"] == "closed");
  CHECK(body["incident"]["dispatch"]["satisfaction"] == 5);
  std::vector<std::string> actions;
  for (const auto& event : body["timeline"]) actions.push_back(event["action"]);
  CHECK(actions == std::vector<std::string>{"routed", "dispatch", "sla_breach", "acknowledge", "arrive", "feedback",
                                            "resolve", "close"});
  CHECK(body["timeline"][1]["actor"] == "auto");
  CHECK(body["timeline"][6]["actor"] == "operator-7");

  CHECK(edge->stop() == 0);
  CHECK(central->stop() == 0);
  CHECK(sensor->stop() == 0);
}
