#include "edge/evaluation_runner.hpp"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <optional>
#include <stdexcept>

extern char** environ;

namespace gridwatch::edge {
namespace {

namespace fs = std::filesystem;

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

}  // namespace

RenderedScenario render_scenario(const EvaluationOptions& options, const ScenarioRun& run) {
  const auto name = run.scenario.stem().string();
  const auto folder = run.seed ? (fs::path(options.cache_dir) / fmt::format("seed-{}", *run.seed)).string() : options.cache_dir;
  auto video = cached_video(folder, name);
  const auto truth_path = fs::path(folder) / (name + ".truth.json");
  const auto camera_path = fs::path(folder) / (name + ".camera.yaml");
  if (!video || !fs::exists(truth_path) || !fs::exists(camera_path)) {
    spdlog::warn("rendering {} into {}", run.name, folder);
    fs::create_directories(folder);
    std::vector<std::string> command{options.sim_binary, "camera", "--scenario", run.scenario.string(), "--out", folder,
                                     "--format", "avi"};
    if (run.seed) {
      command.emplace_back("--seed");
      command.push_back(std::to_string(*run.seed));
    }
    const int code = run_process(command);
    video = cached_video(folder, name);
    if (code != 0 || !video) throw std::runtime_error(fmt::format("rendering failed (exit {})", code));
  }
  std::ifstream truth_file(truth_path);
  auto truth = nlohmann::json::parse(truth_file, nullptr, false);
  if (truth.is_discarded()) throw std::runtime_error(fmt::format("unreadable truth {}", truth_path.string()));
  return {*video, std::move(truth), camera_path};
}

bool with_real_clips(const EvaluationOptions& options, std::vector<std::string>& skipped) {
  if (!options.seeds.empty()) {
    skipped.emplace_back("real clips skipped: --seeds re-renders the library only");
    return false;
  }
  return options.only.empty();
}

std::vector<std::pair<fs::path, fs::path>> real_clips(const std::string& dir, const std::string& fixtures,
                                                      std::vector<std::string>& skipped) {
  std::vector<std::pair<fs::path, fs::path>> out;
  if (!fs::is_directory(dir)) {
    skipped.push_back(fmt::format("real clips skipped: {} not found", dir));
    return out;
  }
  std::vector<fs::path> clips;
  for (const auto& entry : fs::directory_iterator(dir)) clips.push_back(entry.path());
  std::sort(clips.begin(), clips.end());
  for (const auto& clip : clips) {
    const auto camera = fs::path(fixtures) / (clip.stem().string() + ".camera.yaml");
    if (!fs::exists(camera)) {
      skipped.push_back(fmt::format("{} skipped: no camera config {}", clip.filename().string(), camera.string()));
      continue;
    }
    out.emplace_back(clip, camera);
  }
  return out;
}

ClipEpisodes analyse_clip(const fs::path& camera_path, const std::string& video, vision::EventType type,
                          double first_s) {
  ClipEpisodes clip;
  const auto camera = load_camera_file(camera_path.string());
  const auto stats = analyze_video(
      camera, video, [&](const EpisodeRecord& record) {
        if (record.type == type) clip.episodes.push_back(record);
      },
      "", first_s);
  clip.duration_s = stats.video_s;
  return clip;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string format_delays(const std::vector<double>& delays) {
  if (delays.empty()) return "-";
  std::vector<std::string> parts;
  for (double delay : delays) parts.push_back(fmt::format("{:+.1f}", delay));
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace gridwatch::edge
