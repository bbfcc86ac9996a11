#pragma once
// `gridwatch-edge evaluate parking`: renders (or reuses) the scenario
// library with gridwatch-sim, runs every video through the same analysis
// as `analyze`, matches episodes to the ground truth by zone and time, and
// runs the real traffic clips as negatives. docs/evaluation.md holds the
// measured table.
#include <ostream>
#include <string>
#include <vector>

namespace gridwatch::edge {

struct EvaluationOptions {
  std::string scenario_dir = "simulators/scenarios";
  std::string cache_dir = "build/eval-cache";
  std::string negatives_dir = "../shared/data/traffic_negatives";
  std::string negative_cameras_dir = "tests/fixtures/traffic_negatives";
  std::string sim_binary;
  std::vector<std::string> only;  ///< scenario names; empty = all
  int jobs = 2;
  std::string markdown_path;      ///< also write the Markdown table here
};

/// A detection counts for a violation when it is in the same zone and
/// starts between `kEarlyToleranceS` before the alert is due and the
/// moment the vehicle left (or the end of the video). Each detection
/// matches at most one violation; unmatched detections are false alerts.
inline constexpr double kEarlyToleranceS = 5.0;

/// Prints the table; returns 0 (the goals are reported, not enforced).
int run_parking_evaluation(const EvaluationOptions& options, std::ostream& out);

}  // namespace gridwatch::edge
