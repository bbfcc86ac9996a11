#include "edge/evaluation.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "edge/evaluation_runner.hpp"
#include "edge/video_analysis.hpp"

namespace gridwatch::edge {
namespace {

namespace fs = std::filesystem;

struct TruthEpisode {
  std::string zone;
  double due_s = 0;
  std::optional<double> leave_s;
  std::optional<double> moving_s;  // the vehicle started to move off (null: it stays to the end)
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
  std::vector<double> end_delays;  // end_s - moving_s of matched detections whose vehicle moved off
  int false_ends = 0;    // matched episodes ended while their vehicle still stood
  int missing_ends = 0;  // matched episodes still open though their vehicle had moved off
  std::uint64_t vehicle_checks = 0;  // dnn confirmation calls
  std::string error;
};

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
      const auto& detection = result.detections[*best];
      result.delays.push_back(detection.start_s - truth.due_s);
      if (!truth.moving_s) {
        if (detection.end_s) ++result.false_ends;
      } else if (detection.end_s) {
        result.end_delays.push_back(*detection.end_s - *truth.moving_s);
      } else {
        ++result.missing_ends;
      }
    } else {
      ++result.false_negatives;
    }
  }
  for (std::size_t i = 0; i < result.detections.size(); ++i) {
    if (!used[i] && result.detections[i].type == vision::EventType::parking) ++result.false_positives;
  }
}

ScenarioResult evaluate_scenario(const EvaluationOptions& options, const ScenarioRun& run,
                                 const std::optional<vision::DnnSettings>& dnn) {
  ScenarioResult result;
  result.name = run.name;
  const auto rendered = render_scenario(options, run);
  const auto& video = rendered.video;
  const auto& truth = rendered.truth;
  const auto& camera_path = rendered.camera;
  result.duration_s = truth["video"]["duration_s"].get<double>();
  for (const auto& episode : truth["parking"]) {
    if (!episode["violation"].get<bool>()) continue;
    TruthEpisode violation;
    violation.zone = episode["zone"].get<std::string>();
    violation.due_s = episode["alert_due_s"].get<double>();
    if (!episode["leave_s"].is_null()) violation.leave_s = episode["leave_s"].get<double>();
    if (episode.contains("moving_again_s") && !episode["moving_again_s"].is_null()) {
      violation.moving_s = episode["moving_again_s"].get<double>();
    }
    result.violations.push_back(violation);
  }
  auto camera = load_camera_file(camera_path.string());
  if (dnn) camera.dnn = dnn;
  const auto stats =
      analyze_video(camera, video, [&](const EpisodeRecord& record) { result.detections.push_back(record); }, "",
                    options.phase_s);
  result.vehicle_checks = stats.vehicle_checks;
  match(result);
  return result;
}

ScenarioResult evaluate_negative(const fs::path& clip, const fs::path& camera_path,
                                 const std::optional<vision::DnnSettings>& dnn, double phase_s) {
  ScenarioResult result;
  result.name = clip.filename().string();
  result.negative_clip = true;
  auto camera = load_camera_file(camera_path.string());
  if (dnn) camera.dnn = dnn;
  const auto stats = analyze_video(
      camera, clip.string(), [&](const EpisodeRecord& record) { result.detections.push_back(record); }, "", phase_s);
  result.duration_s = stats.video_s;
  result.vehicle_checks = stats.vehicle_checks;
  match(result);
  return result;
}

struct Totals {
  int true_positives = 0;
  int false_positives = 0;
  int false_negatives = 0;
  std::vector<double> delays;
  std::vector<double> end_delays;
  int false_ends = 0;
  int missing_ends = 0;
  int real_alerts = 0;   // on real footage
  double real_s = 0;
  int quiet_alerts = 0;  // on library scenes without violations
  double quiet_s = 0;
  std::uint64_t vehicle_checks = 0;

  void add(const ScenarioResult& result) {
    vehicle_checks += result.vehicle_checks;
    if (result.negative_clip) {
      real_alerts += result.false_positives;
      real_s += result.duration_s;
      return;
    }
    true_positives += result.true_positives;
    false_positives += result.false_positives;
    false_negatives += result.false_negatives;
    delays.insert(delays.end(), result.delays.begin(), result.delays.end());
    end_delays.insert(end_delays.end(), result.end_delays.begin(), result.end_delays.end());
    false_ends += result.false_ends;
    missing_ends += result.missing_ends;
    if (result.violations.empty()) {
      quiet_s += result.duration_s;
      quiet_alerts += result.false_positives;
    }
  }
};

}  // namespace

void write_report(const std::string& report, std::ostream& out, const std::string& markdown_path) {
  out << report;
  if (markdown_path.empty()) return;
  std::ofstream markdown(markdown_path);
  markdown << report;
}

