#pragma once
// What the video `evaluate` commands (parking, smoke, tamper) share: the
// scenario library rendered into a cache by gridwatch-sim, the real clips
// that have a camera config, and the videos analysed on a few threads.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "edge/evaluation.hpp"
#include "edge/video_analysis.hpp"

namespace gridwatch::edge {

/// A rendered scenario in the cache: video, truth and camera file.
struct RenderedScenario {
  std::string video;
  nlohmann::json truth;
  std::filesystem::path camera;
};

/// Renders the run's scenario into `options.cache_dir` (with a seed of
/// its own: into `seed-<N>/` there) unless it is there already; throws
/// std::runtime_error when rendering fails or the truth is unreadable.
RenderedScenario render_scenario(const EvaluationOptions& options, const ScenarioRun& run);

/// Whether the real clips are evaluated too: only when the whole library
/// runs with its own seeds. With --seeds, says so in `skipped`.
bool with_real_clips(const EvaluationOptions& options, std::vector<std::string>& skipped);

/// The clips in `dir` that have a camera config `<stem>.camera.yaml` in
/// `fixtures`, sorted; what is missing is explained in `skipped`.
std::vector<std::pair<std::filesystem::path, std::filesystem::path>> real_clips(const std::string& dir,
                                                                                const std::string& fixtures,
                                                                                std::vector<std::string>& skipped);

/// The episodes of one type that `analyze` reports for a video with a
/// camera file, in the order they end, and the video's length.
struct ClipEpisodes {
  std::vector<EpisodeRecord> episodes;
  double duration_s = 0;
};
/// `first_s`: see analyze_video().
ClipEpisodes analyse_clip(const std::filesystem::path& camera_path, const std::string& video, vision::EventType type,
                          double first_s);

double median(std::vector<double> values);

/// "+1.0, -0.4", or "-" when there are none.
std::string format_delays(const std::vector<double>& delays);

/// Runs the tasks on `jobs` threads; a task that throws gives a result
/// with its name and the error. Result needs `name` and `error` strings.
template <typename Result>
std::vector<Result> run_tasks(const std::vector<std::pair<std::string, std::function<Result()>>>& tasks, int jobs) {
  std::vector<Result> results(tasks.size());
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> workers;
  for (int j = 0; j < std::max(1, jobs); ++j) {
    workers.emplace_back([&] {
      for (std::size_t i = next++; i < tasks.size(); i = next++) {
        try {
          results[i] = tasks[i].second();
        } catch (const std::exception& error) {
          results[i].name = tasks[i].first;
          results[i].error = error.what();
        }
        spdlog::warn("evaluated {} ({}/{})", results[i].name, i + 1, tasks.size());
      }
    });
  }
  for (auto& worker : workers) worker.join();
  return results;
}

}  // namespace gridwatch::edge
