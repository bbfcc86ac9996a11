#include "simulators/fleet/fleet_command.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/config_reader.hpp"
#include "common/logging.hpp"
#include "simulators/fleet/fleet_plan.hpp"
#include "simulators/fleet/fleet_runner.hpp"

namespace gridwatch::sim {
namespace {

struct FleetOptions {
  std::string scenario;
  std::optional<int> gateways;
  std::optional<double> duration_s;
  std::optional<std::string> mode;
  std::optional<std::uint64_t> seed;
  std::optional<double> rate_per_gateway_h;
  std::optional<double> connect_rate_per_s;
  std::optional<double> heartbeat_s;
  int broker_port = 0;
  FleetRunSettings run;
  std::string end = "clean";
  std::string plan_path;
  bool plan_only = false;
  std::string report_path;
  bool require_all = false;
  std::string log_level = "info";
};

void write_json(const std::string& path, const nlohmann::json& body, int indent) {
  std::ofstream out(path, std::ios::trunc);
  out << body.dump(indent) << '\n';
  if (!out) throw std::runtime_error(path + ": cannot write");
}

// Each virtual gateway holds one socket; lift the soft descriptor limit to
// the hard one so 10,000 fit under a default ulimit.
void raise_descriptor_limit(int gateways) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < static_cast<rlim_t>(gateways) + 64) {
    spdlog::warn("fleet: {} gateways need about {} descriptors, the limit is {}", gateways, gateways + 64,
                 limit.rlim_cur);
  }
}

int run(FleetOptions options) {
  setup_logging("sim", options.log_level);
  FleetSpec spec;
  try {
    if (!options.scenario.empty()) spec = load_fleet_scenario(options.scenario);
  } catch (const ConfigInvalid& invalid) {
    spdlog::error("invalid fleet scenario:\n{}", invalid.errors().to_string());
    return 2;
  }
  if (options.scenario.empty()) {
    spec.name = "command_line";
    spec.purpose = "fleet from command-line options";
  }
  if (options.gateways) spec.gateways = *options.gateways;
  if (options.duration_s) spec.duration_s = *options.duration_s;
  if (options.seed) spec.seed = *options.seed;
  if (options.rate_per_gateway_h) spec.rate_per_gateway_h = *options.rate_per_gateway_h;
  if (options.connect_rate_per_s) spec.connect_rate_per_s = *options.connect_rate_per_s;
  if (options.heartbeat_s) spec.heartbeat_s = *options.heartbeat_s;
  if (options.mode) {
    spec.mode = *options.mode == "bursty" ? ArrivalMode::bursty
                : *options.mode == "storm" ? ArrivalMode::storm
                                           : ArrivalMode::poisson;
  }
  const auto plan = plan_fleet(spec);
  spdlog::info("fleet {}: {} gateways, {} mode, {} alerts planned over {} s (seed {}, run id {})", spec.name,
               spec.gateways, to_string(spec.mode), plan.alerts.size(), spec.duration_s, spec.seed, plan.run_id);
  try {
    if (!options.plan_path.empty()) write_json(options.plan_path, plan_truth(spec, plan), 1);
  } catch (const std::exception& error) {
    spdlog::error("{}", error.what());
    return 1;
  }
  if (options.plan_only) return 0;

  raise_descriptor_limit(spec.gateways);
  options.run.port = options.broker_port;
  options.run.end = options.end == "abrupt" ? FleetEnd::abrupt : FleetEnd::clean;
  FleetReport report;
  try {
    report = run_fleet(spec, plan, options.run);
  } catch (const std::exception& error) {
    spdlog::error("fleet: {}", error.what());
    return 1;
  }
  std::cout << report.to_text() << std::flush;
  if (!options.report_path.empty()) write_json(options.report_path, report.to_json(), 2);
  if (options.require_all) {
    const bool all_acked = report.alerts_acked == report.alerts_sent && report.alerts_sent == report.alerts_planned;
    const bool all_delivered = !report.verified || report.delivered_unique == report.alerts_sent;
    if (!all_acked || !all_delivered) {
      spdlog::error("fleet: --require-all: not every planned alert was sent, acknowledged and delivered");
      return 3;
    }
  }
  return 0;
}

}  // namespace

void add_fleet_command(CLI::App& app) {
  auto options = std::make_shared<FleetOptions>();
  auto* command = app.add_subcommand("fleet", "run thousands of virtual gateways against a broker");
  command->add_option("--scenario", options->scenario, "fleet scenario file (YAML); options below override it")
      ->check(CLI::ExistingFile);
  command->add_option("--gateways", options->gateways, "number of virtual gateways")->check(CLI::Range(1, 100'000));
  command->add_option("--duration-s", options->duration_s, "length of the load phase")->check(CLI::Range(1.0, 86400.0));
  command->add_option("--mode", options->mode, "alert arrivals")->check(CLI::IsMember({"poisson", "bursty", "storm"}));
  command->add_option("--seed", options->seed, "random seed; the same seed plans the same alerts");
  command->add_option("--rate-per-gateway-h", options->rate_per_gateway_h, "background alerts per gateway per hour")
      ->check(CLI::Range(0.0, 36000.0));
  command->add_option("--connect-rate", options->connect_rate_per_s, "new connections per second during the ramp")
      ->check(CLI::Range(1.0, 100000.0));
  command->add_option("--heartbeat-s", options->heartbeat_s, "telemetry period per gateway (0 = none)")
      ->check(CLI::Range(0.0, 3600.0));
  command->add_option("--broker-port", options->broker_port, "MQTT broker port");
  command->add_option("--broker-host", options->run.host, "MQTT broker host")->capture_default_str();
  command->add_option("--keepalive-s", options->run.keepalive_s, "MQTT keepalive")->capture_default_str();
  command->add_option("--drain-s", options->run.drain_s, "after the load, how long to wait for acks and deliveries")
      ->capture_default_str();
  command->add_flag("--verify", options->run.verify, "subscribe to every alert and report deliveries and latency");
  command->add_option("--end", options->end, "clean: publish offline and disconnect; abrupt: drop the sockets so every Last Will fires")
      ->check(CLI::IsMember({"clean", "abrupt"}))
      ->capture_default_str();
  command->add_option("--plan", options->plan_path, "write the planned alerts (ground truth) as JSON");
  command->add_flag("--plan-only", options->plan_only, "write the plan and exit without connecting");
  command->add_option("--report", options->report_path, "write the report as JSON");
  command->add_flag("--require-all", options->require_all, "exit 3 unless every planned alert was sent, acked (and delivered with --verify)");
  command->add_option("--log-level", options->log_level, "trace, debug, info, warn, error")->capture_default_str();
  command->callback([options] {
    if (options->plan_only && options->plan_path.empty()) throw CLI::ValidationError("--plan-only", "needs --plan FILE");
    if (!options->plan_only && options->broker_port <= 0) throw CLI::ValidationError("--broker-port", "is required to run");
    const int rc = run(*options);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace gridwatch::sim