std::vector<std::uint64_t> parse_seed_list(const std::vector<std::string>& tokens) {
  const auto number = [](const std::string& token, const std::string& text) {
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || text.size() > 15) {
      throw std::invalid_argument(fmt::format("'{}' is neither a seed nor a FIRST-LAST range of seeds", token));
    }
    return static_cast<std::uint64_t>(std::stoull(text));
  };
  std::vector<std::uint64_t> seeds;
  for (const auto& token : tokens) {
    const auto dash = token.find('-');
    if (dash == std::string::npos) {
      if (seeds.size() >= kMaxSeeds) throw std::invalid_argument(fmt::format("'{}' makes more than {} seeds", token, kMaxSeeds));
      seeds.push_back(number(token, token));
      continue;
    }
    const auto first = number(token, token.substr(0, dash));
    const auto last = number(token, token.substr(dash + 1));
    if (first > last) throw std::invalid_argument(fmt::format("'{}' runs backwards (FIRST must be at most LAST)", token));
    // Checked before the range is spelt out: a slipped digit must not
    // fill the memory.
    if (last - first >= kMaxSeeds - seeds.size()) {
      throw std::invalid_argument(fmt::format("'{}' makes more than {} seeds", token, kMaxSeeds));
    }
    for (auto seed = first; seed <= last; ++seed) seeds.push_back(seed);
  }
  // A seed named twice (1-60 and 33) is run once: two runs of it would
  // render into the same folder at the same time.
  std::vector<std::uint64_t> once;
  for (const auto seed : seeds) {
    if (std::find(once.begin(), once.end(), seed) == once.end()) once.push_back(seed);
  }
  return once;
}

std::vector<ScenarioRun> scenario_runs(const EvaluationOptions& options) {
  std::vector<ScenarioRun> runs;
  for (const auto& scenario : scenario_files(options.scenario_dir, options.only)) {
    const auto name = scenario.stem().string();
    if (options.seeds.empty()) {
      runs.push_back({scenario, std::nullopt, name});
      continue;
    }
    for (const auto seed : options.seeds) runs.push_back({scenario, seed, fmt::format("{} seed {}", name, seed)});
  }
  return runs;
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
  // Read before any video, so a broken file stops the run at once with
  // its file:line.
  std::optional<vision::DnnSettings> dnn;
  if (!options.dnn_path.empty()) dnn = load_dnn_file(options.dnn_path);
  std::vector<std::pair<std::string, std::function<ScenarioResult()>>> tasks;
  for (const auto& run : scenario_runs(options)) {
    tasks.emplace_back(run.name, [&options, &dnn, run] { return evaluate_scenario(options, run, dnn); });
  }

  std::vector<std::string> skipped_negatives;
  if (with_real_clips(options, skipped_negatives)) {
    for (const auto& [clip, camera] : real_clips(options.negatives_dir, options.negative_cameras_dir, skipped_negatives)) {
      tasks.emplace_back(clip.filename().string(),
                         [&dnn, clip = clip, camera = camera, phase_s = options.phase_s] {
                           return evaluate_negative(clip, camera, dnn, phase_s);
                         });
    }
  }

  const auto results = run_tasks(tasks, options.jobs);

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
  // Not a goal of the issue, but what staff see: an episode that ends
  // while the vehicle stands tells them it has gone.
  const double max_end_delay =
      totals.end_delays.empty() ? 0 : *std::max_element(totals.end_delays.begin(), totals.end_delays.end());
  summary << fmt::format("- episode ends: {} after the vehicle moved off (median {:.1f} s, max {:.1f} s later), "
                         "{} still open though it had, {} ended while it still stood\n",
                         totals.end_delays.size(), median(totals.end_delays), max_end_delay, totals.missing_ends,
                         totals.false_ends);
  summary << fmt::format("- false alerts per camera-hour on the library's scenes without violations: {:.2f} "
                         "({} in {:.0f} s)\n",
                         library_negative_s > 0 ? library_negative_alerts * 3600.0 / library_negative_s : 0.0,
                         library_negative_alerts, library_negative_s);
  if (negative_s > 0) {
    summary << fmt::format("- real traffic clips: {} parking alert(s) in {:.0f} s = {:.2f} per camera-hour (goal 0)\n",
                           negative_alerts, negative_s, negative_alerts * 3600.0 / negative_s);
  }
  if (dnn) {
    summary << fmt::format("- dnn confirmation ({}): {} call(s) over the run\n", dnn->model, totals.vehicle_checks);
  }
  for (const auto& skipped : skipped_negatives) summary << "- " << skipped << "\n";
  write_report(table.str() + summary.str(), out, options.markdown_path);
  return 0;
}

