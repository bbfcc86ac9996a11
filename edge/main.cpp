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
#include <stdexcept>
#include <spdlog/spdlog.h>

#include "common/logging.hpp"
#include "edge/doctor.hpp"
#include "edge/edge_config.hpp"
#include "edge/evaluation.hpp"
#include "edge/gateway.hpp"
#include "edge/sensor_replay.hpp"
#include "edge/provision.hpp"
#include "common/systemd/service_watchdog.hpp"
#include "edge/video_analysis.hpp"

namespace {

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

int run_gateway(const gridwatch::edge::EdgeConfig& config) {
  boost::asio::io_context io;
  gridwatch::edge::Gateway gateway(io, config);
  gridwatch::ServiceWatchdog watchdog(io);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
    if (error) return;
    spdlog::info("received signal {}, shutting down", signal_number);
    watchdog.stop();
    gateway.stop();
    io.stop();
  });
  gateway.start();
  watchdog.start();
  io.run();
  return 0;
}

// `analyze`: JSON lines on stdout (one per episode), logs on stderr.
int run_analyze(const std::string& camera_path, const std::string& video_path, const std::string& evidence_dir,
                double first_s, const std::string& log_level) {
  gridwatch::setup_logging("edge-analyze", log_level);
  gridwatch::edge::vision::CameraSettings camera;
  try {
    camera = gridwatch::edge::load_camera_file(camera_path);
  } catch (const gridwatch::ConfigInvalid& invalid) {
    std::cerr << invalid.errors().to_string() << camera_path << ": " << invalid.errors().size()
              << " problem(s); see docs/configuration.md\n";
    return kExitUsage;
  }
  try {
    const auto stats = gridwatch::edge::analyze_video(camera, video_path, [](const gridwatch::edge::EpisodeRecord& record) {
      std::cout << gridwatch::edge::to_json_line(record) << std::endl;
    }, evidence_dir, first_s);
    spdlog::info("{}: {} frames ({:.1f} s of video), {} analysed, in {:.1f} s ({:.1f}x real time)", video_path,
                 stats.frames_decoded, stats.video_s, stats.frames_analysed, stats.wall_s,
                 stats.wall_s > 0 ? stats.video_s / stats.wall_s : 0.0);
    if (stats.vehicle_checks > 0) {
      spdlog::info("dnn vehicle confirmation: {} call(s), {:.1f} ms each on average", stats.vehicle_checks,
                   stats.vehicle_check_s * 1000.0 / static_cast<double>(stats.vehicle_checks));
    }
    return 0;
  } catch (const std::exception& error) {
    spdlog::critical("analyze: {}", error.what());
    return kExitRuntime;
  }
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

  auto* analyze = app.add_subcommand("analyze", "run a video file through the camera pipeline on video time; "
                                                "one JSON line per alert episode on stdout, logs on stderr");
  std::string camera_path;
  std::string video_path;
  analyze->add_option("--camera", camera_path, "camera config (one entry of the gateway's cameras list)")->required();
  std::string evidence_dir;
  analyze->add_option("--evidence-dir", evidence_dir, "write each alert's evidence JPEG into this folder");
  double analyze_first_s = 0;
  analyze->add_option("--phase-s", analyze_first_s,
                      "start analysing at this video time (times stay video times), to replay at another frame phase")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  analyze->add_option("video", video_path, "video file (any format OpenCV's FFmpeg backend reads)")->required();

  auto* replay_sensor = app.add_subcommand(
      "replay-sensor", "run a sensor CSV log through the alarm and fault logic on the log's time; one JSON line per "
                       "alarm or fault on stdout, then a summary line");
  gridwatch::edge::SensorReplayOptions sensor_replay;
  replay_sensor->add_option("log", sensor_replay.log_path, "CSV log with a header row")->required();
  replay_sensor->add_option("--sensor", sensor_replay.sensor_path,
                            "sensor config (one entry of the gateway's sensors list: alarm, drift, faults)")
      ->required();
  replay_sensor->add_option("--column", sensor_replay.column, "the reading: NAME[*SCALE], NAME a header or #INDEX")
      ->required();
  replay_sensor->add_option("--time-column", sensor_replay.time_column, "seconds (UNIX or relative)");
  replay_sensor->add_option("--period-s", sensor_replay.period_s, "seconds per row without --time-column")
      ->capture_default_str();
  replay_sensor->add_option("--label-column", sensor_replay.label_column, "0/1 truth column, summarised at the end");
  replay_sensor->add_option("--step-s", sensor_replay.step_s, "polling period the replay samples at")
      ->check(CLI::Range(0.01, 3600.0))
      ->capture_default_str();

  auto* evaluate = app.add_subcommand("evaluate", "score the detectors against the scenario library and real clips");
  auto* evaluate_parking = evaluate->add_subcommand("parking", "parking episodes: precision, recall, alert delay");
  evaluate->require_subcommand(1);
  gridwatch::edge::EvaluationOptions evaluation;
  std::vector<std::string> evaluation_seeds;
  // Options both evaluations take: the library, its cache, the real negatives.
  const auto add_common = [&evaluation, &evaluation_seeds](CLI::App* command, const std::string& negatives_meaning) {
    command->add_option("--scenarios", evaluation.scenario_dir, "scenario folder")->capture_default_str();
    command->add_option("--cache", evaluation.cache_dir, "rendered videos and truth (reused when present)")
        ->capture_default_str();
    command->add_option("--negatives", evaluation.negatives_dir, negatives_meaning + " (skipped with a message when absent)")
        ->capture_default_str();
    command->add_option("--negative-cameras", evaluation.negative_cameras_dir,
                        "camera configs for the real clips (<clip name>.camera.yaml)")
        ->capture_default_str();
    command->add_option("--sim", evaluation.sim_binary, "gridwatch-sim binary (default: next to this one)");
    command->add_option("--only", evaluation.only, "scenario names to run (default: all, plus the real clips)");
    command->add_option("-j,--jobs", evaluation.jobs, "videos analysed in parallel")->capture_default_str();
    command->add_option("--markdown", evaluation.markdown_path, "also write the table as Markdown here");
    command->add_option("--phase-s", evaluation.phase_s,
                        "start analysing at this video time, so analysis frames fall on other frames of each video "
                        "(0.1 with the library's 10 fps videos at 5 fps analysis); truth times do not move")
        ->check(CLI::Range(0.0, 10.0))
        ->capture_default_str();
    command->add_option("--seeds", evaluation_seeds,
                        "render each scenario again with each of these seeds (1-60 1001 ...), one row per seed; "
                        "the real clips are left out");
  };
  add_common(evaluate_parking, "real clips with no parking");
  evaluate_parking->add_option("--dnn", evaluation.dnn_path,
                               "YAML with a camera's dnn: keys (model, config, names, ...), added to every camera");
  auto* evaluate_smoke = evaluate->add_subcommand(
      "smoke", "smoke episodes: recall, time to detect after the visible onset, false alerts per camera-hour");
  add_common(evaluate_smoke, "real clips with no smoke");
  auto* evaluate_tamper = evaluate->add_subcommand(
      "tamper", "tamper episodes (covered, defocus, moved, frozen): precision, recall, time to alert, "
                "false alerts per camera-hour");
  add_common(evaluate_tamper, "real clips with no tamper");
  evaluate_smoke->add_option("--smoke-clips", evaluation.smoke_clips_dir,
                             "real smoke clips (skipped with a message when absent)")
      ->capture_default_str();
  evaluate_smoke->add_option("--smoke-fixtures", evaluation.smoke_fixtures_dir,
                             "camera configs and truth for the real smoke clips (<clip>.camera.yaml, <clip>.truth.json)")
      ->capture_default_str();
  auto* evaluate_sensor = evaluate->add_subcommand(
      "sensor", "smoke sensors: recall, time to detect, false alarms per sensor-day (library and real log)");
  gridwatch::edge::SensorEvaluationOptions sensor_evaluation;
  evaluate_sensor->add_option("--scenarios", sensor_evaluation.scenario_dir, "sensor scenario folder")
      ->capture_default_str();
  evaluate_sensor->add_option("--sensor", sensor_evaluation.sensor_path, "sensor config used for the library")
      ->capture_default_str();
  evaluate_sensor->add_option("--log", sensor_evaluation.log_path, "real log (skipped with a message when absent)")
      ->capture_default_str();
  evaluate_sensor->add_option("--log-sensor", sensor_evaluation.log_sensor_path, "sensor config used for the real log")
      ->capture_default_str();
  evaluate_sensor->add_option("--log-column", sensor_evaluation.log_column, "real log: the reading, NAME[*SCALE]")
      ->capture_default_str();
  evaluate_sensor->add_option("--log-time-column", sensor_evaluation.log_time_column, "real log: seconds column")
      ->capture_default_str();
  evaluate_sensor->add_option("--log-label-column", sensor_evaluation.log_label_column, "real log: 0/1 truth column")
      ->capture_default_str();
  evaluate_sensor->add_option("--step-s", sensor_evaluation.step_s, "polling period the replay samples at")
      ->check(CLI::Range(0.01, 3600.0))
      ->capture_default_str();
  evaluate_sensor->add_option("--only", sensor_evaluation.only, "scenario names to run (default: all)");
  evaluate_sensor->add_option("--markdown", sensor_evaluation.markdown_path, "also write the table as Markdown here");
  auto* provision = app.add_subcommand(
      "provision", "give this gateway its identity: key and CSR (CN = gateway id), id, position, broker and CA in "
                   "the config; with --cert, check and install the certificate central issued");
  gridwatch::edge::ProvisionRequest provision_request;
  provision->add_option("--id", provision_request.gateway_id, "gateway id (1-64 of A-Z a-z 0-9 _ -)");
  provision->add_option("--lat", provision_request.lat, "latitude of the pole (WGS84)");
  provision->add_option("--lon", provision_request.lon, "longitude of the pole (WGS84)");
  provision->add_option("--broker", provision_request.broker, "central's broker, e.g. ssl://central.example:8883");
  provision->add_option("--ca", provision_request.ca_file, "CA certificate of the deployment (from central)");
  provision->add_option("--cert", provision_request.certificate, "certificate central issued for our CSR");
  provision->add_option("--tls-dir", provision_request.tls_dir, "where key, CSR and certificates go (default: tls/ beside the config)");
  provision->add_flag("--new-key", provision_request.new_key, "replace the private key (re-keying; needs a new certificate)");
  provision->add_option("--service-user", provision_request.service_user, "user that must own the key, if it exists")
      ->capture_default_str();

  auto* doctor = app.add_subcommand("doctor", "check config, identity, broker, clock, disk, outbox, sensors and "
                                              "cameras; one line each with a fix hint; exit 0 = fit to leave");
  gridwatch::edge::DoctorOptions doctor_options;
  doctor->add_option("--snapshot", doctor_options.snapshot_dir, "save one JPEG per camera with zones drawn here");
  doctor->add_option("--camera-seconds", doctor_options.camera_seconds, "how long to watch each live camera")
      ->capture_default_str();
  doctor->add_option("--skip", doctor_options.skip, "leave a check out (repeatable)")
      ->check(CLI::IsMember(gridwatch::edge::doctor_check_names()));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : kExitUsage;
  }
  if (provision->parsed()) {
    provision_request.config_path = config_path;
    try {
      return gridwatch::edge::run_provision(provision_request, std::cout, std::cerr);
    } catch (const std::exception& error) {
      std::cerr << "provision: " << error.what() << '\n';
      return kExitRuntime;
    }
  }
  if (doctor->parsed()) {
    // Library chatter (reconnect warnings) would drown the one-line verdicts.
    gridwatch::setup_logging("edge-doctor", log_level.empty() ? "off" : log_level);
    doctor_options.config_path = config_path;
    try {
      return gridwatch::edge::run_doctor(doctor_options, std::cout);
    } catch (const std::exception& error) {
      std::cerr << "doctor: " << error.what() << '\n';
      return kExitRuntime;
    }
  }
  if (analyze->parsed()) return run_analyze(camera_path, video_path, evidence_dir, analyze_first_s, log_level.empty() ? "info" : log_level);
  if (replay_sensor->parsed()) {
    gridwatch::setup_logging("edge-replay", log_level.empty() ? "warn" : log_level);
    return gridwatch::edge::run_sensor_replay(sensor_replay, std::cout, std::cerr);
  }
  if (evaluate_sensor->parsed()) {
    gridwatch::setup_logging("edge-evaluate", log_level.empty() ? "warn" : log_level);
    try {
      return gridwatch::edge::run_sensor_evaluation(sensor_evaluation, std::cout);
    } catch (const gridwatch::ConfigInvalid& invalid) {
      std::cerr << invalid.errors().to_string();
      return kExitUsage;
    } catch (const std::exception& error) {
      spdlog::critical("evaluate sensor: {}", error.what());
      return kExitRuntime;
    }
  }
  if (evaluate_parking->parsed() || evaluate_smoke->parsed() || evaluate_tamper->parsed()) {
    gridwatch::setup_logging("edge-evaluate", log_level.empty() ? "warn" : log_level);
    if (evaluation.sim_binary.empty()) {
      const std::string self = argv[0];
      const auto slash = self.rfind('/');
      evaluation.sim_binary = (slash == std::string::npos ? std::string() : self.substr(0, slash + 1)) + "gridwatch-sim";
    }
    try {
      evaluation.seeds = gridwatch::edge::parse_seed_list(evaluation_seeds);
    } catch (const std::invalid_argument& bad) {
      std::cerr << "--seeds: " << bad.what() << "\n";
      return kExitUsage;
    }
    try {
      if (evaluate_smoke->parsed()) return gridwatch::edge::run_smoke_evaluation(evaluation, std::cout);
      if (evaluate_tamper->parsed()) return gridwatch::edge::run_tamper_evaluation(evaluation, std::cout);
      return gridwatch::edge::run_parking_evaluation(evaluation, std::cout);
    } catch (const gridwatch::ConfigInvalid& invalid) {
      std::cerr << invalid.errors().to_string();
      return kExitUsage;
    } catch (const std::exception& error) {
      spdlog::critical("evaluate: {}", error.what());
      return kExitRuntime;
    }
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
              << " sensor(s), " << config.cameras.size() << " camera(s))\n";
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
