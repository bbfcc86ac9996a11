// Issue 9, identity and transport security, against a real Mosquitto
// running the shipped config/mosquitto/ sample (mutual TLS, CRL,
// use_identity_as_username, per-gateway ACL), certificates made by
// scripts/ca/gridwatch-ca and `gridwatch-edge provision`, and the real
// gridwatch-edge and gridwatch-central binaries.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include "common/mqtt/mqtt_client.hpp"
#include "common/time.hpp"
#include "common/topics.hpp"
#include "common/wire.hpp"
#include "tests/integration/identity_fixture.hpp"

using namespace gridwatch;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<test::ChildProcess> start_edge(const test::ProvisionedGateway& gateway, const std::string& log) {
  return std::make_unique<test::ChildProcess>(
      std::vector<std::string>{test::binary_path("gridwatch-edge"), "--config", gateway.config}, log);
}

Alert alert_for(const std::string& gateway_id, std::uint64_t seq) {
  Alert alert;
  alert.gateway_id = gateway_id;
  alert.seq = seq;
  alert.alert_id = gateway_id + ":0000abcd:" + std::to_string(seq);
  alert.episode_id = alert.alert_id;
  alert.kind = AlertKind::smoke;
  alert.severity = Severity::severe;
  alert.confidence = 0.8;
  alert.detected_at_ms = wall_clock_ms();
  alert.location = {30.66, 104.06, std::nullopt, std::nullopt, std::string("smoke-1")};
  alert.summary = "identity test";
  return alert;
}

/// Connects with `tls` as the given client id and publishes each message
/// at QoS 1; returns, per message, whether the broker acknowledged it
/// (nullopt: no answer within the timeout).
std::vector<std::optional<bool>> publish_as(const std::string& uri, const test::TlsFiles& tls,
                                            const std::vector<mqtt::Message>& messages) {
  boost::asio::io_context io;
  mqtt::Options options;
  options.server_uri = uri;
  options.client_id = "identity-test-publisher";
  options.clean_start = true;
  options.session_expiry_s = 0;
  options.tls = mqtt::TlsOptions{tls.ca_file, tls.cert_file, tls.key_file};
  std::vector<std::optional<bool>> results(messages.size());
  std::unique_ptr<mqtt::Client> client;
  std::size_t answered = 0;
  mqtt::Handlers handlers;
  handlers.on_connected = [&](bool) {
    for (std::size_t i = 0; i < messages.size(); ++i) {
      client->publish(messages[i], [&, i](bool delivered) {
        results[i] = delivered;
        if (++answered == messages.size()) io.stop();
      });
    }
  };
  client = mqtt::make_paho_client(io, options, std::move(handlers));
  // Paho's callbacks arrive from its own threads: without the guard the
  // io_context has no work yet and run_for() would return at once.
  const auto keep_running = boost::asio::make_work_guard(io);
  client->start();
  io.run_for(15s);
  client->stop(std::nullopt, 1000);
  return results;
}

