#include "edge/evaluation.hpp"

#include <fmt/format.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "edge/video_analysis.hpp"

extern char** environ;

namespace gridwatch::edge {
namespace {

namespace fs = std::filesystem;

struct TruthEpisode {
  std::string zone;
  double due_s = 0;
  std::optional<double> leave_s;
};

struct ScenarioResult {
  std::string name;
  double duration_s = 0;
  bool negative_clip = false;  // real footage
  std::vector<TruthEpisode> violations;
  std::vector<EpisodeRecord> detections;
  int true_positives = 0;
  int false_positives = 0;
  int false_negatives = 0;
  std::vector<double> delays;  // start_s - alert_due_s of matched detections
  std::string error;
};

int run_process(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::optional<std::string> cached_video(const std::string& cache, const std::string& name) {
  for (const char* extension : {".mp4", ".avi"}) {
    const auto path = fs::path(cache) / (name + extension);
    if (fs::exists(path)) return path.string();
  }
  return std::nullopt;
}

void match(ScenarioResult& result) {
  std::vector<bool> used(result.detections.size(), false);
  for (const auto& truth : result.violations) {
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < result.detections.size(); ++i) {
      const auto& detection = result.detections[i];
      if (used[i] || detection.type != vision::EventType::parking || detection.zone != truth.zone) continue;
      const double latest = truth.leave_s.value_or(result.duration_s) + 1.0;
      if (detection.start_s < truth.due_s - kEarlyToleranceS || detection.start_s > latest) continue;
      if (!best || std::abs(detection.start_s - truth.due_s) <
                       std::abs(result.detections[*best].start_s - truth.due_s)) {
        best = i;
      }
    }
    if (best) {
      used[*best] = true;
      ++result.true_positives;
      result.delays.push_back(result.detections[*best].start_s - truth.due_s);
    } else {
      ++result.false_negatives;
    }
  }
  for (std::size_t i = 0; i < result.detections.size(); ++i) {
    if (!used[i] && result.detections[i].type == vision::EventType::parking) ++result.false_positives;
  }
}

ScenarioResult evaluate_scenario(const EvaluationOptions& options, const fs::path& scenario) {
  ScenarioResult result;
  result.name = scenario.stem().string();
  auto video = cached_video(options.cache_dir, result.name);
  const auto truth_path = fs::path(options.cache_dir) / (result.name + ".truth.json");
  const auto camera_path = fs::path(options.cache_dir) / (result.name + ".camera.yaml");
  if (!video || !fs::exists(truth_path) || !fs::exists(camera_path)) {
    spdlog::warn("rendering {} into {}", result.name, options.cache_dir);
    const int code = run_process({options.sim_binary, "camera", "--scenario", scenario.string(), "--out",
                                  options.cache_dir, "--format", "avi"});
    video = cached_video(options.cache_dir, result.name);
    if (code != 0 || !video) {
      result.error = fmt::format("rendering failed (exit {})", code);
      return result;
    }
  }
  std::ifstream truth_file(truth_path);
  const auto truth = nlohmann::json::parse(truth_file, nullptr, false);
  if (truth.is_discarded()) {
    result.error = "unreadable truth";
    return result;
  }
  result.duration_s = truth["video"]["duration_s"].get<double>();
  for (const auto& episode : truth["parking"]) {
    if (!episode["violation"].get<bool>()) continue;
    TruthEpisode violation;
    violation.zone = episode["zone"].get<std::string>();
    violation.due_s = episode["alert_due_s"].get<double>();
    if (!episode["leave_s"].is_null()) violation.leave_s = episode["leave_s"].get<double>();
    result.violations.push_back(violation);
  }
  const auto camera = load_camera_file(camera_path.string());
  analyze_video(camera, *video, [&](const EpisodeRecord& record) { result.detections.push_back(record); });
  match(result);
  return result;
}

ScenarioResult evaluate_negative(const fs::path& clip, const fs::path& camera_path) {
  ScenarioResult result;
  result.name = clip.filename().string();
  result.negative_clip = true;
  const auto camera = load_camera_file(camera_path.string());
  const auto stats = analyze_video(camera, clip.string(), [&](const EpisodeRecord& record) {
    result.detections.push_back(record);
  });
  result.duration_s = stats.video_s;
  match(result);
  return result;
}

struct Totals {
  int true_positives = 0;
  int false_positives = 0;
  int false_negatives = 0;
  std::vector<double> delays;
  int real_alerts = 0;   // on real footage
  double real_s = 0;
  int quiet_alerts = 0;  // on library scenes without violations
  double quiet_s = 0;

