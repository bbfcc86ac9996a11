#include "simulators/sensor_command.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <memory>
#include <thread>

#include "common/logging.hpp"
#include "simulators/modbus_server.hpp"
#include "simulators/sensor_model.hpp"

namespace gridwatch::sim {
namespace {

struct SensorOptions {
  std::string scenario = "clean";
  std::uint64_t seed = 1;
  double onset_s = 10;
  ModbusServerSettings server;
  std::string log_level = "info";
};

// SIGINT/SIGTERM are blocked in every thread and received by one waiter
// thread that raises `stop`: no handler touches shared state.
int run_sensor(const SensorOptions& options) {
  setup_logging("sim", options.log_level);
  const auto scenario = sensor_scenario_from_string(options.scenario);
  if (!scenario) {
    spdlog::error("unknown scenario \"{}\" (one of: {})", options.scenario,
                  fmt::join(sensor_scenario_names(), ", "));
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::atomic<bool> stop{false};
  std::thread waiter([&] {
    int received = 0;
    sigwait(&signals, &received);
    stop = true;
  });

  SensorModel model(*scenario, options.seed, options.onset_s);
  spdlog::info("sensor scenario {} (seed {}, onset at {} s, speed {}x)", options.scenario, options.seed,
               options.onset_s, options.server.speed);
  std::int64_t last_logged_second = -1;
  const int rc = serve_modbus(options.server, model, stop, [&](double t_s, const SensorSample& sample) {
    const auto second = static_cast<std::int64_t>(t_s);
    if (second % 10 == 0 && second != last_logged_second) {
      last_logged_second = second;
      spdlog::info("t={:.0f}s smoke {:.2f} %/m, {:.1f} C{}", t_s, sample.smoke, sample.temperature,
                   sample.answering ? "" : " (not answering)");
    }
  });
  // Wake the waiter if we ended on our own (duration elapsed).
  if (!stop) pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return rc;
}

}  // namespace

void add_sensor_command(CLI::App& app) {
  auto options = std::make_shared<SensorOptions>();
  auto* command = app.add_subcommand("sensor", "simulate a smoke sensor served over Modbus TCP");
  command->add_option("--scenario", options->scenario, "one of: " + fmt::format("{}", fmt::join(sensor_scenario_names(), ", ")))
      ->capture_default_str();
  command->add_option("--seed", options->seed, "random seed; the same seed gives the same readings")->capture_default_str();
  command->add_option("--onset-s", options->onset_s, "simulated seconds before the scenario's event starts")
      ->capture_default_str();
  command->add_option("--modbus-port", options->server.port, "Modbus TCP port to serve on")->capture_default_str();
  command->add_option("--bind", options->server.bind_address, "address to bind")->capture_default_str();
  command->add_option("--speed", options->server.speed, "simulated seconds per wall-clock second")
      ->check(CLI::Range(0.01, 10000.0))
      ->capture_default_str();
  command->add_option("--duration-s", options->server.duration_s, "simulated seconds to run; 0 = until Ctrl-C")
      ->capture_default_str();
  command->add_option("--log-level", options->log_level, "trace, debug, info, warn, error")->capture_default_str();
  command->callback([options] {
    const int rc = run_sensor(*options);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace gridwatch::sim