namespace {

struct SmokeTruth {
  double onset_s = 0;
  double end_s = 0;
  std::array<double, 4> region{0, 0, 1, 1};
};

enum class ClipKind { library, real_positive, real_negative };

struct SmokeResult {
  std::string name;
  ClipKind kind = ClipKind::library;
  double duration_s = 0;
  std::vector<SmokeTruth> plumes;
  std::vector<EpisodeRecord> detections;  // smoke only
  int true_positives = 0;
  int false_positives = 0;
  int false_negatives = 0;
  std::vector<double> delays;  // start_s - visible onset of matched detections
  std::string error;
};

/// The visible smoke plumes of a truth file (the simulator's format; the
/// real clip's fixture uses the same keys).
std::vector<SmokeTruth> smoke_truth(const nlohmann::json& truth, double duration_s) {
  std::vector<SmokeTruth> plumes;
  if (!truth.contains("smoke")) return plumes;
  for (const auto& plume : truth["smoke"]) {
    if (plume["visible_onset_s"].is_null()) continue;  // never visible: nothing to detect
    SmokeTruth item;
    item.onset_s = plume["visible_onset_s"].get<double>();
    item.end_s = plume["end_s"].is_null() ? duration_s : plume["end_s"].get<double>();
    for (std::size_t i = 0; i < 4; ++i) item.region[i] = plume["region"][i].get<double>();
    plumes.push_back(item);
  }
  return plumes;
}

bool overlaps(const std::array<double, 4>& a, const std::array<double, 4>& b) {
  return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
}

void match_smoke(SmokeResult& result) {
  std::vector<bool> used(result.detections.size(), false);
  for (const auto& plume : result.plumes) {
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < result.detections.size(); ++i) {
      const auto& detection = result.detections[i];
      if (used[i] || !overlaps(detection.box, plume.region)) continue;
      if (detection.start_s < plume.onset_s - kSmokeEarlyToleranceS || detection.start_s > plume.end_s + 1.0) continue;
      if (!best || detection.start_s < result.detections[*best].start_s) best = i;
    }
    if (best) {
      used[*best] = true;
      ++result.true_positives;
      result.delays.push_back(result.detections[*best].start_s - plume.onset_s);
    } else {
      ++result.false_negatives;
    }
  }
  for (std::size_t i = 0; i < result.detections.size(); ++i) {
    if (!used[i]) ++result.false_positives;
  }
}

SmokeResult analyse_smoke(const std::string& name, ClipKind kind, const fs::path& camera_path, const std::string& video,
                          const std::optional<nlohmann::json>& truth, double phase_s) {
  SmokeResult result;
  result.name = name;
  result.kind = kind;
  auto clip = analyse_clip(camera_path, video, vision::EventType::smoke, phase_s);
  result.detections = std::move(clip.episodes);
  result.duration_s = clip.duration_s;
  if (truth) result.plumes = smoke_truth(*truth, result.duration_s);
  match_smoke(result);
  return result;
}

std::string format_boxes(const SmokeResult& result) {
  std::vector<std::string> parts;
  for (const auto& detection : result.detections) {
    parts.push_back(fmt::format("{:.1f} s [{:.2f}, {:.2f}, {:.2f}, {:.2f}]", detection.start_s, detection.box[0],
                                detection.box[1], detection.box[2], detection.box[3]));
  }
  return parts.empty() ? "-" : fmt::format("{}", fmt::join(parts, "; "));
}

}  // namespace

