// The walking skeleton: a simulated smoke sensor crosses its threshold in
// gridwatch-edge, and the alert travels outbox -> Paho QoS1 -> Mosquitto
// -> gridwatch-central -> SQLite, ending as one dispatch event.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <thread>

#include "common/time.hpp"
#include "tests/integration/daemons.hpp"

using namespace gridwatch;
using namespace std::chrono_literals;

TEST_CASE("a smoke sensor alarm becomes one dispatch event at central", "[integration][skeleton]") {
  test::MosquittoBroker broker;
  test::Daemons daemons(broker);
  const int sensor_port = test::free_tcp_port();
  const auto started_ms = wall_clock_ms();

  auto sensor = daemons.start_sensor(sensor_port, "flaming", 2.0);
  auto central = daemons.start_central();
  test::EdgeOptions edge_options;
  edge_options.sensor_port = sensor_port;
  auto edge = daemons.start_edge(edge_options);

  const bool arrived = test::wait_until([&] { return !daemons.incidents().empty(); }, 30s);
  INFO("edge log:\n" << edge->log() << "\ncentral log:\n" << central->log() << "\nbroker log:\n" << broker.log());
  REQUIRE(arrived);

  // Let any duplicate or second event show itself before asserting "one".
  std::this_thread::sleep_for(1500ms);
  const auto incidents = daemons.incidents();
  REQUIRE(incidents.size() == 1);
  const auto& event = incidents.front();
  CHECK(event.kind == "smoke");
  CHECK(event.severity == "severe");
  CHECK(event.urgency == "Immediate");
  CHECK(event.state == "new");
  CHECK(event.gateway_id == "gw-test-1");
  CHECK(event.sensor == "smoke-1");
  CHECK(event.lat == Approx(30.6598));
  CHECK(event.lon == Approx(104.0633));
  CHECK(event.alert_count == 1);
  CHECK(event.episode_id.rfind("gw-test-1:", 0) == 0);
  CHECK(event.detected_at_ms >= started_ms);
  CHECK(event.created_ms >= event.detected_at_ms);
  CHECK(event.created_ms - event.detected_at_ms < 5000);
  CHECK(event.summary.find("smoke-1") != std::string::npos);

  // The staff-facing listing shows the same event.
  const auto listing = test::run_command(
      {test::binary_path("gridwatch-central"), "--config", daemons.central_config(), "events", "--json"}, 10s);
  CHECK(listing.exit_code == 0);
  CHECK(listing.output.find(event.episode_id) != std::string::npos);

  // Clean shutdown on SIGTERM, with the documented exit code.
  CHECK(edge->stop() == 0);
  CHECK(central->stop() == 0);
  CHECK(sensor->stop() == 0);
}

TEST_CASE("invalid configs are refused with exit code 2 and file:line errors", "[integration][config]") {
  test::TempDir dir;
  test::write_file(dir.file("edge.yaml"), "gateway:\n  id: gw-1\n  lat: 91\n  lon: 104\nsensorz: []\n");
  auto edge = test::run_command({test::binary_path("gridwatch-edge"), "--check-config", "-c", dir.file("edge.yaml")}, 10s);
  CHECK(edge.exit_code == 2);
  CHECK(edge.output.find("edge.yaml:3:8: gateway.lat") != std::string::npos);
  CHECK(edge.output.find("edge.yaml:5:1: sensorz: unknown key") != std::string::npos);

  test::write_file(dir.file("central.yaml"), "store: {backend: sqlite, sqlite_path: 7, extra: 1}\n");
  auto central =
      test::run_command({test::binary_path("gridwatch-central"), "--check-config", "-c", dir.file("central.yaml")}, 10s);
  CHECK(central.exit_code == 2);
  CHECK(central.output.find("store.extra: unknown key") != std::string::npos);

  // A broken grid-cell file is a config error too, caught by --check-config
  // and at start, never at the first alert.
  test::write_file(dir.file("cells.geojson"),
                   R"({"type": "FeatureCollection", "features": [{"type": "Feature",
                       "properties": {"id": "g1", "level": "hamlet"},
                       "geometry": {"type": "Polygon", "coordinates": [[[104, 30], [104.1, 30], [104.1, 30.1], [104, 30]]]}}]})");
  test::write_file(dir.file("routed.yaml"), "dispatch:\n  cells_file: " + dir.file("cells.geojson") + "\n");
  for (const bool check_only : {true, false}) {
    std::vector<std::string> argv{test::binary_path("gridwatch-central"), "-c", dir.file("routed.yaml")};
    if (check_only) argv.emplace_back("--check-config");
    const auto cells = test::run_command(argv, 10s);
    INFO(cells.output);
    CHECK(cells.exit_code == 2);
    CHECK(cells.output.find("cells.geojson: features[0].properties.level: must be one of grid, village, town, county") !=
          std::string::npos);
  }
  test::write_file(dir.file("routed.yaml"),
                   "dispatch:\n  cells_file: " + std::string(GRIDWATCH_SOURCE_DIR) + "/config/grid.example.geojson\n");
  const auto routed =
      test::run_command({test::binary_path("gridwatch-central"), "--check-config", "-c", dir.file("routed.yaml")}, 10s);
  CHECK(routed.exit_code == 0);
  CHECK(routed.output.find("8 grid cells") != std::string::npos);

  auto missing = test::run_command({test::binary_path("gridwatch-edge"), "-c", dir.file("nope.yaml")}, 10s);
  CHECK(missing.exit_code == 2);
  CHECK(missing.output.find("nope.yaml: cannot open") != std::string::npos);

  for (const auto* binary : {"gridwatch-edge", "gridwatch-central", "gridwatch-sim"}) {
    auto help = test::run_command({test::binary_path(binary), "--help"}, 10s);
    CHECK(help.exit_code == 0);
    CHECK(help.output.find("Usage") != std::string::npos);
  }
}

TEST_CASE("a sensor that does not answer is reported offline and the gateway keeps serving",
          "[integration][sensor]") {
  test::MosquittoBroker broker;
  test::Daemons daemons(broker);
  auto central = daemons.start_central();
  test::EdgeOptions options;
  options.gateway_id = "gw-deaf";
  options.sensor_port = test::free_tcp_port();  // nothing listens there
  options.heartbeat_s = 1;
  auto edge = daemons.start_edge(options);

  nlohmann::json telemetry;
  const bool reported = test::wait_until(
      [&] {
        const auto text = daemons.last_telemetry("gw-deaf");
        if (text.empty()) return false;
        telemetry = nlohmann::json::parse(text);
        return !telemetry["sensors"].empty() && telemetry["sensors"][0]["detail"].get<std::string>().find("failed reads") !=
                                                    std::string::npos;
      },
      20s);
  INFO("edge log:\n" << edge->log());
  REQUIRE(reported);
  CHECK(telemetry["sensors"][0]["id"] == "smoke-1");
  CHECK(telemetry["sensors"][0]["state"] == "offline");
  CHECK(telemetry["sensors"][0]["detail"].get<std::string>().find("connect") != std::string::npos);
  CHECK(edge->log().find("sensor smoke-1") != std::string::npos);  // logged once, clearly
  CHECK(edge->stop() == 0);
}
