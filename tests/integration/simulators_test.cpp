// gridwatch-sim as testers run it: the real binary, against a real
// Mosquitto started on a free port.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/mqtt_recorder.hpp"
#include "tests/support/test_env.hpp"

using namespace gridwatch::test;
using namespace std::chrono_literals;

namespace {

CommandResult sim(std::vector<std::string> args, std::chrono::milliseconds timeout = 60s) {
  args.insert(args.begin(), binary_path("gridwatch-sim"));
  return run_command(args, timeout);
}

}  // namespace

TEST_CASE("the sensor simulator publishes MQTT JSON, its Will when the link drops, and comes back",
          "[sim][sensor][mqtt]") {
  MosquittoBroker broker;
  broker.start();
  MqttRecorder recorder(broker.port(), "sensors/#");
  TempDir dir;
  const auto scenario = dir.file("link.yaml");
  write_file(scenario,
             "name: link\npurpose: smoulder, then the link drops for 15 s\nseed: 3\nduration_s: 60\n"
             "sensor_id: pole7_smoke\nevents:\n"
             "  - kind: smoulder\n    at_s: 5\n"
             "  - kind: disconnect\n    at_s: 20\n    for_s: 15\n");
  const auto result = sim({"sensor", "--scenario", scenario, "--mqtt-port", std::to_string(broker.port()),
                           "--speed", "10"});
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  REQUIRE(wait_until([&] { return recorder.count([](const auto& m) { return m.payload == "offline"; }) >= 2; },
                     5s));

  std::vector<double> times;
  std::vector<std::string> availability;
  std::uint64_t expected_seq = 1;
  for (const auto& message : recorder.messages()) {
    if (message.topic == "sensors/pole7_smoke/availability") {
      availability.push_back(message.payload);
      continue;
    }
    REQUIRE(message.topic == "sensors/pole7_smoke/state");
    const auto body = nlohmann::json::parse(message.payload);
    CHECK(body["sensor"] == "pole7_smoke");
    CHECK(body["seq"] == expected_seq++);
    CHECK(body["unit"] == "%/m");
    CHECK(body["status"] == "ok");
    times.push_back(body["t_s"].get<double>());
  }
  // One reading per simulated second, none while the device is gone.
  REQUIRE(times.size() >= 40);
  CHECK(times.front() == 0.0);
  for (double t : times) CHECK_FALSE((t >= 20.0 && t < 35.0));
  CHECK(std::count(times.begin(), times.end(), 19.0) == 1);
  CHECK(std::count(times.begin(), times.end(), 35.0) == 1);
  // online, the Will (offline) when the link dropped, online again, and the
  // goodbye at the end.
  INFO(nlohmann::json(availability).dump());
  REQUIRE(availability.size() == 4);
  CHECK(availability == std::vector<std::string>{"online", "offline", "online", "offline"});
}

TEST_CASE("a sensor simulator whose broker is down exits 1 and says where it tried", "[sim][sensor][mqtt]") {
  const int port = free_tcp_port();  // nothing listens here
  const auto result = sim({"sensor", "--scenario", "clean", "--mqtt-port", std::to_string(port), "--duration-s", "5"});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.output, Catch::Contains("cannot connect to 127.0.0.1:" + std::to_string(port)));
}

TEST_CASE("a bad sensor scenario file exits 2 with every error at file:line", "[sim][sensor]") {
  TempDir dir;
  const auto scenario = dir.file("bad.yaml");
  write_file(scenario, "name: bad\npurpose: x\nduration_s: 60\nevents:\n  - kind: flaming\n    at_s: 90\n    colour: red\n");
  const auto result = sim({"sensor", "--scenario", scenario, "--truth-only", "--truth", dir.file("t.json")});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.output, Catch::Contains(scenario + ":6:"));
  CHECK_THAT(result.output, Catch::Contains("events[0].at_s"));
  CHECK_THAT(result.output, Catch::Contains(scenario + ":7:5: events[0].colour: unknown key"));
  const auto unknown = sim({"sensor", "--scenario", "volcano", "--truth-only", "--truth", dir.file("t.json")});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.output, Catch::Contains("unknown scenario \"volcano\""));
}

TEST_CASE("sensor ground truth from the command is byte-identical run to run", "[sim][sensor]") {
  TempDir dir;
  const std::string scenario = GRIDWATCH_SOURCE_DIR "/simulators/sensor_scenarios/nuisance_then_fire.yaml";
  for (const char* name : {"a.json", "b.json"}) {
    REQUIRE(sim({"sensor", "--scenario", scenario, "--truth-only", "--truth", dir.file(name)}).exit_code == 0);
  }
  const auto truth = read_file(dir.file("a.json"));
  CHECK(truth == read_file(dir.file("b.json")));
  const auto body = nlohmann::json::parse(truth);
  CHECK(body["events"][0]["alarm_expected"] == false);
  CHECK(body["expected_alarm_s"].get<double>() > 400.0);
}

