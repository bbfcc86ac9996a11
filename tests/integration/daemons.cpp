#include "tests/integration/daemons.hpp"

#include <filesystem>

#include "central/sqlite_store.hpp"

namespace gridwatch::test {

std::unique_ptr<ChildProcess> Daemons::start_central(const std::string& name) {
  write_file(central_config(), "instance_id: " + name +
                                   "\n"
                                   "log_level: debug\n"
                                   "stats_log_interval_s: 1\n"
                                   "mqtt:\n"
                                   "  broker: " +
                                   broker_.uri() +
                                   "\n"
                                   "  reconnect_min_ms: 100\n"
                                   "  reconnect_max_ms: 1000\n"
                                   "store:\n"
                                   "  sqlite_path: " +
                                   central_db() + "\n");
  return std::make_unique<ChildProcess>(
      std::vector<std::string>{binary_path("gridwatch-central"), "--config", central_config()},
      dir_.file(name + ".log"));
}

std::unique_ptr<ChildProcess> Daemons::start_edge(const EdgeOptions& options, const std::string& name) {
  const auto state = edge_state_dir(options.gateway_id);
  std::filesystem::create_directories(state);
  std::string yaml = "gateway: {id: " + options.gateway_id +
                     ", lat: 30.6598, lon: 104.0633}\n"
                     "state_dir: " +
                     state +
                     "\n"
                     "log_level: debug\n"
                     "heartbeat_s: " +
                     std::to_string(options.heartbeat_s) +
                     "\n"
                     "mqtt:\n"
                     "  broker: " +
                     broker_.uri() +
                     "\n"
                     "  reconnect_min_ms: 100\n"
                     "  reconnect_max_ms: 1000\n";
  if (options.sensor_port != 0) {
    yaml += "sensors:\n"
            "  - id: smoke-1\n"
            "    port: " +
            std::to_string(options.sensor_port) +
            "\n"
            "    scale: 0.01\n"
            "    unit: \"%/m\"\n"
            "    poll_ms: 200\n"
            "    alarm: {raise: 8.0, clear: 4.0, min_duration_s: 1}\n";
  }
  yaml += options.extra_yaml;
  const auto config = dir_.file(name + ".yaml");
  write_file(config, yaml);
  return std::make_unique<ChildProcess>(std::vector<std::string>{binary_path("gridwatch-edge"), "--config", config},
                                        dir_.file(name + ".log"));
}

std::unique_ptr<ChildProcess> Daemons::start_sensor(int port, const std::string& scenario, double onset_s) {
  return std::make_unique<ChildProcess>(
      std::vector<std::string>{binary_path("gridwatch-sim"), "sensor", "--scenario", scenario, "--onset-s",
                               std::to_string(onset_s), "--modbus-port", std::to_string(port)},
      dir_.file("sensor-" + std::to_string(port) + ".log"));
}

std::vector<central::IncidentRecord> Daemons::incidents() {
  if (!std::filesystem::exists(central_db())) return {};
  try {
    central::SqliteStore store(central_db(), central::SqliteStore::Access::read_only);
    return store.incidents({1000, std::nullopt});
  } catch (const std::exception&) {
    return {};  // not created yet
  }
}

}  // namespace gridwatch::test
