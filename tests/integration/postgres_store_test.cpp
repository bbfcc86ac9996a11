// Central with `store.backend: postgres`: a simulated smoke sensor alarm
// travels gateway -> Mosquitto -> gridwatch-central -> a throwaway
// PostgreSQL and ends as one dispatch event there; the `events` listing
// reads it back through the same backend selection.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include "central/postgres_store.hpp"
#include "common/time.hpp"
#include "tests/integration/daemons.hpp"
#include "tests/support/postgres_server.hpp"

using namespace gridwatch;
using namespace std::chrono_literals;

namespace {

std::vector<central::IncidentRecord> incidents_in(const std::string& conninfo) {
  try {
    central::PostgresStore store(conninfo, central::PostgresStore::Access::read_only);
    return store.incidents({1000, std::nullopt});
  } catch (const std::exception&) {
    return {};  // central has not migrated the schema yet
  }
}

/// Starts gridwatch-central on PostgreSQL. Daemons::start_central writes
/// an SQLite store section, so this writes its own config.
std::unique_ptr<test::ChildProcess> start_central_on_postgres(test::Daemons& daemons, const std::string& broker_uri,
                                                              const std::string& conninfo, const std::string& name,
                                                              const std::string& extra_mqtt = "") {
  const auto config = daemons.dir().file(name + ".yaml");
  test::write_file(config, "instance_id: " + name +
                               "\n"
                               "log_level: debug\n"
                               "stats_log_interval_s: 1\n"
                               "mqtt:\n"
                               "  broker: " +
                               broker_uri +
                               "\n"
                               "  reconnect_min_ms: 100\n"
                               "  reconnect_max_ms: 1000\n" +
                               extra_mqtt +
                               "store:\n"
                               "  backend: postgres\n"
                               "  postgres_conninfo: \"" +
                               conninfo +
                               "\"\n"
                               "http:\n"
                               "  port: " +
                               std::to_string(test::free_tcp_port()) +
                               "\n"
                               // A burst raises independent smoke episodes at one place;
                               // these tests count them, so cues are not correlated.
                               "correlation: {enabled: false}\n");
  return std::make_unique<test::ChildProcess>(
      std::vector<std::string>{test::binary_path("gridwatch-central"), "--config", config},
      daemons.dir().file(name + ".log"));
}

/// The incidents a central opened, from its last "ingest: N received, M
/// incidents opened, ..." line.
long opened_count(const std::string& log) {
  const auto line = log.rfind("ingest: ");
  if (line == std::string::npos) return 0;
  const auto at = log.find("received, ", line);
  return at == std::string::npos ? 0 : std::strtol(log.c_str() + at + 10, nullptr, 10);
}

/// The test binary's PostgreSQL, or null after a WARN naming what is missing.
test::PostgresServer* shared_server_or_skip() {
  auto& server = test::PostgresServer::shared();
  if (server.available()) return &server;
  WARN("SKIPPED: " << server.why_not());
  return nullptr;
}

}  // namespace

TEST_CASE("central on postgres turns a smoke sensor alarm into one dispatch event", "[integration][postgres]") {
  auto* server = shared_server_or_skip();
  if (server == nullptr) return;
  const auto conninfo = server->create_database("central_it");
  test::MosquittoBroker broker;
  test::Daemons daemons(broker);
  const int sensor_port = test::free_tcp_port();
  const auto started_ms = wall_clock_ms();
  auto sensor = daemons.start_sensor(sensor_port, "flaming", 2.0);

  auto central = start_central_on_postgres(daemons, broker.uri(), conninfo, "central-pg");
  test::EdgeOptions edge_options;
  edge_options.sensor_port = sensor_port;
  auto edge = daemons.start_edge(edge_options);

  const bool arrived = test::wait_until([&] { return !incidents_in(conninfo).empty(); }, 30s);
  INFO("edge log:\n" << edge->log() << "\ncentral log:\n" << central->log());
  REQUIRE(arrived);
  std::this_thread::sleep_for(1500ms);  // let a duplicate or second event show itself
  const auto incidents = incidents_in(conninfo);
  REQUIRE(incidents.size() == 1);
  const auto& event = incidents.front();
  CHECK(event.kind == "smoke");
  CHECK(event.severity == "severe");
  CHECK(event.gateway_id == "gw-test-1");
  CHECK(event.sensor == "smoke-1");
  CHECK(event.lat == Approx(30.6598));
  CHECK(event.alert_count == 1);
  CHECK(event.detected_at_ms >= started_ms);
  CHECK(event.created_ms - event.detected_at_ms < 5000);
  CHECK(central->log().find("store PostgreSQL") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(daemons.central_db()));  // nothing went to SQLite

  const auto listing = test::run_command(
      {test::binary_path("gridwatch-central"), "--config", daemons.dir().file("central-pg.yaml"), "events", "--json"},
      10s);
  CHECK(listing.exit_code == 0);
  CHECK(listing.output.find(event.episode_id) != std::string::npos);

  CHECK(edge->stop() == 0);
  CHECK(central->stop() == 0);
  CHECK(sensor->stop() == 0);
}

