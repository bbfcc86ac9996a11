#include "simulators/camera/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "common/config_reader.hpp"

namespace gridwatch::sim {
namespace {

constexpr double kMaxDurationS = 3600;
constexpr double kFarthestM = 200;

struct NamedColour {
  const char* name;
  Colour bgr;
};

// Weighted towards the grey, white, black and silver that dominate real
// streets, which are also the colours a detector confuses with asphalt,
// glare and shadow.
constexpr NamedColour kColours[] = {
    {"grey", {118, 118, 114}},  {"silver", {172, 170, 166}}, {"white", {228, 230, 232}},
    {"black", {26, 26, 28}},    {"dark_grey", {66, 66, 64}}, {"red", {40, 38, 170}},
    {"dark_red", {30, 28, 100}}, {"blue", {150, 80, 40}},    {"dark_blue", {90, 45, 25}},
    {"green", {60, 110, 50}},   {"beige", {150, 180, 196}},  {"yellow", {40, 190, 225}},
    {"orange", {30, 120, 220}}, {"brown", {40, 60, 92}},
};

const std::vector<std::string> kLaneNames{"oncoming", "outgoing", "kerb"};
const std::vector<std::string> kKindNames{"car", "hatchback", "suv", "van", "truck", "bus"};
const std::vector<std::string> kTimeNames{"day", "dusk", "night"};
const std::vector<std::string> kShadeNames{"light", "dark"};
const std::vector<std::string> kTamperNames{"covered", "defocus", "turned", "frozen"};
const std::vector<std::string> kPuffNames{"steam", "dust"};

template <typename Enum>
Enum enum_from(const std::vector<std::string>& names, const std::string& text) {
  const auto found = std::find(names.begin(), names.end(), text);
  return static_cast<Enum>(found - names.begin());
}

Lane lane_from(const std::string& text) { return enum_from<Lane>(kLaneNames, text); }

class ScenarioReader {
 public:
  ScenarioReader(YAML::Node root, std::string file, ConfigErrors& errors)
      : root_(std::move(root), "", file, errors), file_(std::move(file)) {}

  Scenario read() {
    Scenario scenario;
    scenario.source_file = file_;
    root_.get_id("name", scenario.name, Need::required);
    root_.get("purpose", scenario.purpose, Need::required);
    if (root_.has("purpose") && scenario.purpose.empty()) root_.error("purpose", "must not be empty");
    std::int64_t seed = 1;
    if (root_.get("seed", seed, 0, std::int64_t{1} << 53)) scenario.seed = static_cast<std::uint64_t>(seed);
    root_.get("duration_s", scenario.duration_s, 1, kMaxDurationS);
    root_.get("fps", scenario.fps, 1, 60);
    root_.get("width", scenario.width, 64, 3840);
    root_.get("height", scenario.height, 48, 2160);
    root_.get_id("camera_id", scenario.camera_id);
    duration_ = scenario.duration_s;
    read_camera(scenario);
    read_scene(scenario);
    read_traffic(scenario);
    read_zones(scenario);
    read_vehicles(scenario);
    read_jams(scenario);
    read_weather(scenario);
    read_smoke(scenario);
    read_puffs(scenario);
    read_tamper(scenario);
    int expected = 0;
    if (root_.get("expect_violations", expected, 0, 1000)) scenario.expect_violations = expected;
    root_.finish();
    return scenario;
  }

 private:
  // A time inside the scenario; the end itself is allowed.
  void get_time(YamlSection& section, std::string_view key, double& out, Need need = Need::optional) {
    section.get(key, out, 0, kMaxDurationS, need);
    if (section.has(key) && out > duration_) {
      section.error(key, fmt::format("{} is after the end of the scenario (duration_s {})", out, duration_));
    }
  }

  void read_camera(Scenario& scenario) {
    auto camera = root_.section("camera");
    if (!camera) return;
    camera->get("x_m", scenario.camera.x_m, -12, -3);
    camera->get("height_m", scenario.camera.height_m, 3, 15);
    camera->get("yaw_deg", scenario.camera.yaw_deg, 0, 35);
    camera->get("pitch_deg", scenario.camera.pitch_deg, 3, 30);
    camera->get("focal", scenario.camera.focal, 0.5, 2.0);
    camera->get("shake_px", scenario.shake_px, 0, 40);
    camera->get("noise", scenario.noise, 0, 0.2);
    camera->finish();
  }

