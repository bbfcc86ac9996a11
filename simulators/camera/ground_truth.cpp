#include "simulators/camera/ground_truth.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <nlohmann/json.hpp>

#include "simulators/camera/plume_density.hpp"
#include "simulators/camera/world.hpp"

namespace gridwatch::sim {
namespace {

// Dividing (rather than multiplying by 0.001) gives the double nearest the
// decimal, so the JSON shows 0.697 and not 0.6970000000000001.
double round_to(double value, double per_unit) { return std::round(value * per_unit) / per_unit; }
double time_value(double seconds) { return round_to(seconds, 1000); }
double coord_value(double value) { return round_to(value, 10000); }

nlohmann::json box_json(const NormBox& box) {
  return nlohmann::json::array({coord_value(box.x), coord_value(box.y), coord_value(box.w), coord_value(box.h)});
}

nlohmann::json optional_time(const std::optional<double>& seconds) {
  return seconds ? nlohmann::json(time_value(*seconds)) : nlohmann::json(nullptr);
}

NormBox union_of(const NormBox& a, const NormBox& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  const double x0 = std::min(a.x, b.x);
  const double y0 = std::min(a.y, b.y);
  const double x1 = std::max(a.x + a.w, b.x + b.w);
  const double y1 = std::max(a.y + a.h, b.y + b.h);
  return {x0, y0, x1 - x0, y1 - y0};
}

}  // namespace

int GroundTruth::violation_count() const {
  return static_cast<int>(std::count_if(parking.begin(), parking.end(), [](const auto& e) { return e.violation; }));
}

TruthRecorder::TruthRecorder(const Scenario& scenario)
    : scenario_(&scenario),
      camera_(nominal_camera(scenario)),
      grid_width_(kTruthGridWidth),
      grid_height_(std::max(1, static_cast<int>(std::lround(kTruthGridWidth / camera_.aspect())))) {
  truth_.zone_polygons = zone_polygons(scenario);
  for (const auto& spec : scenario.tamper) truth_.tamper.push_back({spec.kind, spec.start_s, spec.end_s});
  for (const auto& spec : scenario.smoke) {
    plumes_.push_back({"smoke", to_string(spec.shade), spec.start_s, std::nullopt, std::nullopt, {}});
  }
  for (const auto& spec : scenario.puffs) plumes_.push_back({to_string(spec.kind), "", spec.start_s, std::nullopt, std::nullopt, {}});
  for (const auto& fog : scenario.fog) {
    truth_.scene_events.push_back(
        {"fog", fog.start_s, std::min(scenario.duration_s, fog.start_s + 2 * fog.ramp_s + fog.hold_s), fog.density});
  }
  for (const auto& cloud : scenario.cloud_shadows) {
    truth_.scene_events.push_back(
        {"cloud_shadow", cloud.start_s, std::min(scenario.duration_s, cloud.start_s + cloud.duration_s), cloud.darkness});
  }
}

void TruthRecorder::observe(const World& world, int frame) {
  last_frame_ = frame;
  const double now = scenario_->frame_time(frame);
  // Parking: per (vehicle, zone) visits, judged by the bottom centre of the box.
  std::vector<std::pair<std::string, std::size_t>> present;
  const bool view_lost = std::any_of(truth_.tamper.begin(), truth_.tamper.end(), [&](const TamperEvent& fault) {
    return fault.start_s <= now && (!fault.end_s || now < *fault.end_s);
  });
  for (const auto& vehicle : world.vehicles()) {
    const NormBox box = camera_.box_of(vehicle.x_m, vehicle.z_m, vehicle.width_m, vehicle.length_m, vehicle.height_m);
    if (box.empty()) continue;
    const Point2 foot = box.bottom_centre();
    for (std::size_t zone = 0; zone < truth_.zone_polygons.size(); ++zone) {
      if (!point_in_polygon(foot, truth_.zone_polygons[zone])) continue;
      const auto key = std::pair{vehicle.id, zone};
      present.push_back(key);
      auto [it, fresh] = open_.try_emplace(key);
      Visit& visit = it->second;
      if (fresh) {
        visit.episode.zone_id = scenario_->zones[zone].id;
        visit.episode.vehicle_id = vehicle.id;
        visit.episode.vehicle_kind = to_string(vehicle.kind);
        visit.episode.vehicle_colour = vehicle.colour_name;
        visit.episode.enter_s = now;
      }
      const double dwell = scenario_->zones[zone].dwell_s;
      if (vehicle.stationary()) {
        if (!visit.standing) {
          visit.standing = true;
          visit.run_start_s = now;
          visit.run_box = box;
          if (!visit.first_stop_s) {
            visit.first_stop_s = now;
            visit.first_box = box;
          }
        }
        // A violation must be observable: the camera has to show the
        // vehicle standing for its whole dwell. While any tamper fault
        // spoils the picture (covered, turned, defocused or frozen: no
        // usable evidence either) the dwell clock is held at zero, and it
        // counts again once the picture is back. A stay the camera could
        // not watch for its allowed dwell is no violation it can prove.
        if (view_lost && !visit.clock_set) visit.seen_since_s = now;
        const double clock_start = std::max(visit.run_start_s, visit.seen_since_s);
        if (!visit.clock_set && now - clock_start >= dwell - 1e-9) {
          visit.clock_set = true;
          visit.episode.violation = true;
          visit.episode.stop_s = visit.run_start_s;
          visit.episode.alert_due_s = clock_start + dwell;
          visit.episode.box = visit.run_box;
        }
      } else if (visit.standing) {
        visit.standing = false;
        if (visit.clock_set && !visit.episode.moving_again_s) visit.episode.moving_again_s = now;
        if (!visit.first_move_s) visit.first_move_s = now;
      }
    }
  }
  for (auto it = open_.begin(); it != open_.end();) {
    if (std::find(present.begin(), present.end(), it->first) == present.end()) {
      close(it->second, now);
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
  // Plumes: visible boxes on the fixed truth grid.
  for (std::size_t p = 0; p < world.plumes().size(); ++p) {
    const AlphaGrid grid = plume_alpha(world.plumes()[p], camera_, grid_width_, grid_height_);
    const NormBox box = visible_box(grid);
    if (box.empty()) continue;
    PlumeEpisode& episode = plumes_[p];
    if (!episode.visible_onset_s) episode.visible_onset_s = now;
    episode.end_s = now;
    episode.region = union_of(episode.region, box);
  }
}

void TruthRecorder::close(Visit& visit, std::optional<double> leave_s) {
  if (!visit.first_stop_s) return;  // drove through: not an episode
  ParkingEpisode episode = visit.episode;
  if (!visit.clock_set) {
    episode.stop_s = *visit.first_stop_s;
    episode.box = visit.first_box;
    episode.moving_again_s = visit.first_move_s;
  }
  episode.leave_s = leave_s;
  if (!visit.clock_set) {
    for (std::size_t zone = 0; zone < scenario_->zones.size(); ++zone) {
      if (scenario_->zones[zone].id == episode.zone_id) episode.alert_due_s = episode.stop_s + scenario_->zones[zone].dwell_s;
    }
  }
  truth_.parking.push_back(episode);
}

GroundTruth TruthRecorder::finish() const {
  TruthRecorder copy = *this;
  for (auto& [key, visit] : copy.open_) copy.close(visit, std::nullopt);
  copy.open_.clear();
  GroundTruth truth = copy.truth_;
  truth.frames = last_frame_ + 1;
  for (const auto& plume : plumes_) (plume.kind == "smoke" ? truth.smoke : truth.distractors).push_back(plume);
  std::sort(truth.parking.begin(), truth.parking.end(), [](const ParkingEpisode& a, const ParkingEpisode& b) {
    return std::tie(a.enter_s, a.zone_id, a.vehicle_id) < std::tie(b.enter_s, b.zone_id, b.vehicle_id);
  });
  return truth;
}

GroundTruth compute_ground_truth(const Scenario& scenario) {
  World world(scenario);
  TruthRecorder recorder(scenario);
  for (int frame = 0; frame < scenario.frame_count(); ++frame) {
    world.advance_to_frame(frame);
    recorder.observe(world, frame);
  }
  return recorder.finish();
}

std::string truth_to_json(const GroundTruth& truth, const Scenario& scenario) {
  using nlohmann::json;
  json zones = json::array();
  for (std::size_t i = 0; i < scenario.zones.size(); ++i) {
    json polygon = json::array();
    for (const auto& point : truth.zone_polygons[i]) polygon.push_back({coord_value(point.x), coord_value(point.y)});
    zones.push_back({{"id", scenario.zones[i].id}, {"polygon", polygon}, {"dwell_s", scenario.zones[i].dwell_s}});
  }
  json parking = json::array();
  for (const auto& e : truth.parking) {
    parking.push_back({{"zone", e.zone_id},
                       {"vehicle", e.vehicle_id},
                       {"vehicle_kind", e.vehicle_kind},
                       {"vehicle_colour", e.vehicle_colour},
                       {"enter_s", time_value(e.enter_s)},
                       {"stop_s", time_value(e.stop_s)},
                       {"moving_again_s", optional_time(e.moving_again_s)},
                       {"leave_s", optional_time(e.leave_s)},
                       {"violation", e.violation},
                       {"alert_due_s", time_value(e.alert_due_s)},
                       {"box", box_json(e.box)}});
  }
  auto plume_json = [](const PlumeEpisode& e) {
    json out = {{"kind", e.kind},
                {"start_s", time_value(e.start_s)},
                {"visible_onset_s", optional_time(e.visible_onset_s)},
                {"end_s", optional_time(e.end_s)},
                {"region", e.end_s ? box_json(e.region) : json(nullptr)}};
    if (!e.shade.empty()) out["shade"] = e.shade;
    return out;
  };
  json smoke = json::array();
  for (const auto& e : truth.smoke) smoke.push_back(plume_json(e));
  json distractors = json::array();
  for (const auto& e : truth.distractors) distractors.push_back(plume_json(e));
  for (const auto& e : truth.scene_events) {
    distractors.push_back({{"kind", e.kind},
                           {"start_s", time_value(e.start_s)},
                           {"end_s", time_value(e.end_s)},
                           {"strength", coord_value(e.strength)}});
  }
  json tamper = json::array();
  for (const auto& e : truth.tamper) {
    tamper.push_back({{"kind", to_string(e.kind)}, {"start_s", time_value(e.start_s)}, {"end_s", optional_time(e.end_s)}});
  }
  json root = {
      {"format", "gridwatch-sim-camera-truth/1"},
      {"scenario", {{"name", scenario.name}, {"purpose", scenario.purpose}, {"seed", scenario.seed}}},
      {"video",
       {{"width", scenario.width},
        {"height", scenario.height},
        {"fps", scenario.fps},
        {"frames", truth.frames},
        {"duration_s", time_value(truth.frames / static_cast<double>(scenario.fps))},
        {"time_of_day", to_string(scenario.time_of_day)}}},
      {"camera", {{"id", scenario.camera_id}, {"zones", zones}}},
      {"parking", parking},
      {"smoke", smoke},
      {"tamper", tamper},
      {"distractors", distractors},
  };
  return root.dump(2) + "\n";
}

std::string camera_config_yaml(const Scenario& scenario) {
  const auto polygons = zone_polygons(scenario);
  std::string out = fmt::format("# Written by gridwatch-sim camera for scenario {}\nid: {}\n", scenario.name, scenario.camera_id);
  if (scenario.zones.empty()) return out + "zones: []\n";
  out += "zones:\n";
  for (std::size_t i = 0; i < scenario.zones.size(); ++i) {
    out += fmt::format("  - id: {}\n    polygon: [", scenario.zones[i].id);
    for (std::size_t p = 0; p < polygons[i].size(); ++p) {
      out += fmt::format("{}[{:.4f}, {:.4f}]", p == 0 ? "" : ", ", polygons[i][p].x, polygons[i][p].y);
    }
    out += fmt::format("]\n    dwell_s: {}\n", scenario.zones[i].dwell_s);
  }
  return out;
}

}  // namespace gridwatch::sim
