// Issue 9, remote config: central pushes a camera/zone config to a gateway
// over its cmd topic (gridwatch-central push-config), through Mosquitto
// with mutual TLS and the topic ACL; the gateway validates, persists and
// applies it, answers on cmd_result, reports the version in telemetry,
// keeps the old config when the new one is invalid, and picks up a push
// made while it was offline.
#include <catch2/catch.hpp>

#include <filesystem>
#include <thread>

#include "tests/integration/identity_fixture.hpp"

using namespace gridwatch;
using namespace std::chrono_literals;

namespace {

std::string camera_yaml(const std::string& video, const std::string& zones) {
  return "cameras:\n"
         "  - id: cam1\n"
         "    zones:\n" + zones +
         "    source: {file: " + video + ", loop: true}\n";
}

const std::string kZoneA = "      - {id: Z1, polygon: [[0.1, 0.6], [0.5, 0.6], [0.5, 0.9], [0.1, 0.9]]}\n";
const std::string kZonesB = "      - {id: Z1, polygon: [[0.2, 0.6], [0.6, 0.6], [0.6, 0.9], [0.2, 0.9]]}\n"
                            "      - {id: Z2, polygon: [[0.6, 0.6], [0.9, 0.6], [0.9, 0.9], [0.6, 0.9]], dwell_s: 30}\n";

test::CommandResult push(const test::Daemons& daemons, const std::string& cameras_file, const std::string& version,
                         int timeout_s = 20) {
  return test::run_command({test::binary_path("gridwatch-central"), "--config", daemons.central_config(),
                            "push-config", "--gateway", "gw-rc", "--cameras", cameras_file, "--version", version,
                            "--timeout-s", std::to_string(timeout_s)},
                           60s);
}

}  // namespace

TEST_CASE("central pushes a camera config, the gateway applies it atomically, reports it, and keeps it on failure",
          "[integration][remote_config]") {
  test::TlsDeployment site;
  const auto video = test::render_street_clip(site.dir);
  const auto gateway = test::provision_gateway(site.dir, site.pki, "gw-rc", site.broker->uri(), {}, camera_yaml(video, kZoneA));
  auto edge = std::make_unique<test::ChildProcess>(
      std::vector<std::string>{test::binary_path("gridwatch-edge"), "--config", gateway.config}, site.dir.file("edge.log"));
  const auto version_reported = [&](const std::string& version) {
    return test::wait_until(
        [&] { return site.daemons.last_telemetry("gw-rc").find("\"config_version\":\"" + version + "\"") != std::string::npos; },
        30s);
  };
  INFO("edge:\n" << edge->log() << "\ncentral:\n" << site.central->log());
  REQUIRE(version_reported("local"));

  const auto good = site.dir.file("cameras-v2.yaml");
  test::write_file(good, "# two zones now\n" + camera_yaml(video, kZonesB));
  const auto applied = push(site.daemons, good, "v2");
  INFO(applied.output << "\nedge:\n" << edge->log());
  REQUIRE(applied.exit_code == 0);
  CHECK(applied.output.find("gw-rc: camera config v2 applied") != std::string::npos);
  CHECK(version_reported("v2"));
  const auto persisted_path = site.dir.file("gw-rc/state/remote-config.yaml");
  const auto persisted = test::read_file(persisted_path);
  CHECK(persisted.find("config_version: \"v2\"") != std::string::npos);
  CHECK(persisted.find("Z2") != std::string::npos);
  // The camera was restarted with the new zones, and edge.yaml is untouched.
  CHECK(edge->log().find("camera config v2 applied (1 camera(s))") != std::string::npos);
  CHECK(test::read_file(gateway.config).find("Z2") == std::string::npos);

  SECTION("an invalid config is refused with every error and its path; the old one stays in force") {
    const auto bad = site.dir.file("cameras-bad.yaml");
    test::write_file(bad,
                     "cameras:\n"
                     "  - id: cam1\n"
                     "    zones:\n"
                     "      - {id: Z1, polygon: [[0.1, 0.6], [1.5, 0.6], [0.5, 0.9]], dwel_s: 3}\n"
                     "    source: {file: " + video + "}\n"
                     "  - id: cam1\n"
                     "    source: {file: " + video + ", url: rtsp://x/}\n");
    const auto refused = push(site.daemons, bad, "v3-broken");
    INFO(refused.output);
    CHECK(refused.exit_code == 1);
    CHECK(refused.output.find("config v3-broken refused, still running v2") != std::string::npos);
    CHECK(refused.output.find("cameras[0].zones[0].polygon[1]") != std::string::npos);
    CHECK(refused.output.find("cameras[0].zones[0].dwel_s: unknown key") != std::string::npos);
    CHECK(refused.output.find("cameras[1].id: duplicate camera id \"cam1\"") != std::string::npos);
    CHECK(refused.output.find("cameras[1].source.url: give exactly one of url, file or device") != std::string::npos);
    CHECK(test::read_file(persisted_path) == persisted);
    std::this_thread::sleep_for(2500ms);  // a heartbeat or two
    CHECK(site.daemons.last_telemetry("gw-rc").find("\"config_version\":\"v2\"") != std::string::npos);
    CHECK(edge->running());
  }
  SECTION("the pushed config survives a restart, and a push made while the gateway is offline applies on reconnect") {
    CHECK(edge->stop() == 0);
    const auto check = test::run_command({test::binary_path("gridwatch-edge"), "--config", gateway.config,
                                          "--check-config"}, 30s);
    CHECK(check.exit_code == 0);
    const auto third = site.dir.file("cameras-v3.yaml");
    test::write_file(third, camera_yaml(video, kZoneA));
    const auto queued = push(site.daemons, third, "v3", 2);
    INFO(queued.output);
    CHECK(queued.exit_code == 3);
    CHECK(queued.output.find("stays queued for the gateway") != std::string::npos);
    edge = std::make_unique<test::ChildProcess>(
        std::vector<std::string>{test::binary_path("gridwatch-edge"), "--config", gateway.config},
        site.dir.file("edge-2.log"));
    INFO("edge after restart:\n" << edge->log());
    CHECK(version_reported("v3"));
    CHECK(test::read_file(persisted_path).find("config_version: \"v3\"") != std::string::npos);
  }
}