  void read_scene(Scenario& scenario) {
    auto scene = root_.section("scene");
    if (!scene) return;
    std::string time_of_day = "day";
    if (scene->get_choice("time_of_day", time_of_day, kTimeNames)) {
      scenario.time_of_day = enum_from<TimeOfDay>(kTimeNames, time_of_day);
    }
    scene->get("illumination_drift", scenario.illumination_drift, 0, 0.5);
    scene->get("illumination_period_s", scenario.illumination_period_s, 10, 7200);
    scene->get("buildings", scenario.building_count, 0, 40);
    scene->get("trees", scenario.tree_count, 0, 20);
    scene->get("parked_decor", scenario.parked_decor_count, 0, 12);
    if (auto people = scene->section("pedestrians")) {
      people->get("per_min", scenario.pedestrians.per_min, 0, 60);
      people->get("crossing_share", scenario.pedestrians.crossing_share, 0, 1);
      people->finish();
    }
    scene->finish();
  }

  void read_traffic(Scenario& scenario) {
    auto traffic = root_.section("traffic");
    if (!traffic) return;
    auto& spec = scenario.traffic;
    traffic->get("outgoing_per_min", spec.outgoing_per_min, 0, 40);
    traffic->get("oncoming_per_min", spec.oncoming_per_min, 0, 40);
    traffic->get("speed_mps", spec.speed_mps, 2, 25);
    traffic->get("trucks_share", spec.trucks_share, 0, 1);
    traffic->get("buses_share", spec.buses_share, 0, 1);
    get_time(*traffic, "start_s", spec.start_s);
    if (spec.trucks_share + spec.buses_share > 1) traffic->error("buses_share", "trucks_share + buses_share exceed 1");
    traffic->finish();
  }

  std::vector<Lane> read_lanes(YamlSection& section, std::string_view key) {
    std::vector<Lane> lanes;
    YAML::Node node = section.raw(key);
    if (!node.IsDefined()) return lanes;
    const auto path = section.key_path(key);
    if (!node.IsSequence() || node.size() == 0) {
      section.error_at(node, path, "expected a non-empty list of lanes (oncoming, outgoing, kerb)");
      return lanes;
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
      const YAML::Node item = node[i];
      if (!item.IsScalar() ||
          std::find(kLaneNames.begin(), kLaneNames.end(), item.Scalar()) == kLaneNames.end()) {
        section.error_at(item, fmt::format("{}[{}]", path, i), "expected one of: oncoming, outgoing, kerb");
        continue;
      }
      lanes.push_back(lane_from(item.Scalar()));
    }
    std::sort(lanes.begin(), lanes.end());
    for (std::size_t i = 1; i < lanes.size(); ++i) {
      const auto step = static_cast<int>(lanes[i]) - static_cast<int>(lanes[i - 1]);
      if (step != 1) {
        section.error_at(node, path, "lanes must be distinct and next to each other");
        break;
      }
    }
    return lanes;
  }

  std::vector<Point2> read_polygon(YamlSection& section, std::string_view key) {
    std::vector<Point2> polygon;
    YAML::Node node = section.raw(key);
    const auto path = section.key_path(key);
    if (!node.IsSequence() || node.size() < 3) {
      section.error_at(node, path, "expected a list of at least 3 [x, y] points in 0..1");
      return {};
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
      const YAML::Node point = node[i];
      double x = 0;
      double y = 0;
      const bool pair = point.IsSequence() && point.size() == 2 && point[0].IsScalar() && point[1].IsScalar() &&
                        YAML::convert<double>::decode(point[0], x) && YAML::convert<double>::decode(point[1], y);
      if (!pair || !(x >= 0 && x <= 1 && y >= 0 && y <= 1)) {
        section.error_at(point, fmt::format("{}[{}]", path, i), "expected [x, y] with both in 0..1");
        return {};
      }
      polygon.push_back({x, y});
    }
    double twice_area = 0;
    for (std::size_t i = 0; i < polygon.size(); ++i) {
      const auto& a = polygon[i];
      const auto& b = polygon[(i + 1) % polygon.size()];
      twice_area += a.x * b.y - b.x * a.y;
    }
    if (std::abs(twice_area) < 1e-6) section.error_at(node, path, "the polygon has no area");
    return polygon;
  }

  void read_zones(Scenario& scenario) {
    std::set<std::string> ids;
    for (auto& zone_section : root_.sections("zones")) {
      ZoneSpec zone;
      if (zone_section.get_id("id", zone.id, Need::required) && !ids.insert(zone.id).second) {
        zone_section.error("id", fmt::format("zone id \"{}\" is used twice", zone.id));
      }
      zone_section.get("dwell_s", zone.dwell_s, 1, 3600, Need::required);
      const bool has_polygon = zone_section.has("polygon");
      const bool has_span = zone_section.has("span");
      if (has_polygon == has_span) {
        zone_section.error("id", "give exactly one of polygon (normalised image points) or span (lanes and distances)");
      }
      if (has_polygon) zone.polygon = read_polygon(zone_section, "polygon");
      if (auto span_section = zone_section.section("span")) {
        ZoneSpec::Span span;
        span_section->get("from_m", span.from_m, 5, kFarthestM, Need::required);
        span_section->get("to_m", span.to_m, 5, kFarthestM, Need::required);
        if (span.to_m <= span.from_m) span_section->error("to_m", "must be greater than from_m");
        span.lanes = span_section->has("lanes") ? read_lanes(*span_section, "lanes") : std::vector<Lane>{Lane::kerb};
        span_section->finish();
        zone.span = span;
      }
      zone_section.finish();
      scenario.zones.push_back(std::move(zone));
    }
  }

