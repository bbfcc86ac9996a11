// Issue 5 end to end: gridwatch-sim renders a short street scene in which
// a car overstays in a no-parking zone; gridwatch-edge plays the file as a
// live camera (at its own frame rate), its pipeline raises the parking
// alert with an evidence JPEG, and the alert travels outbox -> Paho ->
// a real Mosquitto -> gridwatch-central, ending as exactly one incident.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/daemons.hpp"

using namespace gridwatch;
using namespace std::chrono_literals;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The camera YAML written by gridwatch-sim as one entry of `cameras:`.
std::string as_camera_entry(const std::string& camera_yaml, const std::string& source_yaml) {
  std::istringstream lines(camera_yaml);
  std::string line;
  std::string out;
  bool first = true;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    out += (first ? "  - " : "    ") + line + "\n";
    first = false;
  }
  return out + "    source: " + source_yaml + "\n";
}

}  // namespace

TEST_CASE("a car overstaying in front of a file camera becomes one parking incident at central",
          "[integration][camera]") {
  test::MosquittoBroker broker;
  test::Daemons daemons(broker);
  const auto scenario = daemons.dir().file("park.yaml");
  test::write_file(scenario,
                   "name: it_park\npurpose: integration\nseed: 4242\nduration_s: 45\nfps: 5\n"
                   "width: 320\nheight: 180\ncamera_id: cam_it\n"
                   "traffic: {outgoing_per_min: 4, oncoming_per_min: 4}\n"
                   "zones: [{id: Z1, dwell_s: 12, span: {from_m: 18, to_m: 34}}]\n"
                   "vehicles:\n  - {id: v1, kind: car, colour: grey, lane: kerb, enter_s: 3, stop: {at_m: 26}}\n");
  const auto render = test::run_command({test::binary_path("gridwatch-sim"), "camera", "--scenario", scenario, "--out",
                                         daemons.dir().path(), "--format", "avi"},
                                        120s);
  INFO(render.output);
  REQUIRE(render.exit_code == 0);

  auto central = daemons.start_central();
  test::EdgeOptions options;
  options.heartbeat_s = 2;
  options.extra_yaml = "cameras:\n" + as_camera_entry(read_text(daemons.dir().file("it_park.camera.yaml")),
                                                      "{file: " + daemons.dir().file("it_park.avi") + "}");
  auto edge = daemons.start_edge(options);

  const bool arrived = test::wait_until([&] { return !daemons.incidents().empty(); }, 60s);
  INFO("edge log:\n" << edge->log() << "\ncentral log:\n" << central->log());
  REQUIRE(arrived);
  // The clip plays to its end (45 s): no second episode for the same car.
  std::this_thread::sleep_for(5s);
  const auto incidents = daemons.incidents();
  REQUIRE(incidents.size() == 1);
  const auto& incident = incidents.front();
  CHECK(incident.kind == "parking");
  CHECK(incident.camera == "cam_it");
  CHECK(incident.zone == "Z1");
  CHECK(incident.gateway_id == "gw-test-1");
  CHECK(incident.summary.find("Z1") != std::string::npos);
  CHECK(test::wait_until([&] { return daemons.evidence_count() >= 1; }, 10s));
  // The heartbeat reports the camera's health.
  CHECK(test::wait_until([&] { return daemons.last_telemetry("gw-test-1").find("cam_it") != std::string::npos; }, 10s));
  CHECK(edge->stop() == 0);
  CHECK(central->stop() == 0);
}
