#pragma once
// The simulated street over time: vehicles (car-following with realistic
// acceleration and braking), pedestrians, smoke and its look-alikes. Both
// the renderer and the ground truth read this one state, so what is drawn
// and what is reported cannot drift apart. No OpenCV here.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "simulators/camera/random.hpp"
#include "simulators/camera/scenario.hpp"

namespace gridwatch::sim {

struct VehicleState {
  std::string id;
  VehicleKind kind = VehicleKind::car;
  Colour colour{};
  std::string colour_name;
  double length_m = 4.4;
  double width_m = 1.8;
  double height_m = 1.45;
  double x_m = 0;        ///< centre across the street
  double z_m = 0;        ///< centre along the street
  double speed_mps = 0;  ///< along the direction of travel, never negative
  double accel_mps2 = 0;
  int direction = 1;     ///< +1 drives away from the camera, -1 towards it
  bool lights_on = false;
  bool scripted = false;
  /// Small per-vehicle variation (roof rack, two-tone, window tint) so that
  /// vehicles of one colour do not look identical.
  std::uint32_t style = 0;

  bool stationary() const { return speed_mps < kStationaryMps; }
  static constexpr double kStationaryMps = 0.05;
};

struct PedestrianState {
  double x_m = 0;
  double z_m = 0;
  double heading_x = 0;  ///< unit direction on the ground
  double heading_z = 1;
  double speed_mps = 1.4;
  double height_m = 1.75;
  double stride_phase = 0;
  Colour top{};
  Colour bottom{};
  double cross_at_z = -1;  ///< < 0: never crosses
  bool crossing = false;
};

struct Puff {
  double x_m = 0;
  double y_m = 0;
  double z_m = 0;
  double vx = 0;
  double vy = 0;
  double vz = 0;
  double radius_m = 0.4;
  double opacity = 0.5;  ///< at the centre, before ageing
  double age_s = 0;
  double life_s = 20;
  double current_opacity() const;
};

enum class PlumeKind { smoke, steam, dust };

struct PlumeState {
  PlumeKind kind = PlumeKind::smoke;
  int spec_index = 0;  ///< into Scenario::smoke or Scenario::puffs
  Colour colour{};
  std::vector<Puff> puffs;
};

/// What a vehicle means to do next; only the world reads it.
struct VehiclePlan {
  enum class Phase { cruising, approaching_stop, stopped, waiting_to_leave, leaving };
  Phase phase = Phase::cruising;
  double cruise_mps = 11;
  double lane_x = 0;            ///< centre of the lane it drives in
  double kerb_x = 0;            ///< where it stands when it pulls in to park
  bool pulls_in = false;        ///< parks in the kerb lane rather than stopping in its lane
  double stop_at_m = 0;         ///< z of the centre when stopped
  std::optional<double> stop_for_s;
  double stopped_since_s = 0;
  double leave_from_z = 0;      ///< where pulling out of the kerb lane began
  std::optional<double> pulling_from_z;  ///< where pulling in began (fixed once started)
  double max_accel = 2.0;
};

class World {
 public:
  /// Time step of the simulation, independent of the video frame rate, so
  /// an fps override changes the sampling and not the traffic.
  static constexpr double kStepS = 0.02;

  explicit World(const Scenario& scenario);

  /// Advances to the time of `frame`; frames must not go backwards.
  void advance_to_frame(int frame);
  double time_s() const { return static_cast<double>(step_) * kStepS; }

  const std::vector<VehicleState>& vehicles() const { return vehicles_; }
  const std::vector<PedestrianState>& pedestrians() const { return pedestrians_; }
  const std::vector<PlumeState>& plumes() const { return plumes_; }
  const Scenario& scenario() const { return *scenario_; }

 private:
  struct Arrivals {
    Lane lane;
    double next_s;
    double per_min;
  };

  void step();
  void spawn_due_vehicles();
  void spawn_traffic();
  void spawn_pedestrians();
  void move_vehicles();
  void move_pedestrians();
  void move_plumes();
  void add_parked_decor();
  VehicleState make_traffic_vehicle(Lane lane);
  bool spawn_point_clear(Lane lane) const;
  double acceleration(std::size_t index) const;

  const Scenario* scenario_;
  std::int64_t step_;
  Random traffic_random_;
  Random people_random_;
  std::vector<VehicleState> vehicles_;
  std::vector<VehiclePlan> plans_;  // parallel to vehicles_
  std::vector<PedestrianState> pedestrians_;
  std::vector<PlumeState> plumes_;
  std::vector<Random> plume_random_;
  std::vector<bool> scripted_spawned_;
  std::vector<Arrivals> arrivals_;
  double next_pedestrian_s_;
  int traffic_counter_ = 0;
};

}  // namespace gridwatch::sim
