// gridwatch-central: turns gateway alerts into dispatch events (incidents).
//
//   gridwatch-central [--config FILE]            run the aggregator
//   gridwatch-central --check-config             validate and exit
//   gridwatch-central events [--json] [--limit]  list incidents, newest first
//   gridwatch-central user add --role ROLE NAME  create a staff user (password from stdin or the tty)
//   gridwatch-central user list                  list staff users
//   gridwatch-central token add --user NAME      issue an API token (printed once)
//
// Exit codes: 0 success; 1 runtime failure (store or broker setup);
// 2 invalid command line or configuration.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <sstream>
#include <termios.h>
#include <unistd.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "central/auth/auth_service.hpp"
#include "central/central_config.hpp"
#include "central/central_service.hpp"
#include "central/config_push.hpp"
#include "central/http/http_server.hpp"
#include "central/http/records_json.hpp"
#include "central/postgres_store.hpp"
#include "central/sqlite_store.hpp"
#include "common/logging.hpp"
#include "common/systemd/service_watchdog.hpp"
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

/// The dashboard's files: http.assets_dir, else installed beside the binary
/// (<prefix>/share/gridwatch/dashboard), else the build tree's copy.
std::string find_assets_dir(const std::string& configured) {
  if (!configured.empty()) return configured;
  std::error_code error;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return {};
  const auto bin = exe.parent_path();
  for (const auto& candidate : {bin.parent_path() / "share" / "gridwatch" / "dashboard", bin / "dashboard"}) {
    if (std::filesystem::is_regular_file(candidate / "index.html", error)) return candidate.string();
  }
  return {};
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string dump(const nlohmann::json& message) {
  return message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int run_service(const gridwatch::central::CentralConfig& config, std::optional<gridwatch::central::GridMap> cells,
                std::optional<gridwatch::central::GatewayRegistry> registry) {
  const auto owned_store = open_store(config.store, false);
  auto& store = *owned_store;
  boost::asio::io_context io;
  if (cells) spdlog::info("routing: {} grid cells from {}", cells->cells().size(), config.dispatch.cells_file);
  if (!cells) spdlog::warn("dispatch.cells_file is not set: incidents will not be routed to grid cells and departments");
  gridwatch::central::CentralService service(io, config, store, std::move(cells), std::move(registry));
  std::unique_ptr<gridwatch::central::HttpServer> http;
  if (config.http.enabled) {
    gridwatch::central::HttpSettings settings;
    settings.listen_address = config.http.listen_address;
    settings.port = config.http.port;
    settings.max_connections = config.http.max_connections;
    settings.sender = "gridwatch@" + config.instance_id;
    settings.auth_required = config.http.auth == "required";
    settings.session_ttl_s = config.http.session_ttl_s;
    settings.secure_cookies = config.http.secure_cookies;
    settings.assets_dir = find_assets_dir(config.http.assets_dir);
    if (settings.assets_dir.empty()) {
      spdlog::warn("http: dashboard files not found (http.assets_dir unset, none installed beside the binary); "
                   "serving the API only");
    } else {
      spdlog::info("http: dashboard from {}", settings.assets_dir);
    }
    if (!settings.auth_required) {
      spdlog::warn("http.auth is off: anyone who reaches {}:{} may read and act on every incident",
                   config.http.listen_address, config.http.port);
    } else if (store.users().empty()) {
      spdlog::warn("no staff users yet: create the first with `gridwatch-central --config {} user add --role admin "
                   "NAME`",
                   config.source_file);
    }
    http = std::make_unique<gridwatch::central::HttpServer>(io, settings, store,
                                                            [&service] { return service.counters(); });
    http->router().set_sla(config.dispatch.sla);
    if (!config.dispatch.cells_file.empty()) http->router().set_cells_geojson(read_text_file(config.dispatch.cells_file));
    http->set_transition_handler([&service](std::int64_t id, const gridwatch::central::TransitionRequest& request) {
      return service.dispatcher().transition(id, request, gridwatch::wall_clock_ms());
    });
    service.set_incident_listener([&http] { return http->live_clients() > 0; },
                                  [&http](const gridwatch::central::IncidentRecord& incident) {
                                    http->broadcast(dump({{"type", "incident"},
                                                          {"incident", gridwatch::central::to_json(incident)}}));
                                  });
    service.fleet().set_change_listener([&http] { return http->live_clients() > 0; },
                                        [&http](const gridwatch::central::GatewayRecord& gateway) {
                                          http->broadcast(dump({{"type", "gateway"},
                                                                {"gateway", gridwatch::central::to_fleet_json(gateway)}}));
                                        });
    http->start();
    spdlog::info("http: serving the API on http://{}:{}/", config.http.listen_address, http->port());
  }
  // systemd's Type=notify and WatchdogSec (cross/packaging/central): the pings
  // come from this io_context, so a hung ingest, store or API handler
  // gets central restarted.
  gridwatch::ServiceWatchdog watchdog(io);
  // SIGHUP re-reads fleet.gateways_file, so an operator registers a new
  // gateway without restarting central.
  boost::asio::signal_set reload_signal(io, SIGHUP);
  std::function<void()> wait_for_reload = [&] {
    reload_signal.async_wait([&](const boost::system::error_code& error, int) {
      if (error) return;
      service.reload_registry();
      wait_for_reload();
    });
  };
  wait_for_reload();
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
    if (error) return;
    spdlog::info("received signal {}, shutting down", signal_number);
    watchdog.stop();
    if (http) http->stop();
    reload_signal.cancel();
    service.stop();
    io.stop();
  });
  service.start();
  watchdog.start();
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

/// A new user's password: from the terminal (asked twice, not echoed) or
/// the first line of stdin (scripts). Empty on mismatch or EOF.
std::string read_new_password(const std::string& name) {
  if (isatty(STDIN_FILENO) == 0) {
    std::string line;
    std::getline(std::cin, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  termios saved{};
  tcgetattr(STDIN_FILENO, &saved);
  termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string first;
  std::string second;
  std::cerr << "password for " << name << ": " << std::flush;
  std::getline(std::cin, first);
  std::cerr << "\nagain: " << std::flush;
  std::getline(std::cin, second);
  std::cerr << '\n';
  tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  if (first != second) {
    std::cerr << "the passwords differ\n";
    return {};
  }
  return first;
}

int add_user(const gridwatch::central::CentralConfig& config, const std::string& name, const std::string& role) {
  const auto store = open_store(config.store, false);
  gridwatch::central::AuthService auth(*store, config.http.session_ttl_s);
  const auto password = read_new_password(name);
  if (password.empty()) {
    std::cerr << "no password given; nothing created\n";
    return kExitUsage;
  }
  const auto problem = auth.add_user(name, role, password, gridwatch::wall_clock_ms());
  if (!problem.empty()) {
    std::cerr << problem << '\n';
    return kExitUsage;
  }
  std::cout << "user " << name << " (" << role << ") created\n";
  return 0;
}

int list_users(const gridwatch::central::CentralConfig& config) {
  const auto store = open_store(config.store, true);
  for (const auto& user : store->users()) {
    std::cout << user.name << "  " << user.role << "  since " << gridwatch::format_utc(user.created_ms) << '\n';
  }
  return 0;
}

int add_token(const gridwatch::central::CentralConfig& config, const std::string& user, const std::string& label) {
  const auto store = open_store(config.store, false);
  gridwatch::central::AuthService auth(*store, config.http.session_ttl_s);
  const auto token = auth.issue_token(user, label, gridwatch::wall_clock_ms());
  if (!token) {
    std::cerr << "no user " << user << "; create it first with `user add`\n";
    return kExitUsage;
  }
  std::cout << *token << '\n';
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
  auto* user_command = app.add_subcommand("user", "manage staff users of the dashboard and API");
  user_command->require_subcommand(1);
  auto* user_add = user_command->add_subcommand("add", "create a user; the password is read from the tty or stdin");
  std::string user_name;
  std::string user_role;
  user_add->add_option("--role", user_role, "operator, supervisor or admin")
      ->required()
      ->check(CLI::IsMember({"operator", "supervisor", "admin"}));
  user_add->add_option("name", user_name, "login name (1-64 of A-Z a-z 0-9 _ -)")->required();
  auto* user_list = user_command->add_subcommand("list", "list users and roles");
  auto* token_command = app.add_subcommand("token", "API tokens for machine clients");
  token_command->require_subcommand(1);
  auto* token_add = token_command->add_subcommand("add", "issue a token acting as a user; printed once");
  std::string token_user;
  std::string token_label;
  token_add->add_option("--user", token_user, "the user whose role the token carries")->required();
  token_add->add_option("--label", token_label, "what the token is for");
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
  std::optional<gridwatch::central::GatewayRegistry> registry;
  if (!config.fleet.gateways_file.empty()) {
    try {
      registry = gridwatch::central::GatewayRegistry::load(config.fleet.gateways_file);
    } catch (const gridwatch::ConfigInvalid& invalid) {
      std::cerr << invalid.errors().to_string() << config_path << ": fleet.gateways_file: "
                << invalid.errors().size() << " problem(s); see docs/configuration.md\n";
      return kExitUsage;
    }
  }
  if (check_only) {
    std::cout << config_path << ": OK (instance " << config.instance_id
              << (cells ? ", " + std::to_string(cells->cells().size()) + " grid cells" : std::string())
              << (registry ? ", " + std::to_string(registry->size()) + " registered gateways" : std::string())
              << ")\n";
    return 0;
  }
  gridwatch::setup_logging("central", log_level.empty() ? config.log_level : log_level);
  try {
    if (events->parsed()) return list_events(config, as_json, limit);
    if (push_config->parsed()) return gridwatch::central::push_camera_config(config, push_request, std::cout);
    if (user_add->parsed()) return add_user(config, user_name, user_role);
    if (user_list->parsed()) return list_users(config);
    if (token_add->parsed()) return add_token(config, token_user, token_label);
    return run_service(config, std::move(cells), std::move(registry));
  } catch (const std::exception& error) {
    spdlog::critical("gridwatch-central cannot run: {}", error.what());
    return kExitRuntime;
  }
}
