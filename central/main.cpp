// gridwatch-central: turns gateway alerts into dispatch events (incidents).
//
//   gridwatch-central [--config FILE]            run the aggregator
//   gridwatch-central --check-config             validate and exit
//   gridwatch-central events [--json] [--limit]  list incidents, newest first
//
// Exit codes: 0 success; 1 runtime failure (store or broker setup);
// 2 invalid command line or configuration.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "central/central_config.hpp"
#include "central/central_service.hpp"
#include "central/config_push.hpp"
#include "central/http/http_server.hpp"
#include "central/http/records_json.hpp"
#include "central/postgres_store.hpp"
#include "central/sqlite_store.hpp"
#include "common/logging.hpp"
#include "common/time.hpp"

namespace {

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

/// The configured store; `read_only` never migrates or writes (listings).
std::unique_ptr<gridwatch::central::Store> open_store(const gridwatch::central::StoreSettings& settings,
                                                      bool read_only) {
  using gridwatch::central::PostgresStore;
  using gridwatch::central::SqliteStore;
  if (settings.backend == "postgres") {
    return std::make_unique<PostgresStore>(settings.postgres_conninfo, read_only ? PostgresStore::Access::read_only
                                                                                 : PostgresStore::Access::read_write);
  }
  return std::make_unique<SqliteStore>(settings.sqlite_path,
                                       read_only ? SqliteStore::Access::read_only : SqliteStore::Access::read_write);
}

int run_service(const gridwatch::central::CentralConfig& config, std::optional<gridwatch::central::GridMap> cells) {
  const auto owned_store = open_store(config.store, false);
  auto& store = *owned_store;
  boost::asio::io_context io;
  if (cells) spdlog::info("routing: {} grid cells from {}", cells->cells().size(), config.dispatch.cells_file);
  if (!cells) spdlog::warn("dispatch.cells_file is not set: incidents will not be routed to grid cells and departments");
  gridwatch::central::CentralService service(io, config, store, std::move(cells));
  std::unique_ptr<gridwatch::central::HttpServer> http;
  if (config.http.enabled) {
    gridwatch::central::HttpSettings settings;
    settings.listen_address = config.http.listen_address;
    settings.port = config.http.port;
    settings.max_connections = config.http.max_connections;
    settings.sender = "gridwatch@" + config.instance_id;
    http = std::make_unique<gridwatch::central::HttpServer>(io, settings, store,
                                                            [&service] { return service.counters(); });
    http->set_transition_handler([&service](std::int64_t id, const gridwatch::central::TransitionRequest& request) {
      return service.dispatcher().transition(id, request, gridwatch::wall_clock_ms());
    });
    service.set_incident_listener([&http] { return http->live_clients() > 0; },
                                  [&http](const gridwatch::central::IncidentRecord& incident) {
                                    http->broadcast(nlohmann::json{{"type", "incident"},
                                                                   {"incident", gridwatch::central::to_json(incident)}}
                                                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
                                  });
    http->start();
    spdlog::info("http: serving the API on http://{}:{}/", config.http.listen_address, http->port());
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
    if (error) return;
    spdlog::info("received signal {}, shutting down", signal_number);
    if (http) http->stop();
    service.stop();
    io.stop();
  });
  service.start();
  io.run();
  return 0;
}

int list_events(const gridwatch::central::CentralConfig& config, bool as_json, std::size_t limit) {
  const auto store = open_store(config.store, true);
  const auto incidents = store->incidents({limit, std::nullopt});
  if (as_json) {
    auto list = nlohmann::json::array();
    for (const auto& incident : incidents) list.push_back(gridwatch::central::to_json(incident));
    std::cout << list.dump(2) << '\n';
    return 0;
  }
  if (incidents.empty()) {
    std::cout << "no dispatch events yet\n";
    return 0;
  }
  for (const auto& incident : incidents) {
    std::cout << '#' << incident.id << "  " << gridwatch::format_utc(incident.detected_at_ms) << "  " << incident.kind
              << '/' << incident.severity << "  " << incident.state << "  gateway " << incident.gateway_id
              << (incident.sensor.empty() ? "" : " sensor " + incident.sensor)
              << (incident.camera.empty() ? "" : " camera " + incident.camera) << "  alerts " << incident.alert_count
              << (incident.episode_ended_ms ? "  (episode ended)" : "") << "\n    " << incident.summary << '\n';
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"GridWatch central aggregator: turns gateway alerts into dispatch events."};
  std::string config_path = "/etc/gridwatch/central.yaml";
  bool check_only = false;
  std::string log_level;
  app.add_option("-c,--config", config_path, "central configuration file (YAML)")->capture_default_str();
  app.add_flag("--check-config", check_only, "validate the configuration, print every problem, and exit");
  app.add_option("--log-level", log_level, "override log_level: trace, debug, info, warn, error");
  app.set_version_flag("--version", std::string(GRIDWATCH_VERSION));
  app.require_subcommand(0, 1);
  auto* events = app.add_subcommand("events", "list dispatch events (incidents), newest first");
  bool as_json = false;
  std::size_t limit = 50;
  events->add_flag("--json", as_json, "print JSON instead of text");
  events->add_option("--limit", limit, "how many to list")->capture_default_str();
  auto* push_config = app.add_subcommand(
      "push-config", "send a gateway a new camera/zone config over its cmd topic and print its verdict "
                     "(exit 0 applied, 1 refused, 3 no answer yet)");
  gridwatch::central::ConfigPushRequest push_request;
  push_config->add_option("--gateway", push_request.gateway_id, "gateway id")->required();
  push_config->add_option("--cameras", push_request.cameras_file, "YAML file with a `cameras:` list as in edge.yaml")
      ->required();
  push_config->add_option("--version", push_request.config_version, "config version the gateway will report (1-64 chars)")
      ->required();
  push_config->add_option("--timeout-s", push_request.timeout_s, "how long to wait for the verdict")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : kExitUsage;
  }

  gridwatch::central::CentralConfig config;
  try {
    config = gridwatch::central::load_central_config(config_path);
  } catch (const gridwatch::ConfigInvalid& invalid) {
    std::cerr << invalid.errors().to_string() << config_path << ": " << invalid.errors().size()
              << " problem(s); see docs/configuration.md\n";
    return kExitUsage;
  }
  // The grid cells are part of the configuration: a broken file is
  // reported here, by --check-config too, never at the first alert.
  std::optional<gridwatch::central::GridMap> cells;
  if (!config.dispatch.cells_file.empty()) {
    try {
      cells = gridwatch::central::GridMap::load(config.dispatch.cells_file);
    } catch (const gridwatch::central::GridMapInvalid& invalid) {
      for (const auto& error : invalid.errors()) {
        std::cerr << config.dispatch.cells_file << ": " << error.field << ": " << error.message << '\n';
      }
      std::cerr << config_path << ": dispatch.cells_file: " << invalid.errors().size()
                << " problem(s); see docs/routing.md\n";
      return kExitUsage;
    }
  }
  if (check_only) {
    std::cout << config_path << ": OK (instance " << config.instance_id
              << (cells ? ", " + std::to_string(cells->cells().size()) + " grid cells" : std::string()) << ")\n";
    return 0;
  }
  gridwatch::setup_logging("central", log_level.empty() ? config.log_level : log_level);
  try {
    if (events->parsed()) return list_events(config, as_json, limit);
    if (push_config->parsed()) return gridwatch::central::push_camera_config(config, push_request, std::cout);
    return run_service(config, std::move(cells));
  } catch (const std::exception& error) {
    spdlog::critical("gridwatch-central cannot run: {}", error.what());
    return kExitRuntime;
  }
}
