#pragma once
// `gridwatch-edge evaluate parking|smoke|tamper`: renders (or reuses) the
// scenario library with gridwatch-sim, runs every video through the same
// analysis as `analyze`, matches episodes to the ground truth (parking: by
// zone and time; smoke: by region and time after the visible onset;
// tamper: by time), and runs the real clips: traffic as negatives, the
// wildfire time-lapse as a smoke positive. docs/evaluation.md holds the
// measured tables.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace gridwatch::edge {

struct EvaluationOptions {
  std::string scenario_dir = "simulators/scenarios";
  std::string cache_dir = "build/eval-cache";
  std::string negatives_dir = "../shared/data/traffic_negatives";
  std::string negative_cameras_dir = "tests/fixtures/traffic_negatives";
  std::string smoke_clips_dir = "../shared/data/smoke_video";       ///< smoke only: real positives
  std::string smoke_fixtures_dir = "tests/fixtures/smoke_video";    ///< <clip>.camera.yaml and <clip>.truth.json
  std::string sim_binary;
  std::vector<std::string> only;  ///< scenario names; empty = all
  int jobs = 2;
  std::string markdown_path;      ///< also write the Markdown table here
  std::string dnn_path;           ///< parking only: a `dnn:` section (YAML) added to every camera
  /// Analysis starts at this video time: with a 10 fps video analysed at
  /// 5 fps, 0.1 moves every analysis frame to the other half of the
  /// frames. The due times and onsets in the truth do not move.
  double phase_s = 0;
  /// Each scenario is rendered again with each of these seeds instead of
  /// its own (its traffic, pedestrians and noise change; what the scenario
  /// names stays), one row per seed; the real clips are left out. Empty:
  /// each scenario once, with its own seed.
  std::vector<std::uint64_t> seeds;
};

/// At most this many seeds in one --seeds list (each is a render and an
/// analysis of every scenario selected).
inline constexpr std::size_t kMaxSeeds = 10000;

/// "1-60", "1001" and the like, as given to --seeds: every seed of each
/// FIRST-LAST range (FIRST <= LAST) and every single one, in order, each
/// once. Throws std::invalid_argument naming the token that is neither, or
/// when the list holds more than kMaxSeeds seeds.
std::vector<std::uint64_t> parse_seed_list(const std::vector<std::string>& tokens);

/// One video to evaluate: a scenario of the library, rendered with its own
/// seed or with `seed`. `name` labels its row ("dusk_traffic", or
/// "dusk_traffic seed 39").
struct ScenarioRun {
  std::filesystem::path scenario;
  std::optional<std::uint64_t> seed;
  std::string name;
};

/// The runs `options` asks for: scenario_files() once each, or once per
/// seed of `options.seeds`.
std::vector<ScenarioRun> scenario_runs(const EvaluationOptions& options);

/// A detection counts for a violation when it is in the same zone and
/// starts between `kEarlyToleranceS` before the alert is due and the
/// moment the vehicle left (or the end of the video). Each detection
/// matches at most one violation; unmatched detections are false alerts.
inline constexpr double kEarlyToleranceS = 5.0;

/// The `*.yaml` files of a scenario folder, sorted, only those named in
/// `only` when it is not empty; throws when none is left.
std::vector<std::filesystem::path> scenario_files(const std::string& dir, const std::vector<std::string>& only);

/// Prints an evaluation's table and summary, and writes them to
/// `markdown_path` too unless it is empty.
void write_report(const std::string& report, std::ostream& out, const std::string& markdown_path);

/// Prints the table; returns 0 (the goals are reported, not enforced).
int run_parking_evaluation(const EvaluationOptions& options, std::ostream& out);

/// `gridwatch-edge evaluate sensor`: runs every sensor scenario (with the
/// simulator's ground truth) and the real IoT log through the same alarm
/// and fault logic as the gateway (SensorMonitor, see sensor_replay.hpp).
struct SensorEvaluationOptions {
  std::string scenario_dir = "simulators/sensor_scenarios";
  std::string sensor_path = "tests/fixtures/smoke_sensor/library.sensor.yaml";  ///< config for the library (%/m)
  std::string log_path = "../shared/data/smoke_sensor/smoke_detection_iot_first10080.csv";
  std::string log_sensor_path = "tests/fixtures/smoke_sensor/iot_log.sensor.yaml";  ///< config for the real log
  std::string log_column = "NC0.5*0.01";
  std::string log_time_column = "UTC";
  std::string log_label_column = "Fire Alarm";
  double step_s = 1.0;             ///< polling period the replay samples at
  std::vector<std::string> only;   ///< scenario names; empty = all
  std::string markdown_path;
};

/// A fire is detected when an alarm is raised between the fire event's
/// start and its end; its delay is measured from the moment the reading
/// first reaches the scenario's reference level (the truth's
/// first_over_level_s), so a rate-of-rise alarm may be early (negative).
/// Any other alarm is a false alarm. Prints the table; returns 0.
int run_sensor_evaluation(const SensorEvaluationOptions& options, std::ostream& out);

/// A smoke detection counts for a plume when its box overlaps the plume's
/// region and it starts between `kSmokeEarlyToleranceS` before the plume's
/// visible onset and the plume's end; each detection matches at most one
/// plume. Time to detect = start_s - visible onset.
inline constexpr double kSmokeEarlyToleranceS = 5.0;
/// The goal: each plume detected at most this long after its visible onset.
inline constexpr double kSmokeDetectGoalS = 10.0;

/// Prints the smoke table (library, real positive, real negatives) and the
/// goals; returns 0 (the goals are reported, not enforced).
int run_smoke_evaluation(const EvaluationOptions& options, std::ostream& out);

/// A tamper alert counts for a tamper event of the truth (covered, defocus,
/// turned = moved, frozen) when it starts between this long before the
/// event's start and 1 s after its end, whatever fault it names (the table
/// shows which, the summary counts the right ones); each alert matches at
/// most one event, the rest are false alerts. Time to alert = start_s -
/// the event's start.
inline constexpr double kTamperEarlyToleranceS = 1.0;

/// Prints the tamper table (library and real clips: precision, recall,
/// time to alert, false alerts per camera-hour); returns 0.
int run_tamper_evaluation(const EvaluationOptions& options, std::ostream& out);

}  // namespace gridwatch::edge
