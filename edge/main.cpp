// gridwatch-edge: the pole-mounted gateway. main() only parses the command
// line, loads the config and wires the Gateway to an io_context.
//
// Exit codes: 0 clean shutdown or valid config; 1 runtime failure (e.g.
// the outbox cannot be opened); 2 invalid command line or configuration.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <iostream>
#include <spdlog/spdlog.h>

#include "common/logging.hpp"
#include "edge/edge_config.hpp"
#include "edge/gateway.hpp"

namespace {

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

int run_gateway(const gridwatch::edge::EdgeConfig& config) {
  boost::asio::io_context io;
  gridwatch::edge::Gateway gateway(io, config);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
    if (error) return;
    spdlog::info("received signal {}, shutting down", signal_number);
    gateway.stop();
    io.stop();
  });
  gateway.start();
  io.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"GridWatch edge gateway: detects smoke, fire, illegal parking and camera tampering on the pole, "
               "stores every alert in SQLite and delivers it to central over MQTT."};
  std::string config_path = "/etc/gridwatch/edge.yaml";
  bool check_only = false;
  std::string log_level;
  app.add_option("-c,--config", config_path, "gateway configuration file (YAML)")->capture_default_str();
  app.add_flag("--check-config", check_only, "validate the configuration, print every problem, and exit");
  app.add_option("--log-level", log_level, "override log_level: trace, debug, info, warn, error");
  app.set_version_flag("--version", std::string(GRIDWATCH_VERSION));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : kExitUsage;
  }

  gridwatch::edge::EdgeConfig config;
  try {
    config = gridwatch::edge::load_edge_config(config_path);
  } catch (const gridwatch::ConfigInvalid& invalid) {
    std::cerr << invalid.errors().to_string() << config_path << ": " << invalid.errors().size()
              << " problem(s); see docs/configuration.md\n";
    return kExitUsage;
  }
  if (check_only) {
    std::cout << config_path << ": OK (gateway " << config.gateway.id << ", " << config.sensors.size()
              << " sensor(s))\n";
    return 0;
  }
  gridwatch::setup_logging("edge", log_level.empty() ? config.log_level : log_level);
  try {
    return run_gateway(config);
  } catch (const std::exception& error) {
    spdlog::critical("gridwatch-edge cannot run: {}", error.what());
    return kExitRuntime;
  }
}