int run_smoke_evaluation(const EvaluationOptions& options, std::ostream& out) {
  fs::create_directories(options.cache_dir);
  std::vector<std::pair<std::string, std::function<SmokeResult()>>> tasks;
  for (const auto& run : scenario_runs(options)) {
    tasks.emplace_back(run.name, [&options, run] {
      const auto rendered = render_scenario(options, run);
      return analyse_smoke(run.name, ClipKind::library, rendered.camera, rendered.video, rendered.truth, options.phase_s);
    });
  }
  std::vector<std::string> skipped;
  if (with_real_clips(options, skipped)) {
    for (const auto& [clip, camera] : real_clips(options.smoke_clips_dir, options.smoke_fixtures_dir, skipped)) {
      const auto truth_path = fs::path(options.smoke_fixtures_dir) / (clip.stem().string() + ".truth.json");
      tasks.emplace_back(clip.filename().string(), [clip = clip, camera = camera, truth_path, phase_s = options.phase_s] {
        std::ifstream truth_file(truth_path);
        auto truth = nlohmann::json::parse(truth_file, nullptr, false);
        if (truth.is_discarded()) throw std::runtime_error(fmt::format("unreadable truth {}", truth_path.string()));
        return analyse_smoke(clip.filename().string(), ClipKind::real_positive, camera, clip.string(), truth, phase_s);
      });
    }
    for (const auto& [clip, camera] : real_clips(options.negatives_dir, options.negative_cameras_dir, skipped)) {
      tasks.emplace_back(clip.filename().string(), [clip = clip, camera = camera, phase_s = options.phase_s] {
        return analyse_smoke(clip.filename().string(), ClipKind::real_negative, camera, clip.string(), std::nullopt,
                             phase_s);
      });
    }
  }
  const auto results = run_tasks(tasks, options.jobs);

  std::ostringstream table;
  table << "| clip | video s | plumes | alerts | TP | FP | FN | detected after visible onset (s) | alerts: start, box |\n";
  table << "|---|---|---|---|---|---|---|---|---|\n";
  int tp = 0;
  int fn = 0;
  int library_fp = 0;
  double library_s = 0;
  double library_clean_s = 0;  // library scenes without smoke
  int library_clean_fp = 0;
  int real_fp = 0;
  double real_negative_s = 0;
  std::vector<double> delays;
  std::vector<std::string> real_positive_lines;
  for (const auto& result : results) {
    if (!result.error.empty()) {
      table << fmt::format("| {} | | | | | | | ERROR: {} | |\n", result.name, result.error);
      continue;
    }
    const char* prefix = result.kind == ClipKind::library ? "" : "real: ";
    table << fmt::format("| {}{} | {:.0f} | {} | {} | {} | {} | {} | {} | {} |\n", prefix, result.name, result.duration_s,
                         result.plumes.size(), result.detections.size(), result.true_positives, result.false_positives,
                         result.false_negatives, format_delays(result.delays), format_boxes(result));
    switch (result.kind) {
      case ClipKind::library:
        tp += result.true_positives;
        fn += result.false_negatives;
        library_fp += result.false_positives;
        library_s += result.duration_s;
        delays.insert(delays.end(), result.delays.begin(), result.delays.end());
        if (result.plumes.empty()) {
          library_clean_s += result.duration_s;
          library_clean_fp += result.false_positives;
        }
        break;
      case ClipKind::real_positive: {
        const bool in_time = result.true_positives == 1 && result.delays.front() <= kSmokeDetectGoalS;
        real_positive_lines.push_back(fmt::format(
            "- real positive {}: {} (goal: detected <= {:.0f} s after onset){}; {} other alert(s)\n", result.name,
            result.true_positives > 0 ? fmt::format("detected {:+.1f} s after the visible onset", result.delays.front())
                                      : std::string("NOT detected"),
            kSmokeDetectGoalS, in_time ? "" : " - goal NOT met", result.false_positives));
        break;
      }
      case ClipKind::real_negative:
        real_fp += result.false_positives;
        real_negative_s += result.duration_s;
        break;
    }
  }
  const double recall = tp + fn > 0 ? static_cast<double>(tp) / (tp + fn) : 1.0;
  const auto within = std::count_if(delays.begin(), delays.end(), [](double d) { return d <= kSmokeDetectGoalS; });
  const double max_delay = delays.empty() ? 0 : *std::max_element(delays.begin(), delays.end());
  std::ostringstream summary;
  summary << fmt::format("\nLibrary: {} visible plumes, {} detected (TP), {} missed (FN), {} false alerts (FP) in {:.0f} s\n",
                         tp + fn, tp, fn, library_fp, library_s);
  summary << fmt::format("- recall {:.3f} (goal >= 0.9); {} of {} plumes detected <= {:.0f} s after the visible onset "
                         "(goal: all)\n",
                         recall, within, tp + fn, kSmokeDetectGoalS);
  summary << fmt::format("- time to detect after the visible onset: median {:.1f} s, max {:.1f} s\n", median(delays),
                         max_delay);
  summary << fmt::format("- false alerts per camera-hour: {:.2f} over the whole library ({} in {:.0f} s), {:.2f} on its "
                         "scenes without smoke ({} in {:.0f} s)\n",
                         library_s > 0 ? library_fp * 3600.0 / library_s : 0.0, library_fp, library_s,
                         library_clean_s > 0 ? library_clean_fp * 3600.0 / library_clean_s : 0.0, library_clean_fp,
                         library_clean_s);
  for (const auto& line : real_positive_lines) summary << line;
  if (real_negative_s > 0) {
    summary << fmt::format("- real negatives: {} smoke alert(s) in {:.0f} s = {:.2f} per camera-hour (goal 0)\n", real_fp,
                           real_negative_s, real_fp * 3600.0 / real_negative_s);
  }
  for (const auto& line : skipped) summary << "- " << line << "\n";
  out << table.str() << summary.str();
  if (!options.markdown_path.empty()) {
    std::ofstream markdown(options.markdown_path);
    markdown << table.str() << summary.str();
  }
  return 0;
}


}  // namespace gridwatch::edge
