#pragma once
// Ground truth of a camera scenario, recorded frame by frame from the same
// World the renderer draws. Format: docs/scenarios.md.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "simulators/camera/scenario.hpp"
#include "simulators/camera/street_geometry.hpp"

namespace gridwatch::sim {

class World;

struct ParkingEpisode {
  std::string zone_id;
  std::string vehicle_id;
  std::string vehicle_kind;
  std::string vehicle_colour;
  double enter_s = 0;                   ///< bottom centre entered the zone
  double stop_s = 0;                    ///< came to rest (the stop that set the clock)
  std::optional<double> moving_again_s; ///< first move after that stop
  std::optional<double> leave_s;        ///< bottom centre left the zone; nullopt: still inside at the end
  bool violation = false;               ///< stood still in the zone, in view, for at least dwell_s
  double alert_due_s = 0;               ///< stop_s + dwell_s, or the end of a tamper fault during the stop + dwell_s
  NormBox box;                          ///< while standing (nominal camera, no shake)
};

struct PlumeEpisode {
  std::string kind;  ///< "smoke" (light/dark), "steam", "dust"
  std::string shade; ///< smoke only
  double start_s = 0;
  std::optional<double> visible_onset_s;
  std::optional<double> end_s;  ///< last visible frame; nullopt: never visible
  NormBox region;               ///< union of the visible boxes
};

struct TamperEvent {
  TamperKind kind = TamperKind::covered;
  double start_s = 0;
  std::optional<double> end_s;
};

struct SceneEvent {
  std::string kind;  ///< "fog", "cloud_shadow"
  double start_s = 0;
  double end_s = 0;
  double strength = 0;
};

struct GroundTruth {
  std::vector<std::vector<Point2>> zone_polygons;
  std::vector<ParkingEpisode> parking;
  std::vector<PlumeEpisode> smoke;
  std::vector<PlumeEpisode> distractors;  ///< steam and dust
  std::vector<SceneEvent> scene_events;
  std::vector<TamperEvent> tamper;
  int frames = 0;

  int violation_count() const;
};

/// Watches the world once per rendered frame, in order.
class TruthRecorder {
 public:
  explicit TruthRecorder(const Scenario& scenario);
  void observe(const World& world, int frame);
  GroundTruth finish() const;

 private:
  struct Visit {  // one vehicle's current stay in one zone
    ParkingEpisode episode;
    bool stopped_once = false;
    bool standing = false;
    double run_start_s = 0;
    NormBox run_box;
    bool clock_set = false;  // a stop reached dwell_s; stop_s is final
    double seen_since_s = 0; // the end of the last tamper fault (the view is back): the dwell counts from here
    std::optional<double> first_stop_s;
    NormBox first_box;
    std::optional<double> first_move_s;
  };

  void close(Visit& visit, std::optional<double> leave_s);

  const Scenario* scenario_;
  CameraModel camera_;
  GroundTruth truth_;
  std::map<std::pair<std::string, std::size_t>, Visit> open_;  // (vehicle, zone)
  std::vector<PlumeEpisode> plumes_;  // parallel to World::plumes()
  int grid_width_;
  int grid_height_;
  int last_frame_ = -1;
};

/// Runs the scenario's world without rendering and records its truth.
GroundTruth compute_ground_truth(const Scenario& scenario);

/// The truth as pretty-printed JSON (stable key order, rounded numbers).
std::string truth_to_json(const GroundTruth& truth, const Scenario& scenario);

/// A camera config (`id` + `zones`) for `gridwatch-edge analyze --camera`.
std::string camera_config_yaml(const Scenario& scenario);

}  // namespace gridwatch::sim
