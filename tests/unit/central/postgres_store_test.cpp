// PostgreSQL-only store cases: migrations under several starting
// instances, the schema version table, two central instances recording
// alerts of the same episodes at once, and clear start-up errors. The
// semantics shared with SQLite are in store_contract_test.cpp.
#include <catch2/catch.hpp>

#include <atomic>
#include <pqxx/pqxx>
#include <thread>
#include <vector>

#include "central/postgres_store.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/unit/central/alert_builder.hpp"
#include "tests/unit/central/store_backends.hpp"

using namespace gridwatch;
using namespace gridwatch::central;

namespace {

std::int64_t count(const std::string& conninfo, const std::string& query) {
  pqxx::connection connection(conninfo);
  pqxx::read_transaction tx(connection);
  return tx.exec1(query)[0].as<std::int64_t>();
}

void execute(const std::string& conninfo, const std::string& statement) {
  pqxx::connection connection(conninfo);
  pqxx::work tx(connection);
  tx.exec(statement);
  tx.commit();
}

}  // namespace

TEST_CASE("postgres migrations run once, even when several instances start together", "[store][postgres]") {
  if (!test::backend_usable<test::PostgresBackend>()) return;
  const auto conninfo = test::PostgresServer::shared().create_database();
  // Four central instances start at the same moment on an empty database:
  // one migrates under the advisory lock, the others find it done.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  std::atomic<bool> go{false};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      while (!go) std::this_thread::yield();
      try {
        PostgresStore store(conninfo);
      } catch (const std::exception& error) {
        failures += 1;
        UNSCOPED_INFO(error.what());
      }
    });
  }
  go = true;
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
  PostgresStore store(conninfo);
  CHECK(store.schema_version() == 6);  // alerts+incidents+gateways, evidence, workflow, notifications, fleet+auth, fire-cue index
  CHECK(PostgresStore::latest_schema_version() == 6);
  CHECK(count(conninfo, "SELECT count(*) FROM gridwatch_schema_version") == 6);
  const auto alert = test::make_alert("gw-1", 1, Phase::start);
  store.record_alert(alert, encode(alert), 100);
  // Reopening changes nothing and keeps the data.
  { PostgresStore again(conninfo); }
  CHECK(count(conninfo, "SELECT count(*) FROM gridwatch_schema_version") == 6);
  CHECK(count(conninfo, "SELECT count(*) FROM incidents") == 1);
}

TEST_CASE("a postgres schema newer than this build is refused", "[store][postgres]") {
  if (!test::backend_usable<test::PostgresBackend>()) return;
  const auto conninfo = test::PostgresServer::shared().create_database();
  { PostgresStore store(conninfo); }
  execute(conninfo, "INSERT INTO gridwatch_schema_version(version) VALUES(42)");
  CHECK_THROWS_WITH(PostgresStore(conninfo), Catch::Contains("schema version 42, newer than this build's 6"));
  CHECK_THROWS_WITH(PostgresStore(conninfo, PostgresStore::Access::read_only),
                    Catch::Contains("newer than this build"));
  CHECK(count(conninfo, "SELECT max(version) FROM gridwatch_schema_version") == 42);  // untouched
}