TEST_CASE("central refuses to start when its postgres cannot be reached, without showing the password",
          "[integration][postgres][config]") {
  test::TempDir dir;
  const int port = test::free_tcp_port();  // nothing listens there
  test::write_file(dir.file("central.yaml"),
                   "store:\n  backend: postgres\n  postgres_conninfo: \"host=127.0.0.1 port=" + std::to_string(port) +
                       " user=central password=s3cret connect_timeout=2\"\nhttp: {enabled: false}\n");
  auto run = test::run_command({test::binary_path("gridwatch-central"), "-c", dir.file("central.yaml")}, 20s);
  CHECK(run.exit_code == 1);
  CHECK(run.output.find("cannot connect to PostgreSQL") != std::string::npos);
  CHECK(run.output.find("s3cret") == std::string::npos);

  test::write_file(dir.file("bad.yaml"), "store:\n  backend: postgres\n");
  auto bad = test::run_command({test::binary_path("gridwatch-central"), "--check-config", "-c", dir.file("bad.yaml")},
                               10s);
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("bad.yaml:2:3: store.backend: postgres needs store.postgres_conninfo") != std::string::npos);
}

TEST_CASE("two centrals on one postgres split a burst through a shared subscription and store it exactly once",
          "[integration][postgres][shared]") {
  auto* server = shared_server_or_skip();
  if (server == nullptr) return;
  const auto conninfo = server->create_database("central_shared");
  test::MosquittoBroker broker;
  test::Daemons daemons(broker);
  const std::string shared = "  shared_group: gridwatch-central\n";
  auto central_a = start_central_on_postgres(daemons, broker.uri(), conninfo, "central-a", shared);
  auto central_b = start_central_on_postgres(daemons, broker.uri(), conninfo, "central-b", shared);
  REQUIRE(test::wait_until(
      [&] {
        return central_a->log().find("mqtt: connected") != std::string::npos &&
               central_b->log().find("mqtt: connected") != std::string::npos;
      },
      20s));

  test::EdgeOptions options;
  options.gateway_id = "gw-shared";
  test::BurstOptions burst;
  burst.count = 300;
  burst.rate = 300;
  auto driver = daemons.start_driver(options, burst, "driver");
  REQUIRE(test::wait_until([&] { return test::stored_ids(driver->log()).size() == 300; }, 30s));
  const auto sent = test::stored_ids(driver->log());

  const bool all_in = test::wait_until([&] { return incidents_in(conninfo).size() >= sent.size(); }, 60s);
  const auto tail = [](const std::string& log) { return log.substr(log.size() > 3000 ? log.size() - 3000 : 0); };
  INFO("central-a log tail:\n" << tail(central_a->log()) << "\ncentral-b log tail:\n" << tail(central_b->log()));
  REQUIRE(all_in);
  std::this_thread::sleep_for(1500ms);  // let a stray duplicate show itself
  const auto incidents = incidents_in(conninfo);
  CHECK(incidents.size() == sent.size());  // one burst alert is one episode: exactly one incident each
  std::set<std::string> episodes;
  for (const auto& incident : incidents) {
    CHECK(incident.alert_count == 1);
    episodes.insert(incident.episode_id);
  }
  CHECK(episodes.size() == incidents.size());
  // Both instances did part of the work, and together opened each once.
  CHECK(test::wait_until(
      [&] { return opened_count(central_a->log()) + opened_count(central_b->log()) == 300; }, 5s));
  CHECK(opened_count(central_a->log()) > 0);
  CHECK(opened_count(central_b->log()) > 0);
  CHECK(central_a->stop() == 0);
  CHECK(central_b->stop() == 0);
}