  void read_vehicles(Scenario& scenario) {
    std::set<std::string> ids;
    for (auto& section : root_.sections("vehicles")) {
      VehicleSpec vehicle;
      if (section.get_id("id", vehicle.id, Need::required) && !ids.insert(vehicle.id).second) {
        section.error("id", fmt::format("vehicle id \"{}\" is used twice", vehicle.id));
      }
      std::string text;
      if (section.get_choice("kind", text, kKindNames)) vehicle.kind = enum_from<VehicleKind>(kKindNames, text);
      section.get_choice("colour", vehicle.colour_name, vehicle_colour_names());
      if (section.get_choice("lane", text, kLaneNames, Need::required)) vehicle.lane = lane_from(text);
      get_time(section, "enter_s", vehicle.enter_s);
      section.get("speed_mps", vehicle.speed_mps, 2, 25);
      section.get("parked_at_start", vehicle.parked_at_start);
      if (auto stop_section = section.section("stop")) {
        VehicleStop stop;
        stop_section->get("at_m", stop.at_m, 8, 150, Need::required);
        double for_s = 0;
        if (stop_section->get("for_s", for_s, 0.5, kMaxDurationS)) stop.for_s = for_s;
        stop_section->finish();
        vehicle.stop = stop;
      }
      if (vehicle.parked_at_start && !vehicle.stop) {
        section.error("parked_at_start", "needs a stop (where the vehicle stands)");
      }
      if (vehicle.parked_at_start && section.has("enter_s") && vehicle.enter_s != 0) {
        section.error("enter_s", "a vehicle parked at the start enters at 0");
      }
      if (vehicle.lane == Lane::kerb && !vehicle.stop) {
        section.error("lane", "a kerb-lane vehicle needs a stop (it pulls in to park)");
      }
      section.finish();
      scenario.vehicles.push_back(std::move(vehicle));
    }
  }

  void read_jams(Scenario& scenario) {
    for (auto& section : root_.sections("jams")) {
      JamSpec jam;
      std::string lane;
      if (section.get_choice("lane", lane, {"oncoming", "outgoing"}, Need::required)) jam.lane = lane_from(lane);
      section.get("at_m", jam.at_m, 10, 180, Need::required);
      get_time(section, "start_s", jam.start_s, Need::required);
      jam.end_s = duration_;
      get_time(section, "end_s", jam.end_s);
      section.get("red_s", jam.red_s, 1, 600);
      section.get("green_s", jam.green_s, 1, 600);
      if (jam.end_s <= jam.start_s) section.error("end_s", "must be after start_s");
      section.finish();
      scenario.jams.push_back(jam);
    }
  }

  void read_weather(Scenario& scenario) {
    if (auto weather = root_.section("weather")) {
      weather->get("rain", scenario.rain, 0, 1);
      for (auto& section : weather->sections("cloud_shadows")) {
        CloudShadowSpec cloud;
        get_time(section, "start_s", cloud.start_s, Need::required);
        section.get("duration_s", cloud.duration_s, 1, 600);
        section.get("darkness", cloud.darkness, 0.05, 0.8);
        section.get("softness", cloud.softness, 0.01, 1.0);
        section.finish();
        scenario.cloud_shadows.push_back(cloud);
      }
      for (auto& section : weather->sections("fog")) {
        FogSpec fog;
        get_time(section, "start_s", fog.start_s, Need::required);
        section.get("ramp_s", fog.ramp_s, 1, 1200);
        section.get("hold_s", fog.hold_s, 0, 3600);
        section.get("density", fog.density, 0.05, 0.95);
        section.finish();
        scenario.fog.push_back(fog);
      }
      weather->finish();
    }
  }

  WorldPoint read_point(YamlSection& parent, std::string_view key) {
    WorldPoint point;
    if (auto section = parent.section(key, Need::required)) {
      section->get("x_m", point.x_m, -14, 14, Need::required);
      section->get("z_m", point.z_m, 8, kFarthestM, Need::required);
      section->get("height_m", point.height_m, 0, 40);
      section->finish();
    }
    return point;
  }

  Point2 read_wind(YamlSection& section, Point2 wind) {
    YAML::Node node = section.raw("wind_mps");
    if (!node.IsDefined()) return wind;
    double x = 0;
    double z = 0;
    if (!node.IsSequence() || node.size() != 2 || !YAML::convert<double>::decode(node[0], x) ||
        !YAML::convert<double>::decode(node[1], z) || std::abs(x) > 15 || std::abs(z) > 15) {
      section.error_at(node, section.key_path("wind_mps"), "expected [across, along] in m/s, each within -15..15");
      return wind;
    }
    return {x, z};
  }

