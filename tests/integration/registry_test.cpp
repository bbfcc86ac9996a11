// Issue 7: with fleet.gateways_file, central accepts only registered
// gateways. Two real gateways (the burst driver runs the real Gateway)
// publish through a real Mosquitto; the unregistered one's alerts are
// rejected and counted, never stored. SIGHUP reloads the file: a new
// gateway is accepted without a restart, and a broken file keeps the
// registry in use.
#include <catch2/catch.hpp>

#include <csignal>

#include "tests/integration/daemons.hpp"

using namespace gridwatch;
using namespace std::chrono_literals;

namespace {

std::size_t incidents_of(test::Daemons& daemons, const std::string& gateway_id) {
  std::size_t count = 0;
  for (const auto& incident : daemons.incidents()) count += incident.gateway_id == gateway_id ? 1U : 0U;
  return count;
}

/// Starts a gateway that raises `count` alerts and returns once its outbox
/// stored them all; the gateway runs (and delivers) until it is destroyed.
std::unique_ptr<test::ChildProcess> burst_from(test::Daemons& daemons, const std::string& gateway_id, int count,
                                               const std::string& name) {
  test::EdgeOptions options;
  options.gateway_id = gateway_id;
  test::BurstOptions burst;
  burst.count = count;
  burst.rate = 50;
  auto driver = daemons.start_driver(options, burst, name);
  INFO(driver->log());
  REQUIRE(test::wait_until([&] { return test::stored_ids(driver->log()).size() == static_cast<std::size_t>(count); },
                           30s));
  return driver;
}

}  // namespace

TEST_CASE("central rejects unregistered gateways, and SIGHUP reloads the registry without a restart",
          "[integration][registry]") {
  test::MosquittoBroker broker;
  test::Daemons daemons(broker);
  const auto registry = daemons.dir().file("gateways.yaml");
  test::write_file(registry, "gateways:\n  - {id: gw-known, lat: 30.66, lon: 104.06}\n");
  auto central = daemons.start_central("central", "fleet:\n  gateways_file: " + registry + "\n");
  REQUIRE(test::wait_until([&] { return central->log().find("mqtt: connected") != std::string::npos; }, 20s));
  CHECK(central->log().find("fleet: 1 registered gateway(s) from " + registry) != std::string::npos);

  auto known = burst_from(daemons, "gw-known", 5, "known");
  auto stranger = burst_from(daemons, "gw-stranger", 5, "stranger-1");
  REQUIRE(test::wait_until([&] { return incidents_of(daemons, "gw-known") == 5; }, 30s));
  // The stranger's alerts, status and telemetry were all turned away.
  REQUIRE(test::wait_until(
      [&] { return central->log().find("unregistered gateway; latest: gridwatch/v1/gw-stranger/") != std::string::npos; },
      15s));
  CHECK(central->log().find("gateway gw-stranger is not in " + registry) != std::string::npos);
  CHECK(incidents_of(daemons, "gw-stranger") == 0);
  CHECK(daemons.presence("gw-stranger").empty());
  stranger->stop();

  SECTION("a registered newcomer is accepted after SIGHUP") {
    test::write_file(registry, "gateways:\n  - {id: gw-known}\n  - {id: gw-stranger}\n");
    central->signal(SIGHUP);
    REQUIRE(test::wait_until(
        [&] { return central->log().find("fleet: reloaded " + registry + ": 2 registered gateway(s), 1 before") !=
                     std::string::npos; },
        10s));
    auto newcomer = burst_from(daemons, "gw-stranger", 3, "stranger-2");
    CHECK(test::wait_until([&] { return incidents_of(daemons, "gw-stranger") == 3; }, 30s));
  }

  SECTION("a broken registry on SIGHUP is reported and the one in use stays") {
    test::write_file(registry, "gateways:\n  - {id: gw-known}\n  - {id: gw-known}\n");
    central->signal(SIGHUP);
    REQUIRE(test::wait_until(
        [&] { return central->log().find("not reloaded, keeping the 1 registered gateway(s) in use") !=
                     std::string::npos; },
        10s));
    CHECK(central->log().find("gateways.yaml:3:") != std::string::npos);
    known->stop();
    auto known_again = burst_from(daemons, "gw-known", 2, "known-2");
    CHECK(test::wait_until([&] { return incidents_of(daemons, "gw-known") == 7; }, 30s));
  }
  CHECK(central->stop() == 0);
}
