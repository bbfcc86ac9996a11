// `gridwatch-edge evaluate tamper` (see evaluation.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <sstream>

#include "edge/evaluation.hpp"
#include "edge/evaluation_runner.hpp"

namespace gridwatch::edge {
namespace {

namespace fs = std::filesystem;

struct TamperTruth {
  std::string fault;  // the detector's name for it: covered, defocus, moved, frozen
  double start_s = 0;
  double end_s = 0;   // the end of the video when it lasts to the end
  bool open = false;  // lasts to the end of the video
};

struct TamperResult {
  std::string name;
  bool real_clip = false;
  double duration_s = 0;
  std::vector<TamperTruth> events;
  std::vector<EpisodeRecord> alerts;  // tamper only
  int true_positives = 0;
  int false_positives = 0;
  int false_negatives = 0;
  int right_fault = 0;                // matched alerts that name the fault the truth has
  std::vector<double> delays;         // alert start - event start
  std::vector<double> end_delays;     // alert end - event end, for events that end
  std::string error;
};

/// The simulator turns the camera ("turned"); the detector sees the view moved.
std::string detector_fault_name(const std::string& simulator_kind) {
  return simulator_kind == "turned" ? "moved" : simulator_kind;
}

std::vector<TamperTruth> tamper_truth(const nlohmann::json& truth, double duration_s) {
  std::vector<TamperTruth> events;
  if (!truth.contains("tamper")) return events;
  for (const auto& item : truth["tamper"]) {
    TamperTruth event;
    event.fault = detector_fault_name(item["kind"].get<std::string>());
    event.start_s = item["start_s"].get<double>();
    event.open = item["end_s"].is_null();
    event.end_s = event.open ? duration_s : item["end_s"].get<double>();
    events.push_back(event);
  }
  return events;
}

/// Each event takes the earliest free alert that starts within it (the one
/// naming its fault when two start together); everything else is false.
void match_tamper(TamperResult& result) {
  std::vector<bool> used(result.alerts.size(), false);
  for (const auto& event : result.events) {
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < result.alerts.size(); ++i) {
      const auto& alert = result.alerts[i];
      if (used[i] || alert.start_s < event.start_s - kTamperEarlyToleranceS || alert.start_s > event.end_s + 1.0) continue;
      const auto& current = result.alerts[best.value_or(i)];
      const bool earlier = alert.start_s < current.start_s - 1e-6;
      const bool same_time_right_fault = std::abs(alert.start_s - current.start_s) <= 1e-6 && alert.fault == event.fault;
      if (!best || earlier || same_time_right_fault) best = i;
    }
    if (!best) {
      ++result.false_negatives;
      continue;
    }
    used[*best] = true;
    const auto& alert = result.alerts[*best];
    ++result.true_positives;
    if (alert.fault == event.fault) ++result.right_fault;
    result.delays.push_back(alert.start_s - event.start_s);
    if (!event.open && alert.end_s) result.end_delays.push_back(*alert.end_s - event.end_s);
  }
  result.false_positives = static_cast<int>(std::count(used.begin(), used.end(), false));
}

TamperResult analyse_tamper(const std::string& name, bool real_clip, const fs::path& camera_path, const std::string& video,
                            const std::optional<nlohmann::json>& truth, double phase_s) {
  TamperResult result;
  result.name = name;
  result.real_clip = real_clip;
  auto clip = analyse_clip(camera_path, video, vision::EventType::tamper, phase_s);
  result.alerts = std::move(clip.episodes);
  std::sort(result.alerts.begin(), result.alerts.end(),
            [](const EpisodeRecord& a, const EpisodeRecord& b) { return a.start_s < b.start_s; });
  result.duration_s = clip.duration_s;
  if (truth) result.events = tamper_truth(*truth, result.duration_s);
  match_tamper(result);
  return result;
}

std::string format_truth(const TamperResult& result) {
  std::vector<std::string> parts;
  for (const auto& event : result.events) {
    parts.push_back(event.open ? fmt::format("{} {:.1f}-end", event.fault, event.start_s)
                               : fmt::format("{} {:.1f}-{:.1f}", event.fault, event.start_s, event.end_s));
  }
  return parts.empty() ? "-" : fmt::format("{}", fmt::join(parts, ", "));
}

std::string format_alerts(const TamperResult& result) {
  std::vector<std::string> parts;
  for (const auto& alert : result.alerts) {
    parts.push_back(alert.end_s ? fmt::format("{} {:.1f}-{:.1f}", alert.fault, alert.start_s, *alert.end_s)
                                : fmt::format("{} {:.1f}-open", alert.fault, alert.start_s));
  }
  return parts.empty() ? "-" : fmt::format("{}", fmt::join(parts, ", "));
}

std::string per_hour(int alarms, double seconds) {
  return fmt::format("{:.2f} ({} in {:.0f} s)", seconds > 0 ? alarms * 3600.0 / seconds : 0.0, alarms, seconds);
}

}  // namespace