  void read_smoke(Scenario& scenario) {
    for (auto& section : root_.sections("smoke")) {
      SmokeSpec smoke;
      get_time(section, "start_s", smoke.start_s, Need::required);
      smoke.end_s = duration_;
      get_time(section, "end_s", smoke.end_s);
      if (smoke.end_s <= smoke.start_s) section.error("end_s", "must be after start_s");
      smoke.source = read_point(section, "source");
      std::string shade;
      if (section.get_choice("shade", shade, kShadeNames)) smoke.shade = enum_from<SmokeShade>(kShadeNames, shade);
      section.get("rate", smoke.rate, 0.1, 3);
      section.get("growth_s", smoke.growth_s, 0.5, 600);
      smoke.wind_mps = read_wind(section, smoke.wind_mps);
      section.get("turbulence", smoke.turbulence, 0, 2);
      section.finish();
      scenario.smoke.push_back(smoke);
    }
  }

  void read_puffs(Scenario& scenario) {
    for (auto& section : root_.sections("puffs")) {
      PuffSpec puff;
      std::string kind;
      if (section.get_choice("kind", kind, kPuffNames, Need::required)) {
        puff.kind = enum_from<DistractorKind>(kPuffNames, kind);
      }
      get_time(section, "start_s", puff.start_s, Need::required);
      section.get("duration_s", puff.duration_s, 0.5, 120);
      puff.source = read_point(section, "source");
      puff.wind_mps = read_wind(section, puff.wind_mps);
      section.finish();
      scenario.puffs.push_back(puff);
    }
  }

  void read_tamper(Scenario& scenario) {
    for (auto& section : root_.sections("tamper")) {
      TamperSpec tamper;
      std::string kind;
      if (section.get_choice("kind", kind, kTamperNames, Need::required)) {
        tamper.kind = enum_from<TamperKind>(kTamperNames, kind);
      }
      get_time(section, "start_s", tamper.start_s, Need::required);
      double end_s = 0;
      if (section.has("end_s")) {
        get_time(section, "end_s", end_s);
        if (end_s <= tamper.start_s) section.error("end_s", "must be after start_s");
        tamper.end_s = end_s;
      }
      section.get("turn_deg", tamper.turn_deg, 3, 60);
      if (section.has("turn_deg") && tamper.kind != TamperKind::turned) {
        section.error("turn_deg", "only applies to kind: turned");
      }
      section.finish();
      scenario.tamper.push_back(tamper);
    }
  }

  YamlSection root_;
  std::string file_;
  double duration_ = 120;
};

Scenario read_root(const YAML::Node& root, const std::string& name, ConfigErrors& errors) {
  Scenario scenario = ScenarioReader(root, name, errors).read();
  if (!errors.empty()) throw ConfigInvalid(std::move(errors));
  return scenario;
}

}  // namespace

int Scenario::frame_count() const { return static_cast<int>(std::floor(duration_s * fps + 1e-9)); }

Scenario parse_scenario_file(const std::string& path) {
  ConfigErrors errors;
  auto root = load_yaml_file(path, errors);
  if (!root) throw ConfigInvalid(std::move(errors));
  return read_root(*root, path, errors);
}

Scenario parse_scenario_text(const std::string& text, const std::string& name) {
  ConfigErrors errors;
  auto root = load_yaml_text(text, name, errors);
  if (!root) throw ConfigInvalid(std::move(errors));
  return read_root(*root, name, errors);
}

const std::vector<std::string>& vehicle_colour_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& colour : kColours) out.emplace_back(colour.name);
    return out;
  }();
  return names;
}

Colour vehicle_colour(const std::string& name) {
  for (const auto& colour : kColours) {
    if (name == colour.name) return colour.bgr;
  }
  return kColours[0].bgr;
}

const char* to_string(Lane lane) { return kLaneNames[static_cast<std::size_t>(lane)].c_str(); }
const char* to_string(VehicleKind kind) { return kKindNames[static_cast<std::size_t>(kind)].c_str(); }
const char* to_string(TamperKind kind) { return kTamperNames[static_cast<std::size_t>(kind)].c_str(); }
const char* to_string(DistractorKind kind) { return kPuffNames[static_cast<std::size_t>(kind)].c_str(); }
const char* to_string(SmokeShade shade) { return kShadeNames[static_cast<std::size_t>(shade)].c_str(); }
const char* to_string(TimeOfDay time_of_day) { return kTimeNames[static_cast<std::size_t>(time_of_day)].c_str(); }

}  // namespace gridwatch::sim
