// bench_analysis_replay: the camera analysis alone (parking, tamper and
// smoke at the default settings, the bench scene's zone) replayed over
// frames decoded beforehand (bench_parking_pipeline --dump-frames), against
// the shrink to the analysis size of the same frames in the same run: the
// least any analysis of them must do. No decoder runs in this process, so
// it runs under callgrind, whose instruction counts do not swing with the
// VM's slow spells as CPU time does (docs/benchmarks.md):
//
//   valgrind --tool=callgrind --toggle-collect='gridwatch::edge::vision::CameraAnalyzer::process*'
//       build/ci/bin/bench_analysis_replay --frames FILE --rounds 1
// (one command line).
#include <fmt/format.h>

#include <iostream>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "bench/bench_camera.hpp"
#include "bench/bench_support.hpp"
#include "bench/frame_file.hpp"
#include "edge/vision/camera_analyzer.hpp"
#include "edge/vision/frame_features.hpp"

using namespace gridwatch;
using namespace gridwatch::edge;

int main(int argc, char** argv) {
  return bench::bench_main("bench_analysis_replay", argc, argv, {{"frames", ""}, {"rounds", "5"}, {"smoke", "1"}},
                           [](const bench::Args& args) {
    if (!args.has("frames")) throw std::invalid_argument("--frames FILE is required (bench_parking_pipeline --dump-frames FILE)");
    cv::setNumThreads(1);
    const auto frames = bench::read_frame_file(args.text("frames"));
    if (frames.empty()) throw std::invalid_argument(args.text("frames") + ": no frames");
    const auto rounds = args.integer("rounds");
    const bool smoke = args.integer("smoke") != 0;
    std::cout << "bench_analysis_replay on " << bench::machine_summary() << ", " << frames.size() << " frames of "
              << frames.front().second.cols << "x" << frames.front().second.rows << "\n";
    const auto size = vision::analysis_size(frames.front().second.size(), bench::bench_camera(smoke).analysis.width);
    std::vector<double> analysis_ms;
    std::vector<double> shrink_ms;
    std::uint64_t events = 0;
    for (std::int64_t round = 0; round < rounds; ++round) {
      // A fresh analyzer each round: the same frames, the same work.
      vision::CameraAnalyzer analyzer(bench::bench_camera(smoke));
      double cpu0 = bench::thread_cpu_seconds();
      for (const auto& [t_s, frame] : frames) events += analyzer.process(frame, t_s).size();
      analysis_ms.push_back((bench::thread_cpu_seconds() - cpu0) * 1000 / static_cast<double>(frames.size()));
      cpu0 = bench::thread_cpu_seconds();
      cv::Mat grey;
      for (const auto& [t_s, frame] : frames) {
        const cv::Mat small = vision::shrink_for_analysis(frame, size);
        if (small.channels() == 3) cv::cvtColor(small, grey, cv::COLOR_BGR2GRAY);
      }
      shrink_ms.push_back((bench::thread_cpu_seconds() - cpu0) * 1000 / static_cast<double>(frames.size()));
      std::cout << fmt::format("round {}: analysis {:.3f} ms/frame, shrink alone {:.3f} ms/frame\n", round + 1,
                               analysis_ms.back(), shrink_ms.back());
    }
    const double analysis_median = bench::percentile(analysis_ms, 50);
    const double shrink_median = bench::percentile(shrink_ms, 50);
    std::cout << fmt::format(
        "\n| measure | value |\n|---|---|\n"
        "| analysis per frame ({}), median of {} rounds | **{:.3f} ms** (lowest {:.3f}) |\n"
        "| shrink to {}x{} and grey alone, median | {:.3f} ms |\n"
        "| analysis / shrink alone | {:.2f} |\n",
        smoke ? "parking + tamper + smoke" : "parking + tamper", rounds, analysis_median, analysis_ms.front(), size.width,
        size.height, shrink_median, analysis_median / shrink_median);
    std::cout << "load " << bench::load_average() << "\n";
    std::cout << fmt::format(
        "{{\"bench\":\"analysis_replay\",\"frames\":{},\"analysis_ms_per_frame\":{:.4f},\"shrink_ms_per_frame\":{:.4f},"
        "\"events\":{}}}\n",
        frames.size(), analysis_median, shrink_median, events);
    return 0;
  });
}
