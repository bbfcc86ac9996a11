// Issue 8's browser test: everything real on free loopback ports -- a
// Mosquitto broker, gridwatch-central with sign-in on, a gateway fed by the
// smoke-sensor simulator -- and dashboard.spec.js driving Debian's chromium
// through playwright-core (installed by the e2e_npm_ci fixture). Screenshots
// land in <build>/tests/e2e/artifacts/.
#include <catch2/catch.hpp>

#include <filesystem>

#include "tests/integration/daemons.hpp"

using namespace gridwatch;
using namespace std::chrono_literals;

namespace {

constexpr const char* kChromium = "/usr/bin/chromium";
constexpr const char* kPassword = "e2e-password-7c1f";

/// Why the browser test cannot run here, or "" when it can.
std::string missing_tools() {
  if (!std::filesystem::exists(kChromium)) return std::string(kChromium) + " is missing (Debian package chromium)";
  if (test::run_command({"node", "--version"}, 10s).exit_code != 0) return "node is missing (Debian package nodejs)";
  if (!std::filesystem::exists(std::string(GRIDWATCH_E2E_DIR) + "/node_modules/playwright-core/package.json")) {
    return "playwright-core is not installed in " + std::string(GRIDWATCH_E2E_DIR) + " (the e2e_npm_ci test does that)";
  }
  return {};
}

void add_user(const test::Daemons& daemons, const std::string& name, const std::string& role) {
  const auto result = test::run_command(
      {"sh", "-c",
       std::string("printf '%s\\n' \"$0\" | \"$1\" --config \"$2\" user add --role \"$3\" \"$4\""), kPassword,
       test::binary_path("gridwatch-central"), daemons.central_config(), role, name},
      60s);
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
}

}  // namespace

TEST_CASE("dashboard: a gateway's smoke alarm reaches the board live, an operator takes it to closed, "
          "a wrong role is refused",
          "[e2e][dashboard]") {
  if (const auto missing = missing_tools(); !missing.empty()) {
    WARN("SKIPPED: " << missing);
    return;
  }
  test::MosquittoBroker broker;
  test::Daemons daemons(broker);
  const int sensor_port = test::free_tcp_port();
  auto central = daemons.start_central(
      "central",
      std::string("dispatch:\n  cells_file: ") + GRIDWATCH_SOURCE_DIR +
          "/tests/fixtures/central/grid.geojson\n  auto_dispatch: []\n",
      "  auth: required\n");
  add_user(daemons, "op-e2e", "operator");
  add_user(daemons, "sup-e2e", "supervisor");
  test::EdgeOptions edge_options;
  edge_options.gateway_id = "gw-e2e-1";
  edge_options.sensor_port = sensor_port;
  edge_options.heartbeat_s = 2;
  // A clean sensor answers until the board is open: a sensor that does not
  // answer for 5 s is a comms fault (issue 6), which would be the first
  // incident on the board instead of the smoke.
  auto quiet_sensor = daemons.start_sensor(sensor_port, "clean", 0.0);
  auto edge = daemons.start_edge(edge_options);
  const std::string url = "http://127.0.0.1:" + std::to_string(daemons.http_port()) + "/";
  REQUIRE(test::wait_until([&] { return test::run_command({"curl", "-sf", url + "healthz"}, 5s).exit_code == 0; },
                           20s));

  const auto artifacts = std::string(GRIDWATCH_E2E_DIR) + "/artifacts";
  test::ChildProcess browser({"node", std::string(GRIDWATCH_E2E_DIR) + "/dashboard.spec.js", "--url", url,
                              "--operator", "op-e2e", "--supervisor", "sup-e2e", "--password", kPassword, "--gateway",
                              edge_options.gateway_id, "--artifacts", artifacts, "--chromium", kChromium},
                             daemons.dir().file("browser.log"));
  // The smoke starts only once the operator's board is open, so the
  // incident arrives live over the WebSocket however slowly the browser
  // started.
  const bool ready = test::wait_until([&] { return browser.log().find("READY") != std::string::npos; }, 120s);
  INFO("browser test output:\n" << browser.log());
  INFO("central log:\n" << central->log());
  REQUIRE(ready);
  quiet_sensor.reset();  // stopped and replaced well inside the 5 s comms-lost limit
  auto sensor = daemons.start_sensor(sensor_port, "flaming", 3.0);
  const auto exit_code = browser.wait_exit(240s);
  CHECK(exit_code.value_or(-1) == 0);
  // Shown in the CTest log: the measured latency and the checks passed.
  WARN(browser.log());
}
