#include "simulators/camera/camera_command.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <filesystem>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <fstream>
#include <iostream>
#include <opencv2/core.hpp>
#include <optional>
#include <string>

#include "common/config_reader.hpp"
#include "simulators/camera/ground_truth.hpp"
#include "simulators/camera/renderer.hpp"
#include "simulators/camera/rtsp_stream.hpp"
#include "simulators/camera/scenario.hpp"
#include "simulators/camera/video_output.hpp"

namespace gridwatch::sim {
namespace {

struct CameraOptions {
  std::string scenario_path;
  std::string out_dir = ".";
  std::string format = "both";
  std::optional<std::int64_t> seed;
  std::optional<int> width;
  std::optional<int> height;
  std::optional<int> fps;
  std::optional<double> duration_s;
  std::optional<int> rtsp_port;
  bool truth_only = false;
};

void write_text_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
}

void apply_overrides(const CameraOptions& options, Scenario& scenario) {
  if (options.seed) scenario.seed = static_cast<std::uint64_t>(*options.seed);
  if (options.width) scenario.width = *options.width;
  if (options.height) scenario.height = *options.height;
  if (options.fps) scenario.fps = *options.fps;
  if (options.duration_s) scenario.duration_s = *options.duration_s;
  // H.264 works on 2x2 chroma blocks: odd sizes fail inside the encoder.
  if (options.format != "avi" && (scenario.width % 2 != 0 || scenario.height % 2 != 0)) {
    throw std::runtime_error("width and height must be even for mp4 (H.264) output");
  }
}

void write_truth_files(const CameraOptions& options, const Scenario& scenario, const GroundTruth& truth) {
  const std::string base = options.out_dir + "/" + scenario.name;
  write_text_file(base + ".truth.json", truth_to_json(truth, scenario));
  write_text_file(base + ".camera.yaml", camera_config_yaml(scenario));
  std::cout << "wrote " << base << ".truth.json and " << base << ".camera.yaml (" << truth.frames << " frames, "
            << truth.parking.size() << " parking episodes, " << truth.violation_count() << " violations)\n";
  // The promise holds for the scenario as written, not a shortened one.
  const bool as_written = !options.duration_s && !options.fps;
  if (as_written && scenario.expect_violations && *scenario.expect_violations != truth.violation_count()) {
    std::cerr << scenario.source_file << ": warning: expect_violations is " << *scenario.expect_violations
              << " but the ground truth has " << truth.violation_count() << "\n";
  }
}

void run_camera(const CameraOptions& options) {
  Scenario scenario = parse_scenario_file(options.scenario_path);
  apply_overrides(options, scenario);
  // Thread count must not change any output; one thread also leaves the
  // other cores to the gateway under test.
  cv::setNumThreads(1);
#if defined(__GLIBC__)
  // Each frame allocates and frees multi-megabyte scratch images (smoke,
  // glow, blur). glibc would mmap and unmap them every time, and the page
  // faults cost as much CPU as the smoke rendering itself (measured: 2.6 s
  // of system time on 400 frames, 0.1 s with these settings).
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
#endif
  std::filesystem::create_directories(options.out_dir);

  if (options.rtsp_port) {
    CameraSimulator simulator(scenario);
    stream_rtsp(simulator, RtspOptions{*options.rtsp_port, "/cam"}, [&](const std::string& url) {
      std::cout << "streaming " << scenario.name << " at " << url << " (starts when the first client connects)" << std::endl;
    });
    write_truth_files(options, scenario, simulator.truth());
    return;
  }
  if (options.truth_only) {
    write_truth_files(options, scenario, compute_ground_truth(scenario));
    return;
  }
  const VideoFormat format = options.format == "avi" ? VideoFormat::avi : (options.format == "mp4" ? VideoFormat::mp4 : VideoFormat::both);
  VideoOutput video(options.out_dir, scenario.name, format, scenario.width, scenario.height, scenario.fps);
  CameraSimulator simulator(scenario);
  const auto started = std::chrono::steady_clock::now();
  cv::Mat frame;
  while (simulator.next(frame)) video.write(frame);
  video.close();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (const auto& path : video.paths()) std::cout << "wrote " << path << "\n";
  std::cout << "rendered " << simulator.frame_count() << " frames in " << seconds << " s\n";
  write_truth_files(options, scenario, simulator.truth());
}

}  // namespace

void add_camera_command(CLI::App& app) {
  auto options = std::make_shared<CameraOptions>();
  CLI::App* camera = app.add_subcommand("camera", "Render a camera scenario to video and ground truth, or stream it over RTSP");
  camera->add_option("--scenario", options->scenario_path, "Scenario YAML file (format: docs/scenarios.md)")->required();
  camera->add_option("--out", options->out_dir, "Output directory for <name>.avi/.mp4, .truth.json, .camera.yaml")
      ->capture_default_str();
  camera->add_option("--format", options->format, "Video container(s) to write")
      ->check(CLI::IsMember({"avi", "mp4", "both"}))
      ->capture_default_str();
  camera->add_option("--seed", options->seed, "Override the scenario's seed")->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 53));
  camera->add_option("--width", options->width, "Override the frame width")->check(CLI::Range(64, 3840));
  camera->add_option("--height", options->height, "Override the frame height")->check(CLI::Range(48, 2160));
  camera->add_option("--fps", options->fps, "Override the frame rate")->check(CLI::Range(1, 60));
  camera->add_option("--duration-s", options->duration_s, "Override the duration")->check(CLI::Range(1.0, 3600.0));
  camera->add_option("--rtsp-port", options->rtsp_port, "Stream live at rtsp://HOST:PORT/cam instead of writing video")
      ->check(CLI::Range(1, 65535));
  camera->add_flag("--truth-only", options->truth_only, "Write only the ground truth and camera config (fast)");
  camera->callback([options] {
    try {
      run_camera(*options);
    } catch (const ConfigInvalid& invalid) {
      std::cerr << invalid.errors().to_string();
      throw CLI::RuntimeError(2);
    } catch (const std::exception& error) {
      std::cerr << "gridwatch-sim camera: " << error.what() << "\n";
      throw CLI::RuntimeError(2);
    }
  });
}

}  // namespace gridwatch::sim
