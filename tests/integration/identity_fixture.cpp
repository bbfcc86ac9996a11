#include "tests/integration/identity_fixture.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

namespace gridwatch::test {
namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

CommandResult run_ok(const std::vector<std::string>& argv) {
  auto result = run_command(argv, std::chrono::seconds(60));
  std::string command;
  for (const auto& part : argv) command += part + " ";
  INFO(command << "\n" << result.output);
  REQUIRE(result.exit_code == 0);
  return result;
}

std::string ca_script() { return std::string(GRIDWATCH_SOURCE_DIR) + "/scripts/ca/gridwatch-ca"; }

TestPki::TestPki(const TempDir& dir) : ca_dir_(dir.file("ca")), acl_file_(dir.file("gridwatch.acl")) {
  run_ok({ca_script(), "init", ca_dir_, "--days", "30"});
  run_ok({ca_script(), "server", ca_dir_, "localhost", "--ip", "127.0.0.1"});
  run_ok({ca_script(), "central", ca_dir_, "central-1"});
  write_file(acl_file_, read_file(std::string(GRIDWATCH_SOURCE_DIR) + "/config/mosquitto/gridwatch.acl"));
}

TlsFiles TestPki::central() const {
  return {ca_file(), ca_dir_ + "/central.central-1.crt", ca_dir_ + "/central.central-1.key"};
}

std::unique_ptr<MosquittoBroker> TestPki::start_broker() const {
  const auto sample = read_file(std::string(GRIDWATCH_SOURCE_DIR) + "/config/mosquitto/gridwatch-tls.conf");
  REQUIRE(sample.find("listener 8883\n") != std::string::npos);
  const auto ca_dir = ca_dir_;
  const auto acl = acl_file_;
  MosquittoBroker::OwnConfig config;
  config.tls = true;
  config.write = [sample, ca_dir, acl](int port, const std::string& dir) {
    auto text = replace_all(sample, "listener 8883\n", "listener " + std::to_string(port) + " 127.0.0.1\n");
    text = replace_all(text, "/etc/mosquitto/gridwatch/broker.crt", ca_dir + "/broker.localhost.crt");
    text = replace_all(text, "/etc/mosquitto/gridwatch/broker.key", ca_dir + "/broker.localhost.key");
    text = replace_all(text, "/etc/mosquitto/gridwatch/", ca_dir + "/");
    text = replace_all(text, "/etc/mosquitto/conf.d/gridwatch.acl", acl);
    return replace_all(text, "/var/lib/mosquitto/", dir + "/");
  };
  return std::make_unique<MosquittoBroker>(config);
}

ProvisionedGateway provision_gateway(const TempDir& dir, const TestPki& pki, const std::string& gateway_id,
                                     const std::string& broker_uri, const std::vector<std::string>& sign_args,
                                     const std::string& extra_yaml) {
  const auto home = dir.file(gateway_id);
  std::filesystem::create_directories(home + "/state");
  const auto config = home + "/edge.yaml";
  write_file(config,
             "# gateway config as the package installs it\n"
             "gateway:\n"
             "  id: gw-unset          # provision sets this\n"
             "  lat: 0\n"
             "  lon: 0\n"
             "state_dir: " + home + "/state   # outbox and evidence\n"
             "log_level: debug\n"
             "heartbeat_s: 1\n"
             "mqtt:\n"
             "  broker: tcp://127.0.0.1:1883  # provision sets this\n"
             "  reconnect_min_ms: 200\n"
             "  reconnect_max_ms: 1000\n" +
                 extra_yaml);
  const auto edge = binary_path("gridwatch-edge");
  run_ok({edge, "--config", config, "provision", "--id", gateway_id, "--lat", "30.66", "--lon", "104.06", "--broker",
          broker_uri, "--ca", pki.ca_file()});
  ProvisionedGateway gateway{config, {home + "/tls/ca.crt", home + "/tls/gateway.crt", home + "/tls/gateway.key"},
                             home + "/tls/gateway.csr"};
  std::vector<std::string> sign{ca_script(), "sign", pki.dir(), gateway.csr, "--out", home + "/issued.crt"};
  sign.insert(sign.end(), sign_args.begin(), sign_args.end());
  run_ok(sign);
  // An expired certificate is refused by provision itself; the caller
  // installs it by hand to show the broker refuses it too.
  run_command({edge, "--config", config, "provision", "--cert", home + "/issued.crt"}, std::chrono::seconds(30));
  return gateway;
}

std::string render_street_clip(const TempDir& dir) {
  const auto scenario = dir.file("clip.yaml");
  write_file(scenario,
             "name: street_clip\npurpose: doctor and remote config tests\nseed: 7\nduration_s: 3\nfps: 10\n"
             "width: 640\nheight: 360\ncamera_id: cam1\n"
             "traffic: {outgoing_per_min: 4, oncoming_per_min: 4}\n"
             "zones: [{id: Z1, dwell_s: 12, span: {from_m: 18, to_m: 34}}]\n"
             "vehicles:\n  - {id: v1, kind: car, colour: grey, lane: kerb, enter_s: 1, stop: {at_m: 26}}\n");
  run_ok({binary_path("gridwatch-sim"), "camera", "--scenario", scenario, "--out", dir.path(), "--format", "avi"});
  return dir.file("street_clip.avi");
}

}  // namespace gridwatch::test
