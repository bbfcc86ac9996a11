#pragma once
// Starts GridWatch daemons for integration tests, each with a generated
// config in the test's temp dir.
#include <memory>
#include <optional>
#include <string>
#include <set>
#include <vector>

#include "central/store.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/test_env.hpp"

namespace gridwatch::test {

/// Files of one mutual-TLS identity (mqtt.tls in both daemons' configs).
struct TlsFiles {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

struct EdgeOptions {
  std::string gateway_id = "gw-test-1";
  int sensor_port = 0;  ///< 0: no sensor configured
  int heartbeat_s = 30;
  int keepalive_s = 30;
  std::string extra_yaml;  ///< appended at top level
  std::optional<TlsFiles> tls;  ///< connect with this identity (the broker must speak TLS)
};

struct BurstOptions {
  int count = 100;
  double rate = 200;
  std::string kinds = "smoke";
  bool evidence = false;
};

/// An alert as central received it, in arrival order.
struct ArrivedAlert {
  std::string alert_id;
  std::uint64_t seq = 0;
  std::string kind;
};

class Daemons {
 public:
  explicit Daemons(MosquittoBroker& broker) : broker_(broker) {}

  /// `extra_yaml` is appended at the top level of central's config,
  /// `http_yaml` inside its http section (default: sign-in off, so tests
  /// that exercise the API need no user).
  std::unique_ptr<ChildProcess> start_central(const std::string& name = "central", const std::string& extra_yaml = "",
                                              const std::string& http_yaml = "  auth: \"off\"\n");
  /// Central connects with this identity from the next start_central() on.
  void set_central_tls(TlsFiles tls) { central_tls_ = std::move(tls); }
  /// Central's `correlation:` section from the next start_central() on.
  /// Off by default: a burst's smoke alerts from one gateway would be
  /// correlated into one incident, and most tests count incidents.
  void set_central_correlation(std::string yaml) { central_correlation_yaml_ = std::move(yaml); }
  std::unique_ptr<ChildProcess> start_edge(const EdgeOptions& options, const std::string& name = "edge");
  std::unique_ptr<ChildProcess> start_sensor(int port, const std::string& scenario, double onset_s);
  /// The burst driver (real Gateway code raising `burst.count` alerts).
  std::unique_ptr<ChildProcess> start_driver(const EdgeOptions& options, const BurstOptions& burst,
                                             const std::string& name);

  int http_port() const { return http_port_; }
  std::string central_db() const { return dir_.file("central.db"); }
  std::string central_config() const { return dir_.file("central.yaml"); }
  std::string edge_state_dir(const std::string& gateway_id) const { return dir_.file("state-" + gateway_id); }
  const TempDir& dir() const { return dir_; }

  /// Incidents in central's database (read-only, safe while central runs).
  std::vector<central::IncidentRecord> incidents();
  /// Every distinct alert central stored, in the order it stored them.
  std::vector<ArrivedAlert> arrivals();
  /// The last telemetry JSON central holds for a gateway ("" if none).
  std::string last_telemetry(const std::string& gateway_id);
  std::size_t evidence_count();
  /// The presence central last recorded for a gateway ("" when it never heard of it).
  std::string presence(const std::string& gateway_id);

 private:
  std::string write_edge_config(const EdgeOptions& options, const std::string& name);

  MosquittoBroker& broker_;
  TempDir dir_;
  int http_port_ = free_tcp_port();
  std::optional<TlsFiles> central_tls_;
  std::string central_correlation_yaml_ = "correlation: {enabled: false}\n";
};

/// The `  tls:` block of an `mqtt:` section ("" when none).
std::string mqtt_tls_yaml(const std::optional<TlsFiles>& tls);

/// Alert ids a burst driver printed as stored (parsed from its log).
std::set<std::string> stored_ids(const std::string& log);

}  // namespace gridwatch::test
