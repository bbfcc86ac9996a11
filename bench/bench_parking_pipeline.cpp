// bench_parking_pipeline: the camera pipeline (decode, then the parking,
// tamper and smoke analysis at the default 5 fps / 320 px) on a 1280x720
// H.264 file, against decode-only of the same file in the same run (whole
// rounds one after the other, and the two in lockstep, taking turns); the
// smoke detector's added cost per analysed frame (the pipeline with smoke
// off against on, same run); then the CPU cost of a 1080p camera at
// 10 fps (how many one core sustains) and the memory each camera adds. OpenCV runs on one thread; FFmpeg may
// decode on several, so every figure is process CPU time (all threads),
// which is what "per core" needs. The videos are rendered once by gridwatch-sim
// (a kerb-zone scene with a car that overstays) and reused from --dir.
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "bench/bench_camera.hpp"
#include "bench/bench_support.hpp"
#include "bench/frame_file.hpp"
#include "edge/vision/camera_analyzer.hpp"

extern char** environ;

using namespace gridwatch;
using namespace gridwatch::edge;
namespace fs = std::filesystem;

namespace {

double wall_seconds() { return static_cast<double>(bench::monotonic_ns()) * 1e-9; }

int run_process(std::vector<std::string> argv) {
  std::vector<char*> args;
  for (auto& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// Renders the scene at a size into `dir` unless already there.
std::string ensure_video(const std::string& sim, const std::string& dir, int width, int height, double duration_s) {
  const auto name = fmt::format("bench_{}x{}_{:.0f}s", width, height, duration_s);
  const auto out_dir = fs::path(dir) / name;
  const auto video = out_dir / "parking_clear_violation.mp4";
  if (fs::exists(video)) return video.string();
  fs::create_directories(out_dir);
  const auto scenario = fs::path(GRIDWATCH_SOURCE_DIR) / "simulators/scenarios/parking_clear_violation.yaml";
  const int code = run_process({sim, "camera", "--scenario", scenario.string(), "--out", out_dir.string(), "--format",
                                "mp4", "--width", std::to_string(width), "--height", std::to_string(height),
                                "--duration-s", fmt::format("{}", duration_s)});
  if (code != 0 || !fs::exists(video)) throw std::runtime_error("gridwatch-sim could not render " + video.string());
  return video.string();
}

cv::VideoCapture open_video(const std::string& path) {
  cv::VideoCapture capture(path, cv::CAP_FFMPEG);
  if (!capture.isOpened()) throw std::runtime_error("cannot open " + path);
  return capture;
}

/// A camera on the live path: every frame is decoded (grab), and only the
/// frames the analysis rate wants are converted (retrieve) and handed on
/// with their video time. One place for that loop, so the pipeline, the
/// lockstep turns and the frame dump analyse the same frames.
class LiveCamera {
 public:
  explicit LiveCamera(const std::string& path) : capture_(open_video(path)), fps_(capture_.get(cv::CAP_PROP_FPS)) {}

  /// Decodes one frame; calls `on_wanted(frame, t_s)` when `analyzer`
  /// wants it. False at the end of the file.
  template <typename OnWanted>
  bool next(const vision::CameraAnalyzer& analyzer, OnWanted&& on_wanted) {
    if (!capture_.grab()) return false;
    const double t_s = static_cast<double>(frames_) / fps_;
    ++frames_;
    if (analyzer.wants(t_s) && capture_.retrieve(frame_)) on_wanted(static_cast<const cv::Mat&>(frame_), t_s);
    return true;
  }

  double fps() const { return fps_; }
  std::uint64_t frames() const { return frames_; }

 private:
  cv::VideoCapture capture_;
  double fps_;
  std::uint64_t frames_ = 0;
  cv::Mat frame_;
};

struct Cost {
  double cpu_s = 0;
  double wall_s = 0;
  double video_s = 0;
  std::uint64_t frames = 0;
  std::uint64_t analysed = 0;
  std::uint64_t events = 0;
  double analysis_cpu_s = 0;  // this thread's CPU time inside CameraAnalyzer::process
};

Cost decode_only(const std::string& path) {
  auto capture = open_video(path);
  const double fps = capture.get(cv::CAP_PROP_FPS);
  Cost cost;
  const double cpu0 = bench::process_cpu_seconds();
  const double wall0 = wall_seconds();
  cv::Mat frame;
  while (capture.read(frame)) ++cost.frames;
  cost.cpu_s = bench::process_cpu_seconds() - cpu0;
  cost.wall_s = wall_seconds() - wall0;
  cost.video_s = static_cast<double>(cost.frames) / fps;
  return cost;
}

/// The live path: every frame is decoded (grab), only frames the analysis
/// rate wants are converted (retrieve) and analysed.
Cost pipeline(const std::string& path, bool smoke = true) {
  LiveCamera camera(path);
  vision::CameraAnalyzer analyzer(bench::bench_camera(smoke));
  Cost cost;
  const double cpu0 = bench::process_cpu_seconds();
  const double wall0 = wall_seconds();
  const auto analyse = [&](const cv::Mat& frame, double t_s) {
    ++cost.analysed;
    const double analysis0 = bench::thread_cpu_seconds();
    cost.events += analyzer.process(frame, t_s).size();
    cost.analysis_cpu_s += bench::thread_cpu_seconds() - analysis0;
  };
  while (camera.next(analyzer, analyse)) {
  }
  cost.cpu_s = bench::process_cpu_seconds() - cpu0;
  cost.wall_s = wall_seconds() - wall0;
  cost.frames = camera.frames();
  cost.video_s = static_cast<double>(cost.frames) / camera.fps();
  return cost;
}

/// Decode-only and the full pipeline in lockstep: two captures of the same
/// file, taking turns every `stretch` frames, each turn timed on the
/// process CPU clock. Whole rounds a few seconds apart each catch the VM's
/// slow spells (other guests, clock changes) on one side only: on the
/// 2-core development VM one binary's round ratios went from 1.21 to 1.51
/// within minutes. Taking turns (default every 10 s of video, --turn-s)
/// puts such a spell on both sides alike. FFmpeg decodes on worker threads
/// a frame or two ahead, so the end of one side's decoding runs into the
/// other side's turn; both decode the same stream the same way, so that
/// leak is the same both ways (--lockstep-check 1 measures it). Shorter
/// turns cost the pipeline more than decode-only: each turn of the other
/// side evicts the analysis' state from the caches as well as the
/// decoder's. Turns of 1 s read 0.03-0.04 higher than turns of 10-20 s
/// and than whole rounds (docs/benchmarks.md, 2026-12-05 evening), a cost
/// no camera pays when it runs alone.
struct Lockstep {
  double decode_cpu_s = 0;
  double pipeline_cpu_s = 0;
  std::uint64_t frames = 0;
  std::uint64_t analysed = 0;
};

/// Runs `first` and `second` (each does one frame, false at the end of the
/// file) in turns of `stretch` frames until both are done; returns the
/// process CPU seconds each side took.
template <typename First, typename Second>
std::pair<double, double> take_turns(int stretch, First&& first, Second&& second) {
  double first_cpu_s = 0;
  double second_cpu_s = 0;
  bool first_going = true;
  bool second_going = true;
  while (first_going || second_going) {
    double cpu0 = bench::process_cpu_seconds();
    for (int i = 0; i < stretch && first_going; ++i) first_going = first();
    first_cpu_s += bench::process_cpu_seconds() - cpu0;
    cpu0 = bench::process_cpu_seconds();
    for (int i = 0; i < stretch && second_going; ++i) second_going = second();
    second_cpu_s += bench::process_cpu_seconds() - cpu0;
  }
  return {first_cpu_s, second_cpu_s};
}

int frames_per_turn(double fps, double turn_s) { return std::max(1, static_cast<int>(std::lround(fps * turn_s))); }

Lockstep lockstep(const std::string& path, double turn_s) {
  auto decoder = open_video(path);
  LiveCamera camera(path);
  vision::CameraAnalyzer analyzer(bench::bench_camera());
  Lockstep out;
  const auto analyse = [&](const cv::Mat& frame, double t_s) {
    ++out.analysed;
    analyzer.process(frame, t_s);
  };
  cv::Mat decoded;
  std::tie(out.decode_cpu_s, out.pipeline_cpu_s) =
      take_turns(frames_per_turn(camera.fps(), turn_s), [&] { return decoder.read(decoded); },
                 [&] { return camera.next(analyzer, analyse); });
  out.frames = camera.frames();
  return out;
}

/// The method's own check (--lockstep-check 1): decode-only against
/// decode-only, same turns. Equal work should read 1.0; what it reads
/// instead is the method's bias at this turn length.
double lockstep_check(const std::string& path, double turn_s) {
  auto first = open_video(path);
  auto second = open_video(path);
  cv::Mat first_frame;
  cv::Mat second_frame;
  const auto [first_cpu_s, second_cpu_s] =
      take_turns(frames_per_turn(first.get(cv::CAP_PROP_FPS), turn_s), [&] { return first.read(first_frame); },
                 [&] { return second.read(second_frame); });
  return second_cpu_s / first_cpu_s;
}

/// Writes the frames the pipeline analyses, with their video times, for
/// bench_analysis_replay. Returns how many.
std::uint64_t dump_frames(const std::string& video, const std::string& path) {
  LiveCamera camera(video);
  vision::CameraAnalyzer analyzer(bench::bench_camera());
  bench::FrameFileWriter out(path);
  std::uint64_t written = 0;
  const auto keep = [&](const cv::Mat& frame, double t_s) {
    analyzer.process(frame, t_s);  // keeps the analysis rate's cadence
    out.write(frame, t_s);
    ++written;
  };
  while (camera.next(analyzer, keep)) {
  }
  return written;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string self = argv[0];
    const auto bin_dir = self.substr(0, self.rfind('/') + 1);
    bench::Args args(argc, argv,
                     {{"dir", (fs::temp_directory_path() / "gridwatch-bench-parking").string()},
                      {"sim", bin_dir + "gridwatch-sim"},
                      {"duration-s", "60"},
                      {"rounds", "3"},
                      {"cameras", "4"},
                      {"turn-s", "10"},
                      {"lockstep-check", "0"},
                      {"dump-frames", ""}});
    cv::setNumThreads(1);
    const double duration_s = static_cast<double>(args.integer("duration-s"));
    const auto rounds = args.integer("rounds");
    const double turn_s = static_cast<double>(args.integer("turn-s"));
    std::cout << "bench_parking_pipeline on " << bench::machine_summary() << "\n";
    const auto video720 = ensure_video(args.text("sim"), args.text("dir"), 1280, 720, duration_s);
    const auto video1080 = ensure_video(args.text("sim"), args.text("dir"), 1920, 1080, std::min(duration_s, 30.0));
    if (args.has("dump-frames")) {
      const auto written = dump_frames(video720, args.text("dump-frames"));
      std::cout << "wrote the " << written << " analysed frames of " << video720 << " to " << args.text("dump-frames")
                << " (bench_analysis_replay --frames)\n";
    }

    std::vector<double> ratios;
    Cost best_decode;
    Cost best_pipeline;
    for (std::int64_t round = 0; round < rounds; ++round) {
      // Alternate the order so a burst of load elsewhere hits both sides.
      Cost decode;
      Cost full;
      if (round % 2 == 0) {
        decode = decode_only(video720);
        full = pipeline(video720);
      } else {
        full = pipeline(video720);
        decode = decode_only(video720);
      }
      ratios.push_back(full.cpu_s / decode.cpu_s);
      if (best_decode.cpu_s == 0 || decode.cpu_s < best_decode.cpu_s) best_decode = decode;
      if (best_pipeline.cpu_s == 0 || full.cpu_s < best_pipeline.cpu_s) best_pipeline = full;
      std::cout << fmt::format("round {}: decode-only {:.2f} s CPU, pipeline {:.2f} s CPU, ratio {:.3f}\n", round + 1,
                               decode.cpu_s, full.cpu_s, ratios.back());
    }
    const double median_ratio = bench::percentile(ratios, 50);

    std::vector<double> lockstep_ratios;
    for (std::int64_t round = 0; round < rounds; ++round) {
      const auto turns = lockstep(video720, turn_s);
      lockstep_ratios.push_back(turns.pipeline_cpu_s / turns.decode_cpu_s);
      std::cout << fmt::format("lockstep round {}: decode-only {:.2f} s CPU, pipeline {:.2f} s CPU ({} of {} frames analysed), "
                               "ratio {:.3f}\n",
                               round + 1, turns.decode_cpu_s, turns.pipeline_cpu_s, turns.analysed, turns.frames,
                               lockstep_ratios.back());
    }
    const double lockstep_ratio = bench::percentile(lockstep_ratios, 50);
    if (args.integer("lockstep-check") != 0) {
      for (std::int64_t round = 0; round < rounds; ++round) {
        std::cout << fmt::format("lockstep check round {}: decode-only against decode-only, ratio {:.3f}\n", round + 1,
                                 lockstep_check(video720, turn_s));
      }
    }

    // The smoke detector's own cost: the analysis CPU per analysed frame
    // with smoke on minus the same with smoke off (parking and tamper
    // only), same file, rounds alternating.
    std::vector<double> smoke_added_ms;
    std::vector<double> without_smoke_ms;
    std::vector<double> with_smoke_ms;
    for (std::int64_t round = 0; round < rounds; ++round) {
      Cost off;
      Cost on;
      if (round % 2 == 0) {
        off = pipeline(video720, false);
        on = pipeline(video720, true);
      } else {
        on = pipeline(video720, true);
        off = pipeline(video720, false);
      }
      without_smoke_ms.push_back(off.analysis_cpu_s * 1000 / static_cast<double>(std::max<std::uint64_t>(1, off.analysed)));
      with_smoke_ms.push_back(on.analysis_cpu_s * 1000 / static_cast<double>(std::max<std::uint64_t>(1, on.analysed)));
      smoke_added_ms.push_back(with_smoke_ms.back() - without_smoke_ms.back());
      std::cout << fmt::format("round {}: analysis {:.3f} ms/frame without smoke, {:.3f} ms/frame with smoke, "
                               "smoke adds {:.3f} ms\n",
                               round + 1, without_smoke_ms.back(), with_smoke_ms.back(), smoke_added_ms.back());
    }
    const double smoke_ms = bench::percentile(smoke_added_ms, 50);

    // 1080p at 10 fps: CPU seconds per second of video, decode included.
    const auto hd = pipeline(video1080);
    const double hd_cpu_per_video_s = hd.cpu_s / hd.video_s;
    const double cameras_per_core = 1.0 / hd_cpu_per_video_s;

    // Memory each camera adds: N decoders and analyzers side by side.
    const auto cameras = static_cast<int>(args.integer("cameras"));
    const auto rss_before = bench::proc_status_kib("VmRSS");
    std::vector<cv::VideoCapture> captures;
    std::vector<std::unique_ptr<vision::CameraAnalyzer>> analyzers;
    for (int i = 0; i < cameras; ++i) {
      captures.push_back(open_video(video1080));
      analyzers.push_back(std::make_unique<vision::CameraAnalyzer>(bench::bench_camera()));
    }
    cv::Mat frame;
    for (int n = 0; n < 100; ++n) {  // 10 s of each camera, interleaved
      for (int i = 0; i < cameras; ++i) {
        if (!captures[static_cast<std::size_t>(i)].read(frame)) continue;
        auto& analyzer = *analyzers[static_cast<std::size_t>(i)];
        const double t_s = n / 10.0;
        if (analyzer.wants(t_s)) analyzer.process(frame, t_s);
      }
    }
    const auto rss_after = bench::proc_status_kib("VmRSS");
    const double rss_per_camera_mib = bench::mib(rss_after - rss_before) / cameras;

    std::cout << fmt::format(
        "\n| measure | value |\n|---|---|\n"
        "| 1280x720 H.264, {:.0f} s, {} frames: decode-only (best round) | {:.2f} s CPU ({:.2f} ms/frame), {:.2f} s wall |\n"
        "| same file, full pipeline (best round) | {:.2f} s CPU ({:.2f} ms/frame), {:.2f} s wall, {} frames analysed, {} events |\n"
        "| pipeline / decode-only, CPU, median of {} rounds | **{:.3f}** (goal <= 1.25) |\n"
        "| the same in lockstep (turns of {:.0f} s of video), median of {} rounds | **{:.3f}** (goal <= 1.25) |\n"
        "| analysis per analysed frame (320 px, one thread), median: parking + tamper / + smoke | {:.3f} ms / {:.3f} ms |\n"
        "| smoke detector's added cost per analysed frame, median of {} rounds | **{:.3f} ms** (goal <= 3) |\n"
        "| 1920x1080 H.264 at 10 fps, full pipeline | {:.3f} s CPU per s of video |\n"
        "| 1080p@10fps cameras one core sustains | **{:.1f}** |\n"
        "| RSS per 1080p camera (decoder + analyzer, {} cameras) | **{:.1f} MiB** |\n",
        best_decode.video_s, best_decode.frames, best_decode.cpu_s, best_decode.cpu_s * 1000 / static_cast<double>(best_decode.frames),
        best_decode.wall_s, best_pipeline.cpu_s, best_pipeline.cpu_s * 1000 / static_cast<double>(best_pipeline.frames), best_pipeline.wall_s,
        best_pipeline.analysed, best_pipeline.events, rounds, median_ratio, turn_s, rounds, lockstep_ratio,
        bench::percentile(without_smoke_ms, 50),
        bench::percentile(with_smoke_ms, 50), rounds, smoke_ms, hd_cpu_per_video_s, cameras_per_core, cameras,
        rss_per_camera_mib);
    std::cout << "load " << bench::load_average() << "\n";
    std::cout << fmt::format(
        "{{\"bench\":\"parking_pipeline\",\"ratio\":{:.4f},\"lockstep_ratio\":{:.4f},\"decode_cpu_s\":{:.3f},"
        "\"pipeline_cpu_s\":{:.3f},"
        "\"smoke_added_ms_per_frame\":{:.4f},\"cameras_1080p10_per_core\":{:.2f},\"rss_per_camera_mib\":{:.2f}}}\n",
        median_ratio, lockstep_ratio, best_decode.cpu_s, best_pipeline.cpu_s, smoke_ms, cameras_per_core,
        rss_per_camera_mib);
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "bench_parking_pipeline: " << error.what() << "\n";
    return 1;
  }
}