TEST_CASE("a read-only postgres store never migrates and never writes", "[store][postgres]") {
  if (!test::backend_usable<test::PostgresBackend>()) return;
  const auto conninfo = test::PostgresServer::shared().create_database();
  CHECK_THROWS_WITH(PostgresStore(conninfo, PostgresStore::Access::read_only),
                    Catch::Contains("schema version 0, older than this build's 6"));
  CHECK(count(conninfo, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0);
  { PostgresStore store(conninfo); }
  PostgresStore reader(conninfo, PostgresStore::Access::read_only);
  CHECK(reader.incidents({}).empty());
  const auto alert = test::make_alert("gw-1", 1, Phase::start);
  CHECK_THROWS_WITH(reader.record_alert(alert, encode(alert), 100), Catch::Contains("read-only"));
}

TEST_CASE("two central instances on one postgres open exactly one incident per episode", "[store][postgres]") {
  if (!test::backend_usable<test::PostgresBackend>()) return;
  const auto conninfo = test::PostgresServer::shared().create_database();
  constexpr int kEpisodes = 60;
  constexpr std::uint64_t kAlertsPerEpisode = 6;
  // Two stores, two connections: like two central instances behind one
  // MQTT shared subscription. For every episode, instance A gets the odd
  // alerts and instance B the even ones, and each also gets one of the
  // other's alerts again (a redelivery), all at the same moment.
  PostgresStore a(conninfo);
  PostgresStore b(conninfo);
  struct Tally {
    int opened = 0;
    int updated = 0;
    int duplicates = 0;
    int failures = 0;
    std::string first_failure;
  };
  std::atomic<bool> go{false};
  auto run = [&](PostgresStore& store, std::uint64_t parity, Tally& tally) {
    while (!go) std::this_thread::yield();
    for (int episode = 0; episode < kEpisodes; ++episode) {
      const std::string gateway = "gw-" + std::to_string(episode);
      const std::string episode_id = gateway + ":e0e0e0e0:1";
      std::vector<std::uint64_t> seqs;
      for (std::uint64_t seq = 1; seq <= kAlertsPerEpisode; ++seq) {
        if (seq % 2 == parity) seqs.push_back(seq);
      }
      seqs.push_back(parity == 1 ? 2 : 1);  // the redelivery
      for (const auto seq : seqs) {
        const auto phase = seq == 1 ? Phase::start : seq == kAlertsPerEpisode ? Phase::end : Phase::update;
        const auto alert = test::make_alert(gateway, seq, phase, episode_id);
        try {
          switch (store.record_alert(alert, encode(alert), 1000 + static_cast<EpochMs>(seq))) {
            case AlertOutcome::opened_incident: tally.opened += 1; break;
            case AlertOutcome::updated_incident: tally.updated += 1; break;
            case AlertOutcome::duplicate: tally.duplicates += 1; break;
          }
        } catch (const std::exception& error) {
          if (tally.failures++ == 0) tally.first_failure = error.what();
        }
      }
    }
  };
  Tally tally_a;
  Tally tally_b;
  std::thread thread_a(run, std::ref(a), 1, std::ref(tally_a));
  std::thread thread_b(run, std::ref(b), 0, std::ref(tally_b));
  go = true;
  thread_a.join();
  thread_b.join();

  INFO("A: " << tally_a.first_failure << "\nB: " << tally_b.first_failure);
  CHECK(tally_a.failures + tally_b.failures == 0);
  CHECK(tally_a.opened + tally_b.opened == kEpisodes);
  CHECK(tally_a.opened + tally_a.updated + tally_b.opened + tally_b.updated ==
        kEpisodes * static_cast<int>(kAlertsPerEpisode));
  CHECK(tally_a.duplicates + tally_b.duplicates == 2 * kEpisodes);
  CHECK(count(conninfo, "SELECT count(*) FROM alerts") == kEpisodes * static_cast<int>(kAlertsPerEpisode));
  CHECK(count(conninfo, "SELECT count(*) FROM alerts WHERE incident_id IS NULL") == 0);
  const auto incidents = a.incidents({1000, std::nullopt});
  REQUIRE(incidents.size() == kEpisodes);
  for (const auto& incident : incidents) {
    INFO(incident.episode_id);
    CHECK(incident.alert_count == static_cast<std::int64_t>(kAlertsPerEpisode));
    CHECK(incident.episode_ended_ms);
  }
}

TEST_CASE("a postgres store survives its connection being cut: one call fails, the next reconnects",
          "[store][postgres]") {
  if (!test::backend_usable<test::PostgresBackend>()) return;
  const auto conninfo = test::PostgresServer::shared().create_database();
  PostgresStore store(conninfo);
  const auto first = test::make_alert("gw-1", 1, Phase::start);
  REQUIRE(store.record_alert(first, encode(first), 100) == AlertOutcome::opened_incident);
  // What a PostgreSQL restart or failover does to central's session.
  execute(conninfo, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()");
  const auto second = test::make_alert("gw-1", 2, Phase::start);
  bool recorded = false;
  for (int attempt = 0; attempt < 2 && !recorded; ++attempt) {
    try {
      recorded = store.record_alert(second, encode(second), 200) == AlertOutcome::opened_incident;
    } catch (const std::exception& error) {
      UNSCOPED_INFO("attempt " << attempt << ": " << error.what());  // Ingest counts this as a store failure
    }
  }
  CHECK(recorded);
  CHECK(store.incidents({}).size() == 2);
}

TEST_CASE("postgres start-up errors are clear and never show the password", "[store][postgres]") {
  const int port = test::free_tcp_port();  // nothing listens there
  const auto conninfo =
      "host=127.0.0.1 port=" + std::to_string(port) + " user=central password=s3cret dbname=gw connect_timeout=2";
  try {
    PostgresStore store(conninfo);
    FAIL("expected a connection failure");
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    CHECK_THAT(message, Catch::Contains("cannot connect to PostgreSQL"));
    CHECK_THAT(message, Catch::Contains("port=" + std::to_string(port)));
    CHECK_THAT(message, Catch::Contains("password=***"));
    CHECK_THAT(message, !Catch::Contains("s3cret"));
  }
  const auto uri = redact_conninfo("postgresql://central:s3cret@db.example:5433/gridwatch?sslmode=require");
  CHECK_THAT(uri, Catch::Contains("host=db.example") && Catch::Contains("port=5433") &&
                      Catch::Contains("dbname=gridwatch") && Catch::Contains("password=***"));
  CHECK_THAT(uri, !Catch::Contains("s3cret"));
  CHECK_THAT(redact_conninfo("host=h password='a b'"), !Catch::Contains("a b"));
  CHECK_FALSE(conninfo_error("host=db.example dbname=gridwatch"));
  CHECK(conninfo_error("hots=db.example").value_or("").find("hots") != std::string::npos);
  CHECK_THROWS_WITH(PostgresStore("hots=x"), Catch::Contains("invalid PostgreSQL conninfo"));
}
