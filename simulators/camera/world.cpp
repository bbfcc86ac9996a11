#include "simulators/camera/world.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "simulators/camera/street_geometry.hpp"

namespace gridwatch::sim {
namespace {

// Background traffic and pedestrians start this long before t = 0 so the
// first frame shows a street in use rather than an empty one.
constexpr double kWarmupS = 40.0;
constexpr double kOutgoingSpawnZ = -14.0;
constexpr double kOncomingSpawnZ = 226.0;
constexpr double kOutgoingDespawnZ = 234.0;
constexpr double kOncomingDespawnZ = -24.0;

// Intelligent Driver Model constants (Treiber et al.): minimum gap, time
// headway and comfortable braking. They give the smooth acceleration and
// stop-and-go waves of real queues.
constexpr double kMinGapM = 2.0;
constexpr double kHeadwayS = 1.3;
constexpr double kComfortBrakeMps2 = 2.0;
constexpr double kHardestBrakeMps2 = 8.0;
// Braking for a stop starts once it needs this much deceleration.
constexpr double kStopBrakeStartMps2 = 1.6;
// A red light is run rather than braking harder than this.
constexpr double kRunTheLightMps2 = 4.5;
constexpr double kPullInM = 24.0;
constexpr double kPullOutM = 16.0;
constexpr double kHeadlightsOffAfterS = 4.0;

enum Stream : std::uint64_t {
  kStreamTraffic = 1,
  kStreamPeople = 2,
  kStreamScripted = 3,
  kStreamDecor = 4,
  kStreamPlume = 100,
};

// A vehicle parked before the clip starts counts its stop from frame 0.
double stop_end(const VehiclePlan& plan) { return std::max(plan.stopped_since_s, 0.0) + plan.stop_for_s.value_or(0.0); }

double smoothstep(double t) {
  t = std::clamp(t, 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

struct WeightedColour {
  const char* name;
  int weight;
};

// Real streets are mostly grey, white, black and silver.
constexpr WeightedColour kCarColours[] = {
    {"grey", 16}, {"silver", 16}, {"white", 20}, {"black", 18}, {"dark_grey", 8}, {"red", 5},
    {"dark_red", 2}, {"blue", 5},  {"dark_blue", 4}, {"green", 2}, {"beige", 1}, {"yellow", 1},
    {"orange", 1}, {"brown", 1},
};
constexpr WeightedColour kTruckColours[] = {{"white", 5}, {"grey", 4}, {"silver", 3}, {"dark_grey", 2}, {"blue", 1}};
constexpr WeightedColour kBusColours[] = {{"red", 3}, {"white", 2}, {"blue", 1}, {"yellow", 1}, {"grey", 1}};

template <std::size_t N>
std::string pick_colour(Random& random, const WeightedColour (&table)[N]) {
  int total = 0;
  for (const auto& entry : table) total += entry.weight;
  int roll = random.integer(0, total - 1);
  for (const auto& entry : table) {
    if (roll < entry.weight) return entry.name;
    roll -= entry.weight;
  }
  return table[0].name;
}

std::string pick_colour_for(Random& random, VehicleKind kind) {
  if (kind == VehicleKind::truck) return pick_colour(random, kTruckColours);
  if (kind == VehicleKind::bus) return pick_colour(random, kBusColours);
  return pick_colour(random, kCarColours);
}

double max_accel_of(VehicleKind kind) {
  switch (kind) {
    case VehicleKind::car:
    case VehicleKind::hatchback: return 2.2;
    case VehicleKind::suv: return 1.9;
    case VehicleKind::van: return 1.5;
    case VehicleKind::truck:
    case VehicleKind::bus: return 1.0;
  }
  return 2.0;
}

VehicleState make_vehicle(std::string id, VehicleKind kind, const std::string& colour_name, std::uint32_t style) {
  VehicleState vehicle;
  vehicle.id = std::move(id);
  vehicle.kind = kind;
  vehicle.colour_name = colour_name;
  vehicle.colour = vehicle_colour(colour_name);
  const VehicleSize size = vehicle_size(kind);
  vehicle.length_m = size.length_m;
  vehicle.width_m = size.width_m;
  vehicle.height_m = size.height_m;
  vehicle.style = style;
  return vehicle;
}

double lane_x_for(Lane lane) { return street::lane_centre(lane == Lane::kerb ? Lane::outgoing : lane); }

Colour random_clothing(Random& random) {
  static constexpr Colour kClothes[] = {{40, 40, 40},   {200, 200, 200}, {120, 60, 30}, {50, 50, 140},
                                        {30, 90, 40},   {90, 90, 90},    {140, 120, 80}, {20, 20, 60},
                                        {170, 150, 40}, {60, 40, 30}};
  return kClothes[random.integer(0, 9)];
}

}  // namespace

double Puff::current_opacity() const {
  const double remaining = std::clamp(1.0 - age_s / life_s, 0.0, 1.0);
  const double fade_in = std::clamp(age_s / 0.6, 0.0, 1.0);
  return opacity * std::pow(remaining, 1.5) * fade_in;
}

World::World(const Scenario& scenario)
    : scenario_(&scenario),
      step_(-static_cast<std::int64_t>(std::llround(kWarmupS / kStepS))),
      traffic_random_(derive_seed(scenario.seed, kStreamTraffic)),
      people_random_(derive_seed(scenario.seed, kStreamPeople)),
      scripted_spawned_(scenario.vehicles.size(), false),
      next_pedestrian_s_(-kWarmupS) {
  const double traffic_start = scenario.traffic.start_s > 0 ? scenario.traffic.start_s : -kWarmupS;
  arrivals_.push_back({Lane::outgoing, traffic_start, scenario.traffic.outgoing_per_min});
  arrivals_.push_back({Lane::oncoming, traffic_start, scenario.traffic.oncoming_per_min});
  for (auto& arrival : arrivals_) {
    if (arrival.per_min > 0) arrival.next_s += traffic_random_.exponential(60.0 / arrival.per_min);
  }
  for (std::size_t i = 0; i < scenario.smoke.size(); ++i) {
    const auto& spec = scenario.smoke[i];
    PlumeState plume;
    plume.kind = PlumeKind::smoke;
    plume.spec_index = static_cast<int>(i);
    plume.colour = spec.shade == SmokeShade::light ? Colour{212, 212, 214} : Colour{34, 34, 38};
    plumes_.push_back(plume);
    plume_random_.emplace_back(derive_seed(scenario.seed, kStreamPlume, i));
  }
  for (std::size_t i = 0; i < scenario.puffs.size(); ++i) {
    const auto& spec = scenario.puffs[i];
    PlumeState plume;
    plume.kind = spec.kind == DistractorKind::steam ? PlumeKind::steam : PlumeKind::dust;
    plume.spec_index = static_cast<int>(i);
    plume.colour = plume.kind == PlumeKind::steam ? Colour{236, 236, 236} : Colour{128, 156, 178};
    plumes_.push_back(plume);
    plume_random_.emplace_back(derive_seed(scenario.seed, kStreamPlume + 1000, i));
  }
  add_parked_decor();
}

void World::add_parked_decor() {
  // Extra parked cars stand where no zone and no scripted kerb stop is, so
  // they add clutter without adding episodes.
  Random random(derive_seed(scenario_->seed, kStreamDecor));
  const auto polygons = zone_polygons(*scenario_);
  const CameraModel camera = nominal_camera(*scenario_);
  // Stretches of kerb that scripted vehicles use: where they stand, and
  // the run-in and run-out where they pull in and out across the kerb lane.
  std::vector<std::pair<double, double>> taken;
  for (const auto& spec : scenario_->vehicles) {
    if (!spec.stop) continue;
    const double half = vehicle_size(spec.kind).length_m / 2;
    taken.emplace_back(spec.stop->at_m - kPullInM - half - 1.0, spec.stop->at_m + kPullOutM + half + 1.0);
  }
  for (int placed = 0, attempt = 0; placed < scenario_->parked_decor_count && attempt < 200; ++attempt) {
    const double z = random.uniform(10, 110);
    const VehicleKind kind = random.chance(0.2) ? VehicleKind::van : (random.chance(0.4) ? VehicleKind::hatchback : VehicleKind::car);
    const VehicleSize size = vehicle_size(kind);
    bool clear = std::none_of(taken.begin(), taken.end(), [&](const std::pair<double, double>& span) {
      return z + size.length_m / 2 + 1.0 > span.first && z - size.length_m / 2 - 1.0 < span.second;
    });
    const double x = street::lane_centre(Lane::kerb);
    // Keep decor well away from zones: test the box positions of a car a
    // few metres either side too, since a detector may be sloppy.
    for (double shift : {-4.0, 0.0, 4.0}) {
      const NormBox box = camera.box_of(x, z + shift, size.width_m, size.length_m, size.height_m);
      for (const auto& polygon : polygons) {
        if (!box.empty() && point_in_polygon(box.bottom_centre(), polygon)) clear = false;
      }
    }
    if (!clear) continue;
    taken.emplace_back(z - size.length_m / 2 - 1.0, z + size.length_m / 2 + 1.0);
    auto vehicle = make_vehicle("p" + std::to_string(++placed), kind, pick_colour_for(random, kind),
                                static_cast<std::uint32_t>(random.next()));
    vehicle.x_m = x;
    vehicle.z_m = z;
    VehiclePlan plan;
    plan.phase = VehiclePlan::Phase::stopped;
    plan.stopped_since_s = -1e9;
    plan.pulls_in = true;
    plan.lane_x = lane_x_for(Lane::kerb);
    plan.kerb_x = x;
    plan.stop_at_m = z;
    vehicles_.push_back(vehicle);
    plans_.push_back(plan);
  }
}

void World::advance_to_frame(int frame) {
  const auto target = static_cast<std::int64_t>(std::llround(scenario_->frame_time(frame) / kStepS));
  while (step_ < target) step();
}

void World::step() {
  spawn_due_vehicles();
  spawn_traffic();
  spawn_pedestrians();
  move_vehicles();
  move_pedestrians();
  move_plumes();
  ++step_;
}

bool World::spawn_point_clear(Lane lane) const {
  const double x = lane_x_for(lane);
  const double spawn_z = lane == Lane::oncoming ? kOncomingSpawnZ : kOutgoingSpawnZ;
  return std::none_of(vehicles_.begin(), vehicles_.end(), [&](const VehicleState& other) {
    return std::abs(other.x_m - x) < 2.0 && std::abs(other.z_m - spawn_z) < other.length_m / 2 + 14.0;
  });
}

void World::spawn_due_vehicles() {
  const double now = time_s();
  for (std::size_t i = 0; i < scenario_->vehicles.size(); ++i) {
    if (scripted_spawned_[i]) continue;
    const auto& spec = scenario_->vehicles[i];
    Random random(derive_seed(scenario_->seed, kStreamScripted, i));
    const std::string colour = spec.colour_name.empty() ? pick_colour_for(random, spec.kind) : spec.colour_name;
    auto vehicle = make_vehicle(spec.id, spec.kind, colour, static_cast<std::uint32_t>(random.next()));
    vehicle.scripted = true;
    VehiclePlan plan;
    plan.lane_x = lane_x_for(spec.lane);
    plan.pulls_in = spec.lane == Lane::kerb;
    plan.kerb_x = street::lane_centre(Lane::kerb);
    plan.cruise_mps = spec.speed_mps;
    plan.max_accel = max_accel_of(spec.kind);
    vehicle.direction = spec.lane == Lane::oncoming ? -1 : 1;
    if (spec.stop) {
      plan.stop_at_m = spec.stop->at_m;
      plan.stop_for_s = spec.stop->for_s;
    }
    if (spec.parked_at_start) {
      // Placed at once, before the warm-up traffic, so nothing drives through it.
      vehicle.x_m = plan.pulls_in ? plan.kerb_x : plan.lane_x;
      vehicle.z_m = plan.stop_at_m;
      plan.phase = VehiclePlan::Phase::stopped;
      plan.stopped_since_s = -kWarmupS;  // parked long before the clip (lights off)
    } else {
      if (now + 1e-9 < spec.enter_s || !spawn_point_clear(spec.lane)) continue;
      vehicle.x_m = plan.lane_x;
      vehicle.z_m = vehicle.direction > 0 ? kOutgoingSpawnZ : kOncomingSpawnZ;
      vehicle.speed_mps = spec.speed_mps;
      plan.phase = spec.stop ? VehiclePlan::Phase::approaching_stop : VehiclePlan::Phase::cruising;
    }
    scripted_spawned_[i] = true;
    vehicles_.push_back(std::move(vehicle));
    plans_.push_back(plan);
  }
}

VehicleState World::make_traffic_vehicle(Lane lane) {
  const auto& traffic = scenario_->traffic;
  const double roll = traffic_random_.uniform();
  VehicleKind kind;
  if (roll < traffic.trucks_share) {
    kind = VehicleKind::truck;
  } else if (roll < traffic.trucks_share + traffic.buses_share) {
    kind = VehicleKind::bus;
  } else {
    const double car_roll = traffic_random_.uniform();
    kind = car_roll < 0.45 ? VehicleKind::car
           : car_roll < 0.67 ? VehicleKind::hatchback
           : car_roll < 0.87 ? VehicleKind::suv
                             : VehicleKind::van;
  }
  char id[16];
  std::snprintf(id, sizeof id, "t%03d", ++traffic_counter_);
  auto vehicle = make_vehicle(id, kind, pick_colour_for(traffic_random_, kind),
                              static_cast<std::uint32_t>(traffic_random_.next()));
  vehicle.direction = lane == Lane::oncoming ? -1 : 1;
  vehicle.x_m = lane_x_for(lane) + traffic_random_.uniform(-0.25, 0.25);
  vehicle.z_m = vehicle.direction > 0 ? kOutgoingSpawnZ : kOncomingSpawnZ;
  return vehicle;
}

void World::spawn_traffic() {
  const double now = time_s();
  for (auto& arrival : arrivals_) {
    if (arrival.per_min <= 0 || now < arrival.next_s) continue;
    if (!spawn_point_clear(arrival.lane)) {
      arrival.next_s = now + 0.5;
      continue;
    }
    auto vehicle = make_traffic_vehicle(arrival.lane);
    VehiclePlan plan;
    plan.lane_x = vehicle.x_m;
    plan.cruise_mps = scenario_->traffic.speed_mps * traffic_random_.uniform(0.85, 1.15);
    if (vehicle.kind == VehicleKind::truck || vehicle.kind == VehicleKind::bus) plan.cruise_mps *= 0.9;
    plan.max_accel = max_accel_of(vehicle.kind);
    vehicle.speed_mps = plan.cruise_mps;
    vehicles_.push_back(std::move(vehicle));
    plans_.push_back(plan);
    arrival.next_s = now + traffic_random_.exponential(60.0 / arrival.per_min);
  }
}

double World::acceleration(std::size_t index) const {
  const VehicleState& self = vehicles_[index];
  const VehiclePlan& plan = plans_[index];
  const double v = self.speed_mps;
  const double a_max = plan.max_accel;
  const double free_road = a_max * (1.0 - std::pow(v / plan.cruise_mps, 4));
  const double own_s = self.direction * self.z_m;

  double interaction = 0;
  for (std::size_t j = 0; j < vehicles_.size(); ++j) {
    const VehicleState& other = vehicles_[j];
    if (j == index || other.direction != self.direction) continue;
    // Only vehicles that overlap sideways are in the way (a parked truck is
    // not a leader for a bus passing it in the next lane).
    if (std::abs(other.x_m - self.x_m) > (other.width_m + self.width_m) / 2 + 0.1) continue;
    const double other_s = other.direction * other.z_m;
    if (other_s <= own_s) continue;
    // Pulling out, a driver steers round the car parked in front.
    const bool parked_ahead = other.stationary() && std::abs(other.x_m - plan.kerb_x) < 0.5;
    if (plan.phase == VehiclePlan::Phase::leaving && parked_ahead) continue;
    const double gap = std::max(0.1, other_s - own_s - (other.length_m + self.length_m) / 2);
    const double desired =
        kMinGapM + std::max(0.0, v * kHeadwayS + v * (v - other.speed_mps) / (2 * std::sqrt(a_max * kComfortBrakeMps2)));
    interaction = std::min(interaction, -a_max * (desired / gap) * (desired / gap));
  }
  double accel = free_road + interaction;

  // Stops (scripted, or a red light) brake at the constant deceleration that
  // ends exactly at the stop, starting once that deceleration is noticeable.
  auto brake_for = [&](double target_s, double give_up_mps2) {
    const double distance = target_s - own_s;
    if (distance <= 0.0) return;
    const double needed = v * v / (2 * distance);
    if (needed > give_up_mps2) return;
    if (needed > kStopBrakeStartMps2 || distance < 3.0) accel = std::min(accel, -needed);
  };
  if (plan.phase == VehiclePlan::Phase::approaching_stop) brake_for(self.direction * plan.stop_at_m, 1e9);
  const double now = time_s();
  for (const auto& jam : scenario_->jams) {
    if (now < jam.start_s || now >= jam.end_s) continue;
    if (std::fmod(now - jam.start_s, jam.red_s + jam.green_s) >= jam.red_s) continue;
    const int direction = jam.lane == Lane::oncoming ? -1 : 1;
    if (direction != self.direction || std::abs(self.x_m - street::lane_centre(jam.lane)) > 1.6) continue;
    const double line_s = direction * jam.at_m;
    if (own_s + self.length_m / 2 > line_s - 0.5) continue;  // already over the line
    brake_for(line_s - self.length_m / 2 - 1.0, kRunTheLightMps2);
  }
  return std::max(accel, -kHardestBrakeMps2);
}

void World::move_vehicles() {
  const double now = time_s();
  std::vector<double> accelerations(vehicles_.size());
  for (std::size_t i = 0; i < vehicles_.size(); ++i) {
    const auto phase = plans_[i].phase;
    const bool holding = phase == VehiclePlan::Phase::stopped || phase == VehiclePlan::Phase::waiting_to_leave;
    accelerations[i] = holding ? 0.0 : acceleration(i);
  }
  for (std::size_t i = 0; i < vehicles_.size(); ++i) {
    VehicleState& vehicle = vehicles_[i];
    VehiclePlan& plan = plans_[i];
    using Phase = VehiclePlan::Phase;
    const double previous_speed = vehicle.speed_mps;
    if (plan.phase != Phase::stopped && plan.phase != Phase::waiting_to_leave) {
      vehicle.speed_mps = std::max(0.0, vehicle.speed_mps + accelerations[i] * kStepS);
      vehicle.z_m += vehicle.direction * vehicle.speed_mps * kStepS;
    }
    vehicle.accel_mps2 = (vehicle.speed_mps - previous_speed) / kStepS;
    const double own_s = vehicle.direction * vehicle.z_m;

    switch (plan.phase) {
      case Phase::cruising: break;
      case Phase::approaching_stop: {
        const double distance = vehicle.direction * plan.stop_at_m - own_s;
        if (plan.pulls_in) {
          // Pull in over the last 24 m, or later and tighter when another
          // car is parked on the way in.
          double pull_from = plan.stop_at_m - kPullInM;
          for (std::size_t j = 0; j < vehicles_.size(); ++j) {
            const VehicleState& other = vehicles_[j];
            if (j == i || !other.stationary() || std::abs(other.x_m - plan.kerb_x) > 0.5) continue;
            const double other_front = other.z_m + other.length_m / 2;
            if (other_front < plan.stop_at_m && other_front + vehicle.length_m / 2 + 1.0 > pull_from) {
              pull_from = std::min(plan.stop_at_m - 7.0, other_front + vehicle.length_m / 2 + 1.0);
            }
          }
          if (plan.pulling_from_z) pull_from = std::min(pull_from, *plan.pulling_from_z);
          const double progress = (vehicle.z_m - pull_from) / (plan.stop_at_m - 3.0 - pull_from);
          if (progress > 0 && !plan.pulling_from_z) plan.pulling_from_z = pull_from;
          vehicle.x_m = plan.lane_x + (plan.kerb_x - plan.lane_x) * smoothstep(progress);
        }
        if ((distance < 0.15 && vehicle.speed_mps < 0.6) || distance < 0.0) {
          vehicle.z_m = plan.stop_at_m;
          vehicle.speed_mps = 0;
          if (plan.pulls_in) vehicle.x_m = plan.kerb_x;
          plan.phase = Phase::stopped;
          plan.stopped_since_s = now;
        }
        break;
      }
      case Phase::stopped:
        if (plan.stop_for_s && now >= stop_end(plan)) plan.phase = Phase::waiting_to_leave;
        break;
      case Phase::waiting_to_leave: {
        // Pull out only into a gap in the lane, as a driver would; after a
        // while a queue standing still behind lets the driver out.
        const bool waited_long = plan.stop_for_s && now > stop_end(plan) + 15.0;
        bool clear = true;
        for (std::size_t j = 0; j < vehicles_.size() && plan.pulls_in; ++j) {
          const VehicleState& other = vehicles_[j];
          if (j == i || other.direction != vehicle.direction || std::abs(other.x_m - plan.lane_x) > 1.5) continue;
          const double ahead = other.direction * other.z_m - own_s;
          const bool let_out = waited_long && ahead < 0 && other.stationary();
          if (ahead > -30.0 && ahead < 8.0 && !let_out) clear = false;
        }
        if (clear) {
          plan.phase = plan.pulls_in ? Phase::leaving : Phase::cruising;
          plan.leave_from_z = vehicle.z_m;
        }
        break;
      }
      case Phase::leaving: {
        const double travelled = std::abs(vehicle.z_m - plan.leave_from_z);
        vehicle.x_m = plan.kerb_x + (plan.lane_x - plan.kerb_x) * smoothstep(travelled / kPullOutM);
        if (travelled >= kPullOutM) plan.phase = Phase::cruising;
        break;
      }
    }
    // Drivers switch off when parked; moving or briefly stopped they keep
    // their lights on after dark.
    const bool parked_a_while =
        (plan.phase == Phase::stopped || plan.phase == Phase::waiting_to_leave) && now - plan.stopped_since_s > kHeadlightsOffAfterS;
    vehicle.lights_on = scenario_->time_of_day != TimeOfDay::day && !(parked_a_while && plan.pulls_in);
  }
  // Remove vehicles that left the street (keeping both arrays aligned).
  std::size_t kept = 0;
  for (std::size_t i = 0; i < vehicles_.size(); ++i) {
    const auto& vehicle = vehicles_[i];
    const bool gone = vehicle.direction > 0 ? vehicle.z_m > kOutgoingDespawnZ : vehicle.z_m < kOncomingDespawnZ;
    if (gone) continue;
    if (kept != i) {
      vehicles_[kept] = std::move(vehicles_[i]);
      plans_[kept] = plans_[i];
    }
    ++kept;
  }
  vehicles_.resize(kept);
  plans_.resize(kept);
}

void World::spawn_pedestrians() {
  const auto& spec = scenario_->pedestrians;
  const double now = time_s();
  if (spec.per_min <= 0 || now < next_pedestrian_s_) return;
  next_pedestrian_s_ = now + people_random_.exponential(60.0 / spec.per_min);
  PedestrianState person;
  const bool right_side = people_random_.chance(0.5);
  person.x_m = right_side ? people_random_.uniform(street::kRightKerbX + 0.8, street::kRightFacadeX - 0.8)
                          : people_random_.uniform(street::kLeftFacadeX + 1.0, street::kLeftKerbX - 0.6);
  const bool walking_away = people_random_.chance(0.5);
  person.z_m = walking_away ? 2.0 : 120.0;
  person.heading_z = walking_away ? 1.0 : -1.0;
  person.heading_x = 0;
  person.speed_mps = people_random_.uniform(1.1, 1.7);
  person.height_m = people_random_.uniform(1.55, 1.9);
  person.stride_phase = people_random_.uniform(0, 6.28);
  person.top = random_clothing(people_random_);
  person.bottom = random_clothing(people_random_);
  if (people_random_.chance(spec.crossing_share)) person.cross_at_z = people_random_.uniform(15, 70);
  pedestrians_.push_back(person);
}

void World::move_pedestrians() {
  for (auto& person : pedestrians_) {
    person.x_m += person.heading_x * person.speed_mps * kStepS;
    person.z_m += person.heading_z * person.speed_mps * kStepS;
    person.stride_phase += person.speed_mps * kStepS * 4.0;
    if (person.cross_at_z >= 0 && !person.crossing && std::abs(person.z_m - person.cross_at_z) < 0.1) {
      person.crossing = true;
      person.heading_z = 0;
      person.heading_x = person.x_m > 0 ? -1.0 : 1.0;
    }
    if (person.crossing) {
      const bool arrived = person.heading_x < 0 ? person.x_m < street::kLeftKerbX - 1.5 : person.x_m > street::kRightKerbX + 1.5;
      if (arrived) {
        person.crossing = false;
        person.cross_at_z = -1;
        person.heading_x = 0;
        person.heading_z = 1.0;
      }
    }
  }
  std::erase_if(pedestrians_, [](const PedestrianState& person) { return person.z_m < 0.0 || person.z_m > 140.0; });
}

void World::move_plumes() {
  const double now = time_s();
  for (std::size_t p = 0; p < plumes_.size(); ++p) {
    PlumeState& plume = plumes_[p];
    Random& random = plume_random_[p];
    double emit_per_s = 0;
    WorldPoint source;
    Point2 wind;
    double turbulence = 0.3;
    double rate = 1.0;
    if (plume.kind == PlumeKind::smoke) {
      const auto& spec = scenario_->smoke[static_cast<std::size_t>(plume.spec_index)];
      source = spec.source;
      wind = spec.wind_mps;
      turbulence = spec.turbulence;
      rate = spec.rate;
      if (now >= spec.start_s && now < spec.end_s) {
        emit_per_s = 10.0 * std::max(0.06, smoothstep((now - spec.start_s) / spec.growth_s));
      }
    } else {
      const auto& spec = scenario_->puffs[static_cast<std::size_t>(plume.spec_index)];
      source = spec.source;
      wind = spec.wind_mps;
      if (now >= spec.start_s && now < spec.start_s + spec.duration_s) emit_per_s = plume.kind == PlumeKind::steam ? 9.0 : 12.0;
    }
    // Poisson-free emission: a fixed count per second keeps the plume's
    // density smooth, the randomness goes into where each puff goes.
    const double emitted_before = std::floor(emit_per_s * (now - std::floor(now)));
    const double emitted_after = std::floor(emit_per_s * (now + kStepS - std::floor(now)));
    for (int n = static_cast<int>(emitted_after - emitted_before); n > 0; --n) {
      Puff puff;
      puff.x_m = source.x_m + random.normal(0, 0.25);
      puff.z_m = source.z_m + random.normal(0, 0.25);
      puff.y_m = source.height_m + 0.2;
      puff.age_s = 0;
      switch (plume.kind) {
        case PlumeKind::smoke:
          puff.vy = random.uniform(1.0, 1.7);
          puff.vx = wind.x * 0.3 + random.normal(0, 0.2);
          puff.vz = wind.y * 0.3 + random.normal(0, 0.2);
          puff.radius_m = random.uniform(0.45, 0.8);
          puff.opacity = std::min(0.9, (plume.colour[0] < 128 ? 0.6 : 0.5) * rate * random.uniform(0.7, 1.0));
          puff.life_s = random.uniform(16, 26);
          break;
        case PlumeKind::steam:
          puff.vy = random.uniform(1.4, 2.4);
          puff.vx = random.normal(0, 0.3);
          puff.vz = random.normal(0, 0.3);
          puff.radius_m = random.uniform(0.2, 0.4);
          puff.opacity = random.uniform(0.35, 0.55);
          puff.life_s = random.uniform(1.5, 3.0);
          break;
        case PlumeKind::dust:
          puff.x_m += random.normal(0, 2.0);
          puff.z_m += random.normal(0, 3.0);
          puff.y_m = random.uniform(0.1, 0.6);
          puff.vy = random.uniform(0.1, 0.45);
          puff.vx = wind.x * 0.6 + random.normal(0, 0.6);
          puff.vz = wind.y * 0.6 + random.normal(0, 0.6);
          puff.radius_m = random.uniform(0.7, 1.4);
          puff.opacity = random.uniform(0.12, 0.22);
          puff.life_s = random.uniform(5, 9);
          break;
      }
      plume.puffs.push_back(puff);
    }
    const double phase = static_cast<double>(p) * 1.7;
    for (auto& puff : plume.puffs) {
      // Turbulence: a smooth gust field shared by neighbouring puffs (so the
      // plume bends as a whole) plus each puff's own random kicks.
      const double gust_x = std::sin(0.9 * now + 0.7 * puff.y_m + phase) + 0.6 * std::sin(2.3 * now - 1.3 * puff.y_m + 2 * phase);
      const double gust_z = std::sin(0.7 * now + 0.9 * puff.y_m + 3 * phase);
      const double kick = turbulence * 1.6 * std::sqrt(kStepS);
      puff.vx += ((wind.x - puff.vx) / 3.0 + turbulence * 0.8 * gust_x) * kStepS + random.normal(0, kick);
      puff.vz += ((wind.y - puff.vz) / 3.0 + turbulence * 0.5 * gust_z) * kStepS + random.normal(0, kick);
      puff.vy *= std::exp(-kStepS / (plume.kind == PlumeKind::smoke ? 14.0 : 4.0));
      puff.vy += random.normal(0, kick * 0.5);
      puff.x_m += puff.vx * kStepS;
      puff.y_m = std::max(0.0, puff.y_m + puff.vy * kStepS);
      puff.z_m += puff.vz * kStepS;
      const double growth = plume.kind == PlumeKind::steam ? 0.5 : (plume.kind == PlumeKind::dust ? 0.35 : 0.28);
      puff.radius_m += growth * kStepS;
      puff.age_s += kStepS;
    }
    std::erase_if(plume.puffs, [](const Puff& puff) { return puff.age_s >= puff.life_s; });
  }
}

}  // namespace gridwatch::sim
