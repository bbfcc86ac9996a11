#include "tests/integration/daemons.hpp"

#include <filesystem>
#include <sstream>

#include "central/sqlite_store.hpp"
#include "common/sqlite/sqlite.hpp"

namespace gridwatch::test {

std::unique_ptr<ChildProcess> Daemons::start_central(const std::string& name, const std::string& extra_yaml,
                                                     const std::string& http_yaml) {
  write_file(central_config(), "instance_id: " + name +
                                   "\n"
                                   "log_level: debug\n"
                                   "stats_log_interval_s: 1\n"
                                   "mqtt:\n"
                                   "  broker: " +
                                   broker_.uri() +
                                   "\n"
                                   "  reconnect_min_ms: 100\n"
                                   "  reconnect_max_ms: 1000\n" +
                                   mqtt_tls_yaml(central_tls_) +
                                   "store:\n"
                                   "  sqlite_path: " +
                                   central_db() +
                                   "\n"
                                   "http:\n"
                                   "  port: " +
                                   std::to_string(http_port_) + "\n" + http_yaml +
                                   central_correlation_yaml_ + extra_yaml);
  return std::make_unique<ChildProcess>(
      std::vector<std::string>{binary_path("gridwatch-central"), "--config", central_config()},
      dir_.file(name + ".log"));
}

std::string Daemons::write_edge_config(const EdgeOptions& options, const std::string& name) {
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
                     "  keepalive_s: " +
                     std::to_string(options.keepalive_s) +
                     "\n"
                     "  reconnect_min_ms: 100\n"
                     "  reconnect_max_ms: 1000\n" +
                     mqtt_tls_yaml(options.tls);
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
  return config;
}

std::unique_ptr<ChildProcess> Daemons::start_edge(const EdgeOptions& options, const std::string& name) {
  return std::make_unique<ChildProcess>(
      std::vector<std::string>{binary_path("gridwatch-edge"), "--config", write_edge_config(options, name)},
      dir_.file(name + ".log"));
}

std::unique_ptr<ChildProcess> Daemons::start_driver(const EdgeOptions& options, const BurstOptions& burst,
                                                    const std::string& name) {
  std::vector<std::string> argv{binary_path("edge_burst_driver"), "--config", write_edge_config(options, name),
                                "--count", std::to_string(burst.count), "--rate", std::to_string(burst.rate),
                                "--kinds", burst.kinds};
  if (burst.evidence) argv.emplace_back("--evidence");
  return std::make_unique<ChildProcess>(argv, dir_.file(name + ".log"));
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
    return store.incidents({10'000'000, std::nullopt});
  } catch (const std::exception&) {
    return {};  // not created yet
  }
}

std::vector<ArrivedAlert> Daemons::arrivals() {
  std::vector<ArrivedAlert> out;
  if (!std::filesystem::exists(central_db())) return out;
  try {
    sqlite::Database db(central_db(), sqlite::Database::Mode::read_only);
    auto select = db.prepare("SELECT alert_id, seq, kind FROM alerts ORDER BY rowid");
    while (select.step()) {
      out.push_back({select.column_text(0), static_cast<std::uint64_t>(select.column_int64(1)), select.column_text(2)});
    }
  } catch (const std::exception&) {
  }
  return out;
}

std::string Daemons::last_telemetry(const std::string& gateway_id) {
  try {
    sqlite::Database db(central_db(), sqlite::Database::Mode::read_only);
    auto select = db.prepare("SELECT telemetry FROM gateways WHERE gateway_id = ?");
    select.bind(1, gateway_id);
    if (select.step()) return select.column_text(0);
  } catch (const std::exception&) {
  }
  return "";
}

std::size_t Daemons::evidence_count() {
  try {
    sqlite::Database db(central_db(), sqlite::Database::Mode::read_only);
    return static_cast<std::size_t>(std::stoll(db.query_text("SELECT count(*) FROM evidence").value_or("0")));
  } catch (const std::exception&) {
    return 0;
  }
}

std::string Daemons::presence(const std::string& gateway_id) {
  if (!std::filesystem::exists(central_db())) return "";
  try {
    central::SqliteStore store(central_db(), central::SqliteStore::Access::read_only);
    for (const auto& gateway : store.gateways()) {
      if (gateway.gateway_id == gateway_id) return gateway.presence;
    }
  } catch (const std::exception&) {
  }
  return "";
}

std::string mqtt_tls_yaml(const std::optional<TlsFiles>& tls) {
  if (!tls) return "";
  return "  tls:\n    ca_file: " + tls->ca_file + "\n    cert_file: " + tls->cert_file + "\n    key_file: " + tls->key_file +
         "\n";
}

std::set<std::string> stored_ids(const std::string& log) {
  std::set<std::string> ids;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("stored ", 0) != 0) continue;
    const auto end = line.find(' ', 7);
    ids.insert(line.substr(7, end == std::string::npos ? std::string::npos : end - 7));
  }
  return ids;
}

}  // namespace gridwatch::test