/// Subscribes with a TLS identity and records what the broker delivers.
class Listener {
 public:
  Listener(const std::string& uri, const test::TlsFiles& tls, const std::string& client_id,
           const std::vector<std::string>& filters) {
    mqtt::Options options;
    options.server_uri = uri;
    options.client_id = client_id;
    options.clean_start = true;
    options.session_expiry_s = 0;
    options.tls = mqtt::TlsOptions{tls.ca_file, tls.cert_file, tls.key_file};
    mqtt::Handlers handlers;
    handlers.on_connected = [this](bool) { connected_ = true; };
    handlers.on_message = [this](mqtt::Message message) {
      const std::lock_guard lock(mutex_);
      messages_.push_back(std::move(message));
    };
    client_ = mqtt::make_paho_client(io_, options, std::move(handlers));
    for (const auto& filter : filters) client_->subscribe(filter, 1);
    client_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Listener() {
    // As in publish_as(): the client stops while its io_context does not run.
    io_.stop();
    thread_.join();
    client_->stop(std::nullopt, 1000);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  bool connected() const { return connected_; }
  std::vector<mqtt::Message> messages() const {
    const std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_ = boost::asio::make_work_guard(io_);
  std::unique_ptr<mqtt::Client> client_;
  std::atomic<bool> connected_{false};
  mutable std::mutex mutex_;
  std::vector<mqtt::Message> messages_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("provision writes the identity into the config, keeps its comments, and installs only a fitting certificate",
          "[integration][identity][provision]") {
  test::TempDir dir;
  test::TestPki pki(dir);
  const auto gateway = test::provision_gateway(dir, pki, "gw-pole-17", "ssl://127.0.0.1:8883");
  const auto config = test::read_file(gateway.config);
  INFO(config);
  // Comments and untouched keys survive; the new values are in place.
  CHECK(config.find("# gateway config as the package installs it") != std::string::npos);
  CHECK(config.find("  id: gw-pole-17        # provision sets this") != std::string::npos);
  CHECK(config.find("  lat: 30.66\n") != std::string::npos);
  CHECK(config.find("  broker: ssl://127.0.0.1:8883  # provision sets this") != std::string::npos);
  CHECK(config.find("  reconnect_min_ms: 200\n") != std::string::npos);
  CHECK(config.find("    key_file: " + gateway.tls.key_file) != std::string::npos);
  const auto edge = test::binary_path("gridwatch-edge");
  test::run_ok({edge, "--config", gateway.config, "--check-config"});

  // The key is the service's alone; the CSR and certificate name the gateway.
  struct stat key_status {};
  REQUIRE(::stat(gateway.tls.key_file.c_str(), &key_status) == 0);
  CHECK((key_status.st_mode & 0777) == 0600);
  CHECK(test::run_ok({"openssl", "req", "-in", gateway.csr, "-noout", "-subject"}).output.find("CN = gw-pole-17") !=
        std::string::npos);
  CHECK(test::run_ok({"openssl", "x509", "-in", gateway.tls.cert_file, "-noout", "-subject"})
            .output.find("CN = gw-pole-17") != std::string::npos);

  SECTION("an invalid value changes nothing and is reported with file:line") {
    const auto result = test::run_command({edge, "--config", gateway.config, "provision", "--lat", "123"}, 30s);
    INFO(result.output);
    CHECK(result.exit_code == 2);
    CHECK(result.output.find("edge.yaml:4:") != std::string::npos);
    CHECK(result.output.find("gateway.lat") != std::string::npos);
    CHECK(test::read_file(gateway.config) == config);
  }
  SECTION("a certificate for another gateway is refused") {
    const auto other = test::provision_gateway(dir, pki, "gw-pole-18", "ssl://127.0.0.1:8883");
    const auto result =
        test::run_command({edge, "--config", gateway.config, "provision", "--cert", other.tls.cert_file}, 30s);
    INFO(result.output);
    CHECK(result.exit_code == 1);
    CHECK(result.output.find("CN is \"gw-pole-18\", but this gateway is \"gw-pole-17\"") != std::string::npos);
    CHECK(result.output.find("was not issued for the key") != std::string::npos);
  }
  SECTION("an expired certificate is refused") {
    // Re-keying, as docs/installation.md describes it: the CA issues one
    // valid certificate per gateway, so the old one is revoked first.
    test::run_ok({test::ca_script(), "revoke", pki.dir(), "gw-pole-17"});
    test::run_ok({edge, "--config", gateway.config, "provision", "--new-key"});
    const auto issued = dir.file("expired.crt");
    test::run_ok({test::ca_script(), "sign", pki.dir(), gateway.csr, "--out", issued, "--start", "20200101000000Z",
                  "--end", "20200201000000Z"});
    const auto result = test::run_command({edge, "--config", gateway.config, "provision", "--cert", issued}, 30s);
    INFO(result.output);
    CHECK(result.exit_code == 1);
    CHECK(result.output.find("certificate has expired") != std::string::npos);
  }
}

TEST_CASE("over mutual TLS a provisioned gateway reaches central, revoked, expired and foreign certificates are refused",
          "[integration][identity][tls]") {
  test::TempDir dir;
  test::TestPki pki(dir);
  test::TempDir foreign_dir;
  test::TestPki foreign(foreign_dir);  // another deployment's CA
  // Mosquitto reads the CRL when it starts: it is restarted (same port)
  // once the revocation is in, as docs/installation.md tells operators.
  auto broker = pki.start_broker();
  const auto uri = broker->uri();

  const auto valid = test::provision_gateway(dir, pki, "gw-valid", uri);
  const auto revoked = test::provision_gateway(dir, pki, "gw-revoked", uri);
  test::run_ok({test::ca_script(), "revoke", pki.dir(), "gw-revoked"});
  const auto expired =
      test::provision_gateway(dir, pki, "gw-expired", uri, {"--start", "20200101000000Z", "--end", "20200201000000Z"});
  std::filesystem::copy_file(dir.file("gw-expired/issued.crt"), expired.tls.cert_file,
                             std::filesystem::copy_options::overwrite_existing);
  // Same CN scheme, signed by the foreign CA: provision refuses it, so it is
  // installed by hand, as an attacker would.
  const auto stranger = test::provision_gateway(dir, pki, "gw-stranger", uri);
  test::run_ok({test::ca_script(), "sign", foreign.dir(), stranger.csr, "--out", dir.file("stranger.crt")});
  std::filesystem::copy_file(dir.file("stranger.crt"), stranger.tls.cert_file,
                             std::filesystem::copy_options::overwrite_existing);
  broker->stop();
  broker->start();

  test::Daemons daemons(*broker);
  daemons.set_central_tls(pki.central());
  auto central = daemons.start_central("central-1");
  auto edge_valid = start_edge(valid, dir.file("edge-valid.log"));
  auto edge_revoked = start_edge(revoked, dir.file("edge-revoked.log"));
  auto edge_expired = start_edge(expired, dir.file("edge-expired.log"));
  auto edge_stranger = start_edge(stranger, dir.file("edge-stranger.log"));

  const bool delivered = test::wait_until(
      [&] { return daemons.presence("gw-valid") == "online" && !daemons.last_telemetry("gw-valid").empty(); }, 30s);
  INFO("central:\n" << central->log() << "\nedge:\n" << edge_valid->log() << "\nbroker:\n" << broker->log());
  REQUIRE(delivered);
  // The refused ones have had the same time plus several retries.
  std::this_thread::sleep_for(3s);
  const auto broker_log = broker->log();
  for (const std::string id : {"gw-revoked", "gw-expired", "gw-stranger"}) {
    INFO(id);
    CHECK(daemons.presence(id).empty());
    CHECK(daemons.last_telemetry(id).empty());
    // The broker never let a session with that identity in.
    CHECK(broker_log.find("u'" + id + "'") == std::string::npos);
  }
  CHECK(broker_log.find("u'gw-valid'") != std::string::npos);
  CHECK(broker_log.find("u'central.central-1'") != std::string::npos);
  // Refused gateways keep running and retrying; they never die on it.
  for (auto* edge : {edge_revoked.get(), edge_expired.get(), edge_stranger.get()}) {
    INFO(edge->log());
    CHECK(edge->running());
    CHECK(edge->log().find("retrying") != std::string::npos);
  }
}

TEST_CASE("a gateway publishing under another gateway's topic is denied by the broker and central never sees it",
          "[integration][identity][acl]") {
  test::TlsDeployment site;
  const auto gateway_a = test::provision_gateway(site.dir, site.pki, "gw-a", site.broker->uri());

  // gw-a's identity: a spoofed alert on gw-b's topic first, then its own.
  const auto spoofed = alert_for("gw-b", 1);
  const auto own = alert_for("gw-a", 1);
  const auto results = publish_as(site.broker->uri(), gateway_a.tls,
                                  {{make_topic("gw-b", Channel::alert), encode(spoofed), 1, false},
                                   {make_topic("gw-a", Channel::alert), encode(own), 1, false}});
  INFO("broker:\n" << site.broker->log());
  REQUIRE(results[0].has_value());
  CHECK(*results[0] == false);  // PUBACK "not authorized"
  REQUIRE(results[1].has_value());
  CHECK(*results[1] == true);
  const bool own_arrived = test::wait_until(
      [&] {
        for (const auto& arrival : site.daemons.arrivals()) {
          if (arrival.alert_id == own.alert_id) return true;
        }
        return false;
      },
      20s);
  INFO("central:\n" << site.central->log());
  REQUIRE(own_arrived);
  for (const auto& arrival : site.daemons.arrivals()) CHECK(arrival.alert_id != spoofed.alert_id);
  CHECK(site.broker->log().find("Denied PUBLISH") != std::string::npos);
  CHECK(site.broker->log().find("'gridwatch/v1/gw-b/alert'") != std::string::npos);

  // A real gateway configured as gw-b but holding gw-a's certificate (the
  // wrong file copied onto the pole) is gw-a to the broker: nothing it
  // sends as gw-b gets through.
  auto wrong = test::provision_gateway(site.dir, site.pki, "gw-b", site.broker->uri());
  for (const auto& [from, to] : {std::pair{gateway_a.tls.cert_file, wrong.tls.cert_file},
                                 std::pair{gateway_a.tls.key_file, wrong.tls.key_file}}) {
    std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
  }
  auto edge_b = start_edge(wrong, site.dir.file("edge-b.log"));
  std::this_thread::sleep_for(4s);
  INFO("edge gw-b:\n" << edge_b->log());
  CHECK(edge_b->running());
  CHECK(site.daemons.presence("gw-b").empty());
  CHECK(site.daemons.last_telemetry("gw-b").empty());
}

TEST_CASE("central's receipts reach only their own gateway: gw-a cannot read gw-b's cmd/receipt",
          "[integration][identity][acl][receipts]") {
  test::TlsDeployment site;
  const auto gateway_a = test::provision_gateway(site.dir, site.pki, "gw-a", site.broker->uri());
  const auto gateway_b = test::provision_gateway(site.dir, site.pki, "gw-b", site.broker->uri());
  // gw-a asks for both gateways' cmd subtrees; gw-b for its own.
  Listener listener_a(site.broker->uri(), gateway_a.tls, "gw-a-listener",
                      {"gridwatch/v1/gw-a/cmd/#", "gridwatch/v1/gw-b/cmd/#"});
  Listener listener_b(site.broker->uri(), gateway_b.tls, "gw-b-listener", {command_filter("gw-b")});
  REQUIRE(test::wait_until([&] { return listener_a.connected() && listener_b.connected(); }, 20s));
  std::this_thread::sleep_for(500ms);  // the subscriptions follow the connect

  const auto own_a = alert_for("gw-a", 7);
  const auto own_b = alert_for("gw-b", 8);
  REQUIRE(publish_as(site.broker->uri(), gateway_a.tls, {{make_topic("gw-a", Channel::alert), encode(own_a), 1, false}})
              .front() == std::optional<bool>(true));
  REQUIRE(publish_as(site.broker->uri(), gateway_b.tls, {{make_topic("gw-b", Channel::alert), encode(own_b), 1, false}})
              .front() == std::optional<bool>(true));

  auto receipted = [](const Listener& listener, const std::string& gateway_id, const std::string& alert_id) {
    for (const auto& message : listener.messages()) {
      if (message.topic != receipt_topic(gateway_id)) continue;
      const auto receipt = decode_receipt(message.payload);
      if (!receipt.ok()) continue;
      for (const auto& id : receipt.value->accepted) {
        if (id == alert_id) return true;
      }
    }
    return false;
  };
  INFO("central:\n" << site.central->log());
  INFO("broker:\n" << site.broker->log());
  // Central may write both receipts (its ACL), each gateway reads its own.
  REQUIRE(test::wait_until([&] { return receipted(listener_a, "gw-a", own_a.alert_id); }, 20s));
  REQUIRE(test::wait_until([&] { return receipted(listener_b, "gw-b", own_b.alert_id); }, 20s));
  std::this_thread::sleep_for(1s);
  for (const auto& message : listener_a.messages()) {
    INFO("gw-a received " << message.topic);
    CHECK(message.topic.rfind("gridwatch/v1/gw-a/", 0) == 0);
  }
}