int run_tamper_evaluation(const EvaluationOptions& options, std::ostream& out) {
  fs::create_directories(options.cache_dir);
  std::vector<std::pair<std::string, std::function<TamperResult()>>> tasks;
  for (const auto& run : scenario_runs(options)) {
    tasks.emplace_back(run.name, [&options, run] {
      const auto rendered = render_scenario(options, run);
      return analyse_tamper(run.name, false, rendered.camera, rendered.video, rendered.truth, options.phase_s);
    });
  }
  std::vector<std::string> skipped;
  if (with_real_clips(options, skipped)) {
    for (const auto& [clip, camera] : real_clips(options.negatives_dir, options.negative_cameras_dir, skipped)) {
      tasks.emplace_back(clip.filename().string(), [clip = clip, camera = camera, phase_s = options.phase_s] {
        return analyse_tamper(clip.filename().string(), true, camera, clip.string(), std::nullopt, phase_s);
      });
    }
  }
  const auto results = run_tasks(tasks, options.jobs);

  std::ostringstream table;
  table << "| clip | video s | tamper (truth) | alerts (fault start-end) | TP | FP | FN | alert after onset (s) | "
           "end after truth end (s) |\n";
  table << "|---|---|---|---|---|---|---|---|---|\n";
  int tp = 0;
  int fp = 0;
  int fn = 0;
  int right_fault = 0;
  std::vector<double> delays;
  std::vector<double> end_delays;
  int quiet_fp = 0;  // library scenes without tamper
  double quiet_s = 0;
  int real_fp = 0;
  double real_s = 0;
  for (const auto& result : results) {
    if (!result.error.empty()) {
      table << fmt::format("| {} | | | | | | | ERROR: {} | |\n", result.name, result.error);
      continue;
    }
    table << fmt::format("| {}{} | {:.0f} | {} | {} | {} | {} | {} | {} | {} |\n", result.real_clip ? "real: " : "",
                         result.name, result.duration_s, format_truth(result), format_alerts(result),
                         result.true_positives, result.false_positives, result.false_negatives,
                         format_delays(result.delays), format_delays(result.end_delays));
    if (result.real_clip) {
      real_fp += result.false_positives;
      real_s += result.duration_s;
      continue;
    }
    tp += result.true_positives;
    fp += result.false_positives;
    fn += result.false_negatives;
    right_fault += result.right_fault;
    delays.insert(delays.end(), result.delays.begin(), result.delays.end());
    end_delays.insert(end_delays.end(), result.end_delays.begin(), result.end_delays.end());
    if (result.events.empty()) {
      quiet_fp += result.false_positives;
      quiet_s += result.duration_s;
    }
  }
  const double precision = tp + fp > 0 ? static_cast<double>(tp) / (tp + fp) : 1.0;
  const double recall = tp + fn > 0 ? static_cast<double>(tp) / (tp + fn) : 1.0;
  std::ostringstream summary;
  summary << fmt::format("\nLibrary: {} tamper events, {} alerted (TP), {} missed (FN), {} false alerts (FP)\n", tp + fn,
                         tp, fn, fp);
  summary << fmt::format("- precision {:.3f}, recall {:.3f}; {} of {} alerts name the right fault\n", precision, recall,
                         right_fault, tp);
  summary << fmt::format("- time to alert after onset: median {:.1f} s, max {:.1f} s\n", median(delays),
                         delays.empty() ? 0.0 : *std::max_element(delays.begin(), delays.end()));
  if (!end_delays.empty()) {
    summary << fmt::format("- alert ended after the fault ended: median {:.1f} s, max {:.1f} s\n", median(end_delays),
                           *std::max_element(end_delays.begin(), end_delays.end()));
  }
  summary << "- false tamper alerts per camera-hour on the library's scenes without tamper: " << per_hour(quiet_fp, quiet_s)
          << "\n";
  if (real_s > 0) summary << "- false tamper alerts per camera-hour on the real clips: " << per_hour(real_fp, real_s) << "\n";
  for (const auto& line : skipped) summary << "- " << line << "\n";
  write_report(table.str() + summary.str(), out, options.markdown_path);
  return 0;
}

}  // namespace gridwatch::edge
