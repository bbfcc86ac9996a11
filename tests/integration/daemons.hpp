#pragma once
// Starts GridWatch daemons for integration tests, each with a generated
// config in the test's temp dir.
#include <memory>
#include <string>
#include <vector>

#include "central/store.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/test_env.hpp"

namespace gridwatch::test {

struct EdgeOptions {
  std::string gateway_id = "gw-test-1";
  int sensor_port = 0;  ///< 0: no sensor configured
  int heartbeat_s = 30;
  std::string extra_yaml;  ///< appended at top level
};

class Daemons {
 public:
  explicit Daemons(MosquittoBroker& broker) : broker_(broker) {}

  std::unique_ptr<ChildProcess> start_central(const std::string& name = "central");
  std::unique_ptr<ChildProcess> start_edge(const EdgeOptions& options, const std::string& name = "edge");
  std::unique_ptr<ChildProcess> start_sensor(int port, const std::string& scenario, double onset_s);

  std::string central_db() const { return dir_.file("central.db"); }
  std::string central_config() const { return dir_.file("central.yaml"); }
  std::string edge_state_dir(const std::string& gateway_id) const { return dir_.file("state-" + gateway_id); }
  const TempDir& dir() const { return dir_; }

  /// Incidents in central's database (read-only, safe while central runs).
  std::vector<central::IncidentRecord> incidents();

 private:
  MosquittoBroker& broker_;
  TempDir dir_;
};

}  // namespace gridwatch::test
