#pragma once
// Turns tracked stationary objects into parking alert episodes: exactly
// one per parked vehicle. An episode starts once the vehicle has stood
// past its zone's allowed dwell while the zone's schedule is active,
// gets an update when the vehicle is seen again after a long occlusion,
// and ends when the vehicle leaves. The episode follows the tracked
// object, so a change of light or a passing bus never starts a second one.
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "edge/vision/camera_settings.hpp"
#include "edge/vision/stationary_tracker.hpp"
#include "edge/vision/vision_event.hpp"

namespace gridwatch::edge::vision {

/// Optional second opinion on a due object: a confidence, or nullopt when
/// it is not a vehicle. Given the object's normalised box.
using VehicleCheck = std::function<std::optional<double>(const std::array<double, 4>& box)>;

class ParkingEpisodes {
 public:
  explicit ParkingEpisodes(const CameraSettings& settings);

  /// Call after every tracker update. `local` is the camera's local time
  /// of week for schedules (nullopt: schedules are treated as active).
  std::vector<VisionEvent> update(const StationaryTracker& tracker, double t_s, std::optional<WeekTime> local,
                                  const VehicleCheck& check);
  /// Episodes still open (phase update, ended_s unset).
  std::vector<VisionEvent> open_episodes(double t_s) const;

 private:
  struct Episode {
    int episode = 0;
    std::size_t zone = 0;
    std::array<double, 4> box{};
    double started_s = 0;
    double stopped_s = 0;
    double confidence = 0;
    std::optional<double> hidden_since_s;
  };

  VisionEvent event(const Episode& episode, Phase phase, double t_s) const;

  CameraSettings settings_;
  std::map<int, Episode> open_;           // by object id
  std::map<int, double> rejected_until_;  // object id -> next check time
  int next_episode_ = 1;
};

}  // namespace gridwatch::edge::vision