TEST_CASE("the real sensor log replays over Modbus with its label onset in the truth", "[sim][sensor][shared-data]") {
  const auto data = shared_data_dir();
  if (!data) {
    WARN("SKIPPED: ../shared/data is absent; the real smoke-sensor log cannot be replayed");
    return;
  }
  TempDir dir;
  const auto result = sim({"sensor", "--replay", *data + "/smoke_sensor/smoke_detection_iot_first10080.csv",
                           "--smoke-column", "NC0.5*0.01", "--time-column", "UTC", "--label-column", "Fire Alarm",
                           "--truth", dir.file("truth.json"), "--truth-only"});
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  const auto truth = nlohmann::json::parse(read_file(dir.file("truth.json")));
  CHECK(truth["rows"] == 10081);
  CHECK(truth["label_changes"][0]["t_s"] == 3178.0);
  const auto missing = sim({"sensor", "--replay", *data + "/smoke_sensor/smoke_detection_iot_first10080.csv",
                            "--smoke-column", "Smoke", "--truth", dir.file("t.json"), "--truth-only"});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.output, Catch::Contains(":1: no column \"Smoke\""));
}

TEST_CASE("a short fleet run against a real Mosquitto: every planned alert is sent, acked and delivered once",
          "[sim][fleet]") {
  MosquittoBroker broker;
  broker.start();
  MqttRecorder statuses(broker.port(), "gridwatch/v1/+/status");
  TempDir dir;
  const std::string scenario = GRIDWATCH_SOURCE_DIR "/simulators/fleet_scenarios/smoke_test_small.yaml";
  const auto result = sim({"fleet", "--scenario", scenario, "--duration-s", "12", "--broker-port",
                           std::to_string(broker.port()), "--verify", "--require-all", "--plan", dir.file("plan.json"),
                           "--report", dir.file("report.json")},
                          120s);
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  const auto report = nlohmann::json::parse(read_file(dir.file("report.json")));
  const auto plan = nlohmann::json::parse(read_file(dir.file("plan.json")));
  CHECK(report["connected"] == 200);
  CHECK(report["disconnects"] == 0);
  const auto planned = plan["alert_count"].get<std::uint64_t>();
  CHECK(planned > 200);                  // the storm alone is ~300
  CHECK(plan["storm_alert_count"].get<std::uint64_t>() > 200);
  CHECK(report["alerts_planned"] == planned);
  CHECK(report["alerts_sent"] == planned);
  CHECK(report["alerts_acked"] == planned);
  CHECK(report["delivery"]["unique"] == planned);
  CHECK(report["delivery"]["duplicates"] == 0);
  CHECK(report["ack_latency"]["count"] == planned);
  CHECK(report["heartbeats_sent"].get<int>() >= 200 * 2);
  // Birth and clean goodbye of every gateway.
  REQUIRE(wait_until([&] { return statuses.messages().size() >= 400; }, 10s));
  CHECK(statuses.count([](const auto& m) { return m.payload.find("\"offline\"") != std::string::npos; }) == 200);

  // The plan is the ground truth: the same seed plans it byte for byte.
  REQUIRE(sim({"fleet", "--scenario", scenario, "--duration-s", "12", "--plan", dir.file("again.json"),
               "--plan-only"})
              .exit_code == 0);
  CHECK(read_file(dir.file("plan.json")) == read_file(dir.file("again.json")));
}

TEST_CASE("a fleet that drops its sockets makes the broker publish every gateway's Last Will", "[sim][fleet]") {
  MosquittoBroker broker;
  broker.start();
  MqttRecorder statuses(broker.port(), "gridwatch/v1/+/status");
  const auto result = sim({"fleet", "--gateways", "50", "--duration-s", "2", "--rate-per-gateway-h", "0",
                           "--broker-port", std::to_string(broker.port()), "--end", "abrupt"});
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  auto offline = [&] {
    return statuses.count([](const auto& m) { return m.payload.find("\"offline\"") != std::string::npos; });
  };
  CHECK(wait_until([&] { return offline() == 50; }, 10s));
  CHECK(statuses.count([](const auto& m) { return m.payload.find("\"online\"") != std::string::npos; }) == 50);
}

TEST_CASE("a bad fleet scenario exits 2 with file:line", "[sim][fleet]") {
  TempDir dir;
  write_file(dir.file("bad.yaml"), "name: x\npurpose: y\ngateways: 10\nduration_s: 5\narrival:\n  mode: tsunami\n");
  const auto result = sim({"fleet", "--scenario", dir.file("bad.yaml"), "--plan-only", "--plan", dir.file("p.json")});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.output, Catch::Contains(dir.file("bad.yaml") + ":6:9: arrival.mode"));
}
