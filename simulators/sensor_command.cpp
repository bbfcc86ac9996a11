#include "simulators/sensor_command.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/config_reader.hpp"
#include "common/logging.hpp"
#include "simulators/csv_replay.hpp"
#include "simulators/modbus_server.hpp"
#include "simulators/mqtt_sensor.hpp"
#include "simulators/sensor_model.hpp"
#include "simulators/sensor_truth.hpp"

namespace gridwatch::sim {
namespace {

struct SensorOptions {
  std::string scenario = "clean";
  std::uint64_t seed = 1;
  double onset_s = 10;
  std::string replay;          ///< CSV log to replay instead of a scenario
  std::string smoke_column;
  std::string temperature_column;
  std::string time_column;
  std::string label_column;
  double period_s = 1.0;
  ModbusServerSettings server;
  int mqtt_port = 0;           ///< > 0: publish MQTT JSON instead of serving Modbus
  MqttSensorSettings mqtt;
  std::string sensor_id;       ///< overrides the scenario's
  std::string truth_path;
  bool truth_only = false;
  double truth_horizon_s = 600;
  std::string log_level = "info";
};

bool is_scenario_file(const std::string& text) {
  return text.find('/') != std::string::npos || text.ends_with(".yaml") || text.ends_with(".yml");
}

void write_json(const std::string& path, const nlohmann::json& body) {
  std::ofstream out(path, std::ios::trunc);
  out << body.dump(2) << '\n';
  if (!out) throw std::runtime_error(path + ": cannot write the ground truth");
}

// The readings come from a scenario (built-in or file) or a replayed log.
struct Source {
  std::unique_ptr<SampleSource> samples;
  std::string sensor_id;
  std::string description;
  nlohmann::json truth;
};

Source make_source(const SensorOptions& options) {
  Source source;
  if (!options.replay.empty()) {
    CsvReplaySettings settings;
    settings.path = options.replay;
    std::string error;
    auto mapping = [&](const std::string& text, const char* option) {
      auto parsed = parse_column_mapping(text, error);
      if (!parsed) throw std::runtime_error(fmt::format("{}: {}", option, error));
      return *parsed;
    };
    settings.smoke = mapping(options.smoke_column, "--smoke-column");
    if (!options.temperature_column.empty()) settings.temperature = mapping(options.temperature_column, "--temperature-column");
    if (!options.time_column.empty()) settings.time_column = options.time_column;
    if (!options.label_column.empty()) settings.label_column = options.label_column;
    settings.period_s = options.period_s;
    auto replay = std::make_unique<CsvReplay>(CsvReplay::load(settings));
    for (const auto& problem : replay->problems()) spdlog::warn("{}", problem);
    if (replay->skipped_rows() > replay->problems().size()) {
      spdlog::warn("{}: {} more rows skipped", options.replay, replay->skipped_rows() - replay->problems().size());
    }
    source.truth = replay->truth();
    source.description = fmt::format("replay of {} ({} rows, {:.0f} s of log)", options.replay, replay->rows(),
                                     replay->end_s());
    source.sensor_id = options.sensor_id.empty() ? "smoke1" : options.sensor_id;
    source.samples = std::move(replay);
    return source;
  }
  std::optional<SensorScenarioSpec> spec;
  if (is_scenario_file(options.scenario)) {
    spec = load_sensor_scenario(options.scenario);
  } else {
    spec = builtin_sensor_scenario(options.scenario, options.seed, options.onset_s);
    if (!spec) {
      throw std::runtime_error(fmt::format("unknown scenario \"{}\": give a scenario file or one of: {}",
                                           options.scenario, fmt::join(builtin_sensor_scenario_names(), ", ")));
    }
  }
  if (!options.sensor_id.empty()) spec->sensor_id = options.sensor_id;
  auto model = std::make_unique<SensorModel>(*spec);
  source.truth = sensor_truth(*model, options.truth_horizon_s);
  source.description = fmt::format("scenario {} (seed {})", spec->name, spec->seed);
  source.sensor_id = spec->sensor_id;
  source.samples = std::move(model);
  return source;
}

// SIGINT/SIGTERM are blocked in every thread and received by one waiter
// thread that raises `stop`: no handler touches shared state.
int run_sensor(SensorOptions options) {
  setup_logging("sim", options.log_level);
  Source source;
  try {
    source = make_source(options);
    if (!options.truth_path.empty()) write_json(options.truth_path, source.truth);
  } catch (const ConfigInvalid& invalid) {
    spdlog::error("invalid sensor scenario:\n{}", invalid.errors().to_string());
    return 2;
  } catch (const std::exception& error) {
    spdlog::error("{}", error.what());
    return 2;
  }
  if (options.truth_only) return 0;

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

  const double speed = options.mqtt_port > 0 ? options.mqtt.speed : options.server.speed;
  spdlog::info("sensor {}: {}, speed {}x", source.sensor_id, source.description, speed);
  std::int64_t last_logged_second = -1;
  auto log_sample = [&](double t_s, const SensorSample& sample) {
    const auto second = static_cast<std::int64_t>(t_s);
    if (second % 10 == 0 && second != last_logged_second) {
      last_logged_second = second;
      spdlog::info("t={:.0f}s smoke {:.2f} %/m, {:.1f} C{}", t_s, sample.smoke, sample.temperature,
                   sample.answering ? "" : " (not answering)");
    }
  };
  int rc = 0;
  if (options.mqtt_port > 0) {
    options.mqtt.port = options.mqtt_port;
    rc = serve_mqtt(options.mqtt, source.sensor_id, *source.samples, stop, log_sample);
  } else {
    rc = serve_modbus(options.server, *source.samples, stop, log_sample);
  }
  // Wake the waiter if we ended on our own (duration or log elapsed).
  if (!stop) pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return rc;
}

}  // namespace

void add_sensor_command(CLI::App& app) {
  auto options = std::make_shared<SensorOptions>();
  auto* command = app.add_subcommand(
      "sensor", "simulate a smoke sensor (scenario or replayed CSV log) over Modbus TCP or MQTT JSON");
  command
      ->add_option("--scenario", options->scenario,
                   "a scenario file (YAML) or a built-in: " +
                       fmt::format("{}", fmt::join(builtin_sensor_scenario_names(), ", ")))
      ->capture_default_str();
  command->add_option("--seed", options->seed, "random seed of a built-in scenario (files carry their own)")
      ->capture_default_str();
  command->add_option("--onset-s", options->onset_s, "simulated seconds before a built-in scenario's event starts")
      ->capture_default_str();
  auto* replay = command->add_option("--replay", options->replay, "replay this CSV log instead of a scenario")
                     ->check(CLI::ExistingFile);
  command->add_option("--smoke-column", options->smoke_column, "replay: column of the smoke reading, NAME[*SCALE] to %/m")
      ->needs(replay);
  command->add_option("--temperature-column", options->temperature_column, "replay: column in degrees C, NAME[*SCALE]")
      ->needs(replay);
  command->add_option("--time-column", options->time_column, "replay: column of seconds (UNIX or relative)")
      ->needs(replay);
  command->add_option("--label-column", options->label_column, "replay: 0/1 ground-truth column")->needs(replay);
  command->add_option("--period-s", options->period_s, "replay without a time column: seconds per row")
      ->check(CLI::Range(0.001, 3600.0))
      ->capture_default_str();
  command->add_option("--sensor-id", options->sensor_id, "sensor id in MQTT topics and payloads");
  command->add_option("--modbus-port", options->server.port, "Modbus TCP port to serve on")->capture_default_str();
  command->add_option("--bind", options->server.bind_address, "address to bind the Modbus server")->capture_default_str();
  auto* mqtt = command->add_option("--mqtt-port", options->mqtt_port, "publish MQTT JSON to this broker port instead of serving Modbus");
  command->add_option("--mqtt-host", options->mqtt.host, "broker host for --mqtt-port")->capture_default_str();
  command->add_option("--topic-prefix", options->mqtt.topic_prefix, "MQTT topic prefix (default sensors/{sensor_id})")
      ->needs(mqtt);
  command->add_option("--publish-period-s", options->mqtt.period_s, "MQTT: simulated seconds between readings")
      ->check(CLI::Range(0.01, 3600.0))
      ->needs(mqtt)
      ->capture_default_str();
  command->add_option_function<double>("--speed", [options](double speed) {
           options->server.speed = speed;
           options->mqtt.speed = speed;
         }, "simulated seconds per wall-clock second")
      ->check(CLI::Range(0.01, 10000.0))
      ->default_str("1");
  command->add_option_function<double>("--duration-s", [options](double seconds) {
           options->server.duration_s = seconds;
           options->mqtt.duration_s = seconds;
         }, "simulated seconds to run; 0 = until Ctrl-C or the end of the scenario or log")
      ->default_str("0");
  command->add_option("--truth", options->truth_path, "write the ground truth JSON here");
  command->add_flag("--truth-only", options->truth_only, "write the ground truth and exit");
  command->add_option("--truth-horizon-s", options->truth_horizon_s,
                      "simulated seconds of ground truth for endless scenarios")
      ->capture_default_str();
  command->add_option("--log-level", options->log_level, "trace, debug, info, warn, error")->capture_default_str();
  command->callback([options] {
    if (options->replay.empty() == false && options->smoke_column.empty()) {
      throw CLI::ValidationError("--replay", "needs --smoke-column");
    }
    if (options->truth_only && options->truth_path.empty()) {
      throw CLI::ValidationError("--truth-only", "needs --truth FILE");
    }
    const int rc = run_sensor(*options);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace gridwatch::sim
