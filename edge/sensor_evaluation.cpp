// `gridwatch-edge evaluate sensor` (see evaluation.hpp).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "edge/evaluation.hpp"
#include "edge/sensor_replay.hpp"
#include "simulators/csv_replay.hpp"
#include "simulators/sensor_model.hpp"
#include "simulators/sensor_truth.hpp"

namespace gridwatch::edge {
namespace {

namespace fs = std::filesystem;

/// A fault is credited to a fault event up to this long after the event
/// ends (no-data and comms-lost faults need their own delay to show).
constexpr double kFaultGraceS = 60;

struct SensorScenarioScore {
  std::string name;
  double duration_s = 0;
  int fires = 0;
  int detected = 0;
  std::vector<double> delays_after_level;  ///< alarm - first_over_level_s
  std::vector<double> delays_after_onset;  ///< alarm - event start
  int false_alarms = 0;
  int dropped = 0;           ///< alarm cleared while the fire was still going on
  int faults_expected = 0;
  int faults_detected = 0;
  int false_faults = 0;
  std::set<std::string> fault_kinds;
  std::string error;
};

bool inside(double t, double from, double to) { return t >= from && t <= to; }

SensorScenarioScore score_scenario(const SensorSettings& sensor, const fs::path& path, double step_s) {
  SensorScenarioScore score;
  score.name = path.stem().string();
  sim::SensorModel model(sim::load_sensor_scenario(path.string()));
  const auto truth = sim::sensor_truth(model, 0);
  score.duration_s = truth["duration_s"].get<double>();
  const auto events = replay_sensor(sensor, model, step_s, true);

  struct Window {
    double from;
    double to;
    std::optional<double> level_s;
    bool fire;
  };
  std::vector<Window> windows;
  for (const auto& event : truth["events"]) {
    const double from = event["start_s"].get<double>();
    const double to = event["end_s"].is_null() ? score.duration_s : event["end_s"].get<double>();
    std::optional<double> level;
    if (!event["first_over_level_s"].is_null()) level = event["first_over_level_s"].get<double>();
    if (event["alarm_expected"].get<bool>()) windows.push_back({from, to, level, true});
    if (event["fault_expected"].get<bool>()) windows.push_back({from, to, std::nullopt, false});
  }
  std::vector<bool> alarm_used(events.size(), false);
  std::vector<bool> fault_used(events.size(), false);
  for (const auto& window : windows) {
    if (window.fire) ++score.fires;
    else ++score.faults_expected;
    for (std::size_t i = 0; i < events.size(); ++i) {
      const auto& [t, event] = events[i];
      if (window.fire && event.kind == SensorEvent::Kind::alarm_cleared && inside(t, window.from, window.to - 1)) {
        ++score.dropped;
      }
      if (window.fire && event.kind == SensorEvent::Kind::alarm_raised && inside(t, window.from, window.to) &&
          !alarm_used[i]) {
        alarm_used[i] = true;
        ++score.detected;
        score.delays_after_level.push_back(t - window.level_s.value_or(window.from));
        score.delays_after_onset.push_back(t - window.from);
        break;
      }
    }
    if (window.fire) continue;
    bool credited = false;
    for (std::size_t i = 0; i < events.size(); ++i) {
      const auto& [t, event] = events[i];
      if (event.kind != SensorEvent::Kind::fault_raised || !inside(t, window.from, window.to + kFaultGraceS)) continue;
      fault_used[i] = true;
      credited = true;
    }
    if (credited) ++score.faults_detected;
  }
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& [t, event] = events[i];
    if (event.kind == SensorEvent::Kind::alarm_raised && !alarm_used[i]) ++score.false_alarms;
    if (event.kind == SensorEvent::Kind::fault_raised) {
      score.fault_kinds.insert(std::string(to_string(event.fault)));
      if (!fault_used[i]) ++score.false_faults;
    }
  }
  return score;
}

struct LogScore {
  std::string status;  ///< empty when scored
  double onset_s = 0;
  std::size_t onset_line = 0;
  double log_s = 0;
  int alarms_before = 0;
  std::optional<double> first_alarm_after_s;
  int faults = 0;
};

LogScore score_log(const SensorEvaluationOptions& options) {
  LogScore score;
  if (!fs::exists(options.log_path)) {
    score.status = fmt::format("real log skipped: {} not found", options.log_path);
    return score;
  }
  const auto sensor = load_sensor_file(options.log_sensor_path);
  sim::CsvReplaySettings settings;
  settings.path = options.log_path;
  std::string error;
  const auto mapping = sim::parse_column_mapping(options.log_column, error);
  if (!mapping) throw std::runtime_error("log column: " + error);
  settings.smoke = *mapping;
  settings.time_column = options.log_time_column;
  settings.label_column = options.log_label_column;
  auto replay = sim::CsvReplay::load(settings);
  const auto truth = replay.truth();
  std::optional<double> onset;
  for (const auto& change : truth["label_changes"]) {
    if (change["to"].get<int>() == 1) {
      onset = change["t_s"].get<double>();
      score.onset_line = change["line"].get<std::size_t>();
      break;
    }
  }
  if (!onset) {
    score.status = fmt::format("{}: no 0->1 change in column \"{}\"", options.log_path, options.log_label_column);
    return score;
  }
  score.onset_s = *onset;
  score.log_s = replay.end_s();
  for (const auto& [t, event] : replay_sensor(sensor, replay, options.step_s, false)) {
    if (event.kind == SensorEvent::Kind::fault_raised) ++score.faults;
    if (event.kind != SensorEvent::Kind::alarm_raised) continue;
    if (t < *onset) {
      ++score.alarms_before;
    } else if (!score.first_alarm_after_s) {
      score.first_alarm_after_s = t;
    }
  }
  return score;
}

std::string format_list(const std::vector<double>& values) {
  if (values.empty()) return "-";
  std::vector<std::string> parts;
  for (double value : values) parts.push_back(fmt::format("{:+.0f}", value));
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

int run_sensor_evaluation(const SensorEvaluationOptions& options, std::ostream& out) {
  const auto sensor = load_sensor_file(options.sensor_path);
  const auto scenarios = scenario_files(options.scenario_dir, options.only);

  std::ostringstream table;
  table << "| scenario | sim s | fires | detected | delay after level (s) | delay after onset (s) | false alarms "
           "| alarm dropped | faults expected / found | fault kinds raised | false faults |\n";
  table << "|---|---|---|---|---|---|---|---|---|---|---|\n";
  int fires = 0, detected = 0, false_alarms = 0, dropped = 0, faults_expected = 0, faults_detected = 0,
      false_faults = 0;
  double total_s = 0;
  std::vector<double> delays;
  for (const auto& path : scenarios) {
    SensorScenarioScore score;
    try {
      score = score_scenario(sensor, path, options.step_s);
    } catch (const std::exception& error) {
      table << fmt::format("| {} | ERROR: {} |||||||||\n", path.stem().string(), error.what());
      continue;
    }
    table << fmt::format("| {} | {:.0f} | {} | {} | {} | {} | {} | {} | {} / {} | {} | {} |\n", score.name,
                         score.duration_s, score.fires, score.detected, format_list(score.delays_after_level),
                         format_list(score.delays_after_onset), score.false_alarms, score.dropped,
                         score.faults_expected, score.faults_detected,
                         score.fault_kinds.empty() ? "-" : fmt::format("{}", fmt::join(score.fault_kinds, ", ")),
                         score.false_faults);
    fires += score.fires;
    detected += score.detected;
    false_alarms += score.false_alarms;
    dropped += score.dropped;
    faults_expected += score.faults_expected;
    faults_detected += score.faults_detected;
    false_faults += score.false_faults;
    total_s += score.duration_s;
    delays.insert(delays.end(), score.delays_after_level.begin(), score.delays_after_level.end());
  }
  const double days = total_s / 86400.0;
  std::ostringstream summary;
  summary << fmt::format("\nLibrary ({} scenarios, {:.1f} h simulated, sampled every {} s):\n", scenarios.size(),
                         total_s / 3600.0, options.step_s);
  summary << fmt::format("- recall {:.3f} ({} of {} fires; goal >= 0.9)\n", fires > 0 ? double(detected) / fires : 1.0,
                         detected, fires);
  if (!delays.empty()) {
    summary << fmt::format("- time to detect after the reading reaches the reference level: max {:+.0f} s (goal <= 10)\n",
                           *std::max_element(delays.begin(), delays.end()));
  }
  summary << fmt::format("- false alarms: {} = {:.2f} per sensor-day; alarms dropped during a fire: {}\n", false_alarms,
                         days > 0 ? false_alarms / days : 0.0, dropped);
  summary << fmt::format("- faults: {} of {} fault events reported; {} false fault(s) = {:.2f} per sensor-day\n",
                         faults_detected, faults_expected, false_faults, days > 0 ? false_faults / days : 0.0);

  const auto log = score_log(options);
  if (!log.status.empty()) {
    summary << "- " << log.status << "\n";
  } else {
    summary << fmt::format("\nReal log {} (`{}`, label onset at {:.0f} s, line {}):\n", fs::path(options.log_path).filename().string(),
                           options.log_column, log.onset_s, log.onset_line);
    summary << fmt::format("- alarms before the onset: {} in {:.0f} s = {:.2f} per sensor-day (goal 0)\n",
                           log.alarms_before, log.onset_s, log.alarms_before * 86400.0 / log.onset_s);
    if (log.first_alarm_after_s) {
      summary << fmt::format("- first alarm at {:.0f} s: {:+.0f} s after the onset (goal <= 10)\n",
                             *log.first_alarm_after_s, *log.first_alarm_after_s - log.onset_s);
    } else {
      summary << "- no alarm after the onset (MISSED)\n";
    }
    summary << fmt::format("- fault events raised over the whole log ({:.0f} s): {}\n", log.log_s, log.faults);
  }
  write_report(table.str() + summary.str(), out, options.markdown_path);
  return 0;
}

}  // namespace gridwatch::edge