  void add(const ScenarioResult& result) {
    if (result.negative_clip) {
      real_alerts += result.false_positives;
      real_s += result.duration_s;
      return;
    }
    true_positives += result.true_positives;
    false_positives += result.false_positives;
    false_negatives += result.false_negatives;
    delays.insert(delays.end(), result.delays.begin(), result.delays.end());
    if (result.violations.empty()) {
      quiet_s += result.duration_s;
      quiet_alerts += result.false_positives;
    }
  }
};

std::string format_delays(const std::vector<double>& delays) {
  if (delays.empty()) return "-";
  std::vector<std::string> parts;
  for (double delay : delays) parts.push_back(fmt::format("{:+.1f}", delay));
  return fmt::format("{}", fmt::join(parts, ", "));
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

void write_report(const std::string& report, std::ostream& out, const std::string& markdown_path) {
  out << report;
  if (markdown_path.empty()) return;
  std::ofstream markdown(markdown_path);
  markdown << report;
}

std::vector<fs::path> scenario_files(const std::string& dir, const std::vector<std::string>& only) {
  std::vector<fs::path> scenarios;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    const auto name = entry.path().stem().string();
    if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) continue;
    scenarios.push_back(entry.path());
  }
  if (scenarios.empty()) throw std::runtime_error(fmt::format("no scenarios in {}", dir));
  std::sort(scenarios.begin(), scenarios.end());
  return scenarios;
}

int run_parking_evaluation(const EvaluationOptions& options, std::ostream& out) {
  fs::create_directories(options.cache_dir);
  std::vector<std::function<ScenarioResult()>> tasks;
  std::vector<std::string> names;  // per task, for error rows
  const auto scenarios = scenario_files(options.scenario_dir, options.only);
  for (const auto& scenario : scenarios) {
    tasks.emplace_back([&options, scenario] { return evaluate_scenario(options, scenario); });
    names.push_back(scenario.stem().string());
  }

  std::vector<std::string> skipped_negatives;
  if (options.only.empty()) {
    if (!fs::is_directory(options.negatives_dir)) {
      skipped_negatives.push_back(fmt::format("real clips skipped: {} not found", options.negatives_dir));
    } else {
      std::vector<fs::path> clips;
      for (const auto& entry : fs::directory_iterator(options.negatives_dir)) clips.push_back(entry.path());
      std::sort(clips.begin(), clips.end());
      for (const auto& clip : clips) {
        const auto camera = fs::path(options.negative_cameras_dir) / (clip.stem().string() + ".camera.yaml");
        if (!fs::exists(camera)) {
          skipped_negatives.push_back(fmt::format("{} skipped: no camera config {}", clip.filename().string(), camera.string()));
          continue;
        }
        tasks.emplace_back([clip, camera] { return evaluate_negative(clip, camera); });
        names.push_back(clip.filename().string());
      }
    }
  }

  std::vector<ScenarioResult> results(tasks.size());
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> workers;
  for (int j = 0; j < std::max(1, options.jobs); ++j) {
    workers.emplace_back([&] {
      for (std::size_t i = next++; i < tasks.size(); i = next++) {
        try {
          results[i] = tasks[i]();
        } catch (const std::exception& error) {
          results[i].name = names[i];
          results[i].error = error.what();
        }
        spdlog::warn("evaluated {} ({}/{})", results[i].name, i + 1, tasks.size());
      }
    });
  }
  for (auto& worker : workers) worker.join();

  std::ostringstream table;
  table << "| scenario | video s | violations | alerts | TP | FP | FN | delay after due (s) |\n";
  table << "|---|---|---|---|---|---|---|---|\n";
  Totals totals;
  for (const auto& result : results) {
    if (!result.error.empty()) {
      table << fmt::format("| {} | | | | | | | ERROR: {} |\n", result.name, result.error);
      continue;
    }
    const auto alerts = std::count_if(result.detections.begin(), result.detections.end(),
                                      [](const EpisodeRecord& r) { return r.type == vision::EventType::parking; });
    table << fmt::format("| {}{} | {:.0f} | {} | {} | {} | {} | {} | {} |\n", result.negative_clip ? "real: " : "",
                         result.name, result.duration_s, result.violations.size(), alerts, result.true_positives,
                         result.false_positives, result.false_negatives, format_delays(result.delays));
    totals.add(result);
  }
  const int tp = totals.true_positives;
  const int fp = totals.false_positives;
  const int fn = totals.false_negatives;
  const auto& delays = totals.delays;
  const int negative_alerts = totals.real_alerts;
  const double negative_s = totals.real_s;
  const double library_negative_s = totals.quiet_s;
  const int library_negative_alerts = totals.quiet_alerts;
  const double precision = tp + fp > 0 ? static_cast<double>(tp) / (tp + fp) : 1.0;
  const double recall = tp + fn > 0 ? static_cast<double>(tp) / (tp + fn) : 1.0;
  const double max_delay = delays.empty() ? 0 : *std::max_element(delays.begin(), delays.end());
  std::ostringstream summary;
  summary << fmt::format("\nLibrary: {} violations, {} alerts matched (TP), {} false alerts (FP), {} missed (FN)\n",
                         tp + fn, tp, fp, fn);
  summary << fmt::format("- episode precision {:.3f} (goal >= 0.95), recall {:.3f} (goal >= 0.95)\n", precision, recall);
  summary << fmt::format("- alert delay after due: median {:.1f} s (goal <= 5), max {:.1f} s (goal <= 15)\n",
                         median(delays), max_delay);
  summary << fmt::format("- false alerts per camera-hour on the library's scenes without violations: {:.2f} "
                         "({} in {:.0f} s)\n",
                         library_negative_s > 0 ? library_negative_alerts * 3600.0 / library_negative_s : 0.0,
                         library_negative_alerts, library_negative_s);
  if (negative_s > 0) {
    summary << fmt::format("- real traffic clips: {} parking alert(s) in {:.0f} s = {:.2f} per camera-hour (goal 0)\n",
                           negative_alerts, negative_s, negative_alerts * 3600.0 / negative_s);
  }
  for (const auto& skipped : skipped_negatives) summary << "- " << skipped << "\n";
  write_report(table.str() + summary.str(), out, options.markdown_path);
  return 0;
}

}  // namespace gridwatch::edge
