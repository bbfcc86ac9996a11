// Issue 9: `gridwatch-edge doctor` on a provisioned gateway with a real
// Mosquitto (mutual TLS), a simulated Modbus smoke sensor and a file
// camera rendered by gridwatch-sim; then each failing check provoked.
#include <sys/stat.h>
#include <sys/timex.h>

#include <catch2/catch.hpp>

#include <filesystem>

#include "tests/integration/identity_fixture.hpp"

using namespace gridwatch;
using namespace std::chrono_literals;

namespace {

std::string sensor_and_camera_yaml(int sensor_port, const std::string& video, const std::string& zone_polygon) {
  return "sensors:\n"
         "  - id: smoke-1\n"
         "    port: " + std::to_string(sensor_port) + "\n"
         "    scale: 0.01\n"
         "    unit: \"%/m\"\n"
         "    alarm: {raise: 8.0, clear: 4.0}\n"
         "cameras:\n"
         "  - id: cam1\n"
         "    zones:\n"
         "      - id: Z1\n"
         "        polygon: " + zone_polygon + "\n"
         "    analysis: {fps: 5, width: 320}\n"
         "    source: {file: " + video + "}\n";
}

const std::string kGoodZone = "[[0.10, 0.55], [0.90, 0.55], [0.90, 0.95], [0.10, 0.95]]";

test::CommandResult doctor(const std::string& config, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{test::binary_path("gridwatch-edge"), "--config", config, "doctor",
                                "--camera-seconds", "1"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return test::run_command(argv, 90s);
}

bool has_line(const std::string& output, const std::string& start) {
  return output.find("\n" + start) != std::string::npos || output.rfind(start, 0) == 0;
}

bool kernel_clock_synchronised() {
  timex state{};
  const int clock_state = ntp_adjtime(&state);
  return clock_state != -1 && clock_state != TIME_ERROR && (state.status & STA_UNSYNC) == 0;
}

}  // namespace

TEST_CASE("doctor passes a provisioned gateway with a live sensor and camera, and saves a snapshot with the zones",
          "[integration][doctor]") {
  test::TempDir dir;
  test::TestPki pki(dir);
  auto broker = pki.start_broker();
  const int sensor_port = test::free_tcp_port();
  test::Daemons daemons(*broker);
  auto sensor = daemons.start_sensor(sensor_port, "clean", 3600);
  REQUIRE(test::wait_until([&] { return test::port_accepts(sensor_port); }, 10s));
  const auto video = test::render_street_clip(dir);
  const auto gateway = test::provision_gateway(dir, pki, "gw-doctor", broker->uri(), {},
                                               sensor_and_camera_yaml(sensor_port, video, kGoodZone));

  // This container's clock is not NTP-disciplined, so the pass run leaves
  // the clock out; the next section checks that line on its own.
  const auto result = doctor(gateway.config, {"--skip", "clock", "--snapshot", dir.file("snapshots")});
  INFO(result.output << "\nbroker:\n" << broker->log());
  CHECK(has_line(result.output, "OK    config: "));
  CHECK(has_line(result.output, "OK    identity: certificate for gw-doctor"));
  CHECK(has_line(result.output, "OK    broker: connected to 127.0.0.1:"));
  CHECK(has_line(result.output, "SKIP  clock: "));
  CHECK(has_line(result.output, "OK    disk: "));
  CHECK(has_line(result.output, "OK    outbox: "));
  CHECK(has_line(result.output, "OK    sensor smoke-1: answers"));
  CHECK(has_line(result.output, "OK    camera cam1: 640x360 at 10.0 fps"));
  CHECK(has_line(result.output, "OK    zones cam1: 1 zone(s) inside the 640x360 frame"));
  CHECK(has_line(result.output, "OK    snapshot cam1: "));
  CHECK(result.output.find("fit to leave: all checks passed") != std::string::npos);
  CHECK(result.exit_code == 0);
  const auto jpeg = test::read_file(dir.file("snapshots/cam1.jpg"));
  REQUIRE(jpeg.size() > 1000);
  CHECK(static_cast<unsigned char>(jpeg[0]) == 0xFF);
  CHECK(static_cast<unsigned char>(jpeg[1]) == 0xD8);
  // The doctor used its own throw-away session, not the gateway's.
  CHECK(broker->log().find("as gw-doctor-doctor") != std::string::npos);

  SECTION("the clock line follows the kernel's NTP state") {
    const auto with_clock = doctor(gateway.config, {"--skip", "cameras"});
    INFO(with_clock.output);
    if (kernel_clock_synchronised()) {
      CHECK(has_line(with_clock.output, "OK    clock: synchronised"));
      CHECK(with_clock.exit_code == 0);
    } else {
      CHECK(has_line(with_clock.output, "FAIL  clock: not synchronised"));
      CHECK(with_clock.output.find("-> fix: enable NTP") != std::string::npos);
      CHECK(with_clock.exit_code == 1);
    }
  }
}

TEST_CASE("doctor names every failing check with a fix hint and says the gateway is not fit to leave",
          "[integration][doctor]") {
  test::TempDir dir;
  test::TestPki pki(dir);
  auto broker = pki.start_broker();
  const int sensor_port = test::free_tcp_port();  // nothing listens there
  const auto video = test::render_street_clip(dir);

  SECTION("no sensor, a missing camera, a zone smaller than a car, a damaged outbox, no broker") {
    const auto gateway = test::provision_gateway(
        dir, pki, "gw-broken", broker->uri(), {},
        sensor_and_camera_yaml(sensor_port, video, "[[0.50, 0.50], [0.51, 0.50], [0.51, 0.51], [0.50, 0.51]]") +
            "  - id: cam2\n    source: {file: " + dir.file("no-such-clip.avi") + "}\n");
    std::filesystem::copy_file(std::string(GRIDWATCH_SOURCE_DIR) + "/tests/fixtures/outbox/not-a-database.db",
                               dir.file("gw-broken/state/outbox.db"));
    broker->stop();
    const auto result = doctor(gateway.config, {"--skip", "clock"});
    INFO(result.output);
    CHECK(has_line(result.output, "FAIL  broker: not reachable: 127.0.0.1:"));
    CHECK(has_line(result.output, "FAIL  outbox: "));
    CHECK(has_line(result.output, "FAIL  sensor smoke-1: no answer: connect 127.0.0.1:" + std::to_string(sensor_port)));
    CHECK(has_line(result.output, "OK    camera cam1: "));
    CHECK(has_line(result.output, "FAIL  zones cam1: Z1 shows "));
    CHECK(has_line(result.output, "FAIL  camera cam2: cannot open "));
    // Every failure carries its fix.
    std::istringstream lines(result.output);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("FAIL", 0) == 0) CHECK(line.find("-> fix: ") != std::string::npos);
    }
    CHECK(result.output.find("NOT fit to leave: 5 check(s) failed") != std::string::npos);
    CHECK(result.exit_code == 1);
  }
  SECTION("cameras slower or narrower than the analysis needs") {
    const auto gateway = test::provision_gateway(
        dir, pki, "gw-slow-cam", broker->uri(), {},
        "cameras:\n"
        "  - id: fast\n    analysis: {fps: 20, width: 320}\n    source: {file: " + video + "}\n"
        "  - id: wide\n    analysis: {fps: 5, width: 800}\n    source: {file: " + video + "}\n");
    const auto result = doctor(gateway.config, {"--skip", "clock", "--skip", "broker", "--skip", "sensors"});
    INFO(result.output);
    CHECK(has_line(result.output, "FAIL  camera fast: 640x360 at 10.0 fps, below the 20.0 fps the analysis needs"));
    CHECK(has_line(result.output, "FAIL  camera wide: 640x360 at 10.0 fps, narrower than analysis.width 800"));
    CHECK(result.exit_code == 1);
  }
  SECTION("an expired certificate, and a broker that refuses it") {
    const auto gateway = test::provision_gateway(dir, pki, "gw-expired", broker->uri(),
                                                 {"--start", "20200101000000Z", "--end", "20200201000000Z"});
    std::filesystem::copy_file(dir.file("gw-expired/issued.crt"), gateway.tls.cert_file,
                               std::filesystem::copy_options::overwrite_existing);
    const auto result = doctor(gateway.config, {"--skip", "clock"});
    INFO(result.output);
    CHECK(has_line(result.output, "FAIL  identity: "));
    CHECK(result.output.find("certificate has expired") != std::string::npos);
    CHECK(has_line(result.output, "FAIL  broker: 127.0.0.1:"));
    CHECK(result.output.find("session was refused") != std::string::npos);
    CHECK(result.exit_code == 1);
  }
  SECTION("a private key others can read") {
    const auto gateway = test::provision_gateway(dir, pki, "gw-open-key", broker->uri());
    REQUIRE(::chmod(gateway.tls.key_file.c_str(), 0644) == 0);
    const auto result = doctor(gateway.config, {"--skip", "clock", "--skip", "broker"});
    INFO(result.output);
    CHECK(has_line(result.output, "FAIL  identity: " + gateway.tls.key_file + " is readable by others (mode 644)"));
    CHECK(result.output.find("-> fix: chmod 600 " + gateway.tls.key_file) != std::string::npos);
    CHECK(result.exit_code == 1);
  }
  SECTION("limits that do not fit on the disk") {
    const auto gateway = test::provision_gateway(dir, pki, "gw-full", broker->uri(), {},
                                                 "outbox: {max_mib: 900000}\nevidence: {max_mib: 900000}\n");
    const auto result = doctor(gateway.config, {"--skip", "clock", "--skip", "broker"});
    INFO(result.output);
    CHECK(has_line(result.output, "FAIL  disk: "));
    CHECK(result.output.find("lower outbox.max_mib") != std::string::npos);
    CHECK(result.exit_code == 1);
  }
  SECTION("an invalid config stops the doctor at the first line") {
    const auto config = dir.file("bad.yaml");
    test::write_file(config, "gateway: {id: gw-x, lat: 91, lon: 0}\nmqtt: {brokr: tcp://x:1}\n");
    const auto result = doctor(config);
    INFO(result.output);
    CHECK(has_line(result.output, "FAIL  config: " + config + ":1:"));
    CHECK(result.output.find("mqtt.brokr") != std::string::npos);
    CHECK(result.output.find("NOT fit to leave: the config is invalid") != std::string::npos);
    CHECK(result.exit_code == 1);
  }
}
