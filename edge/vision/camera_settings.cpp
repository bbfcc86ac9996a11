#include "edge/vision/camera_settings.hpp"

#include <fmt/format.h>

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <set>
#include <sstream>

namespace gridwatch::edge::vision {
namespace {

constexpr std::array<const char*, 7> kDayNames{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::optional<int> day_index(const std::string& name) {
  for (std::size_t i = 0; i < kDayNames.size(); ++i) {
    if (name == kDayNames[i]) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::optional<int> parse_clock(const std::string& text) {
  int hours = 0;
  int minutes = 0;
  char colon = 0;
  std::istringstream in(text);
  if (!(in >> hours >> colon >> minutes) || colon != ':' || !in.eof()) return std::nullopt;
  if (hours < 0 || minutes < 0 || minutes > 59 || hours > 24 || (hours == 24 && minutes != 0)) return std::nullopt;
  return hours * 60 + minutes;
}

NormPolygon read_polygon(YamlSection& section, const YAML::Node& node, const std::string& path) {
  NormPolygon polygon;
  if (!node.IsSequence() || node.size() < 3) {
    section.error_at(node, path, "expected a list of at least 3 [x, y] points, each in 0..1");
    return {};
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node point = node[i];
    NormPoint p;
    const bool decoded = point.IsSequence() && point.size() == 2 && YAML::convert<double>::decode(point[0], p.x) &&
                         YAML::convert<double>::decode(point[1], p.y);
    if (!decoded || p.x < 0 || p.x > 1 || p.y < 0 || p.y > 1) {
      section.error_at(point, fmt::format("{}[{}]", path, i), "expected [x, y] with both in 0..1");
      return {};
    }
    polygon.push_back(p);
  }
  std::vector<cv::Point2f> contour;
  for (const auto& p : polygon) contour.emplace_back(static_cast<float>(p.x), static_cast<float>(p.y));
  const double area = cv::contourArea(contour);
  if (area < 5e-7) section.error_at(node, path, "the polygon has no area");
  return polygon;
}

Schedule read_schedule(YamlSection& section) {
  Schedule schedule;
  const YAML::Node node = section.raw("schedule");
  if (!node.IsDefined()) return schedule;
  const auto path = section.key_path("schedule");
  if (!node.IsSequence()) {
    section.error_at(node, path, "expected a list of windows such as \"mon-fri 07:00-20:00\"");
    return schedule;
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    const auto window = node[i].IsScalar() ? parse_schedule_window(node[i].Scalar()) : std::nullopt;
    if (!window) {
      section.error_at(node[i], fmt::format("{}[{}]", path, i),
                       "expected \"DAYS HH:MM-HH:MM\" with DAYS like mon-fri, sat,sun or daily");
      continue;
    }
    schedule.windows.push_back(*window);
  }
  return schedule;
}

ZoneSettings read_zone(YamlSection& section) {
  ZoneSettings zone;
  section.get_id("id", zone.id, Need::required);
  if (section.has("polygon")) {
    zone.polygon = read_polygon(section, section.raw("polygon"), section.key_path("polygon"));
  } else {
    section.raw("polygon");
    section.error("id", "missing required key polygon");
  }
  section.get("dwell_s", zone.dwell_s, 1, 86'400);
  zone.schedule = read_schedule(section);
  section.finish();
  return zone;
}

void read_vehicle(YamlSection& section, VehicleFilter& vehicle) {
  section.get("min_width", vehicle.min_width, 0, 1);
  section.get("min_height", vehicle.min_height, 0, 1);
  section.get("max_width", vehicle.max_width, 0, 1);
  section.get("max_height", vehicle.max_height, 0, 1);
  section.get("min_aspect", vehicle.min_aspect, 0.05, 20);
  section.get("max_aspect", vehicle.max_aspect, 0.05, 20);
  if (vehicle.min_width > vehicle.max_width) section.error("min_width", "must not exceed max_width");
  if (vehicle.min_height > vehicle.max_height) section.error("min_height", "must not exceed max_height");
  if (vehicle.min_aspect > vehicle.max_aspect) section.error("min_aspect", "must not exceed max_aspect");
  section.finish();
}

void read_detector(YamlSection& section, DetectorSettings& detector) {
  section.get("min_static_s", detector.min_static_s, 1, 600);
  section.get("max_occlusion_s", detector.max_occlusion_s, 1, 3600);
  section.get("leave_confirm_s", detector.leave_confirm_s, 0.2, 60);
  section.get("warmup_s", detector.warmup_s, 1, 600);
  section.get("difference", detector.difference, 0.1, 5);
  section.finish();
}

void read_tamper(YamlSection& section, TamperSettings& tamper) {
  section.get("enabled", tamper.enabled);
  section.get("hold_s", tamper.hold_s, 0.5, 600);
  section.get("frozen_s", tamper.frozen_s, 1, 600);
  section.get("dark_level", tamper.dark_level, 0, 255);
  section.get("defocus_ratio", tamper.defocus_ratio, 0.01, 0.95);
  section.get("moved_match", tamper.moved_match, 0.01, 0.95);
  section.finish();
}

std::vector<NormPolygon> read_masks(YamlSection& section) {
  std::vector<NormPolygon> masks;
  const YAML::Node node = section.raw("masks");
  if (!node.IsDefined()) return masks;
  if (!node.IsSequence()) {
    section.error_at(node, section.key_path("masks"), "expected a list of polygons");
    return masks;
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    masks.push_back(read_polygon(section, node[i], fmt::format("{}[{}]", section.key_path("masks"), i)));
  }
  return masks;
}

void read_smoke(YamlSection& section, SmokeSettings& smoke) {
  section.get("enabled", smoke.enabled);
  section.get("sensitivity", smoke.sensitivity, 0, 1);
  section.get("persistence_s", smoke.persistence_s, 0.5, 60);
  section.get("confirm_s", smoke.confirm_s, 0, 120);
  section.get("clear_s", smoke.clear_s, 1, 3600);
  section.get("blocks_across", smoke.blocks_across, 10, 160);
  section.get("min_blocks", smoke.min_blocks, 1, 400);
  section.get("max_global_share", smoke.max_global_share, 0.05, 1);
  section.get("warmup_s", smoke.warmup_s, 1, 600);
  smoke.masks = read_masks(section);
  section.finish();
}

DnnSettings read_dnn(YamlSection& section) {
  DnnSettings dnn;
  section.get("model", dnn.model, Need::required);
  section.get("config", dnn.config);
  section.get("names", dnn.names, Need::required);
  std::vector<std::string> classes;
  if (section.get_list("classes", classes)) {
    if (classes.empty()) {
      section.error("classes", "expected a non-empty list of class names");
    } else {
      dnn.classes = std::move(classes);
    }
  }
  section.get("confidence", dnn.confidence, 0.01, 0.99);
  section.get("input_size", dnn.input_size, 64, 1024);
  if (dnn.input_size % 32 != 0) section.error("input_size", "must be a multiple of 32");
  section.finish();
  return dnn;
}

}  // namespace

bool Schedule::active_at(WeekTime time) const {
  if (windows.empty()) return true;
  const auto day = static_cast<std::size_t>(time.day % 7);
  const auto previous = static_cast<std::size_t>((time.day + 6) % 7);
  for (const auto& window : windows) {
    if (window.start_minute <= window.end_minute) {
      if (window.days[day] && time.minute >= window.start_minute && time.minute < window.end_minute) return true;
    } else {  // over midnight: the evening of a listed day, or the morning after it
      if (window.days[day] && time.minute >= window.start_minute) return true;
      if (window.days[previous] && time.minute < window.end_minute) return true;
    }
  }
  return false;
}

std::optional<ScheduleWindow> parse_schedule_window(const std::string& text) {
  std::istringstream in(text);
  std::string days_text;
  std::string times_text;
  std::string rest;
  if (!(in >> days_text >> times_text) || (in >> rest)) return std::nullopt;
  ScheduleWindow window;
  if (days_text == "daily") {
    window.days.fill(true);
  } else {
    std::istringstream parts(days_text);
    std::string part;
    while (std::getline(parts, part, ',')) {
      const auto dash = part.find('-');
      const auto first = day_index(part.substr(0, dash));
      const auto last = dash == std::string::npos ? first : day_index(part.substr(dash + 1));
      if (!first || !last) return std::nullopt;
      for (int d = *first;; d = (d + 1) % 7) {
        window.days[static_cast<std::size_t>(d)] = true;
        if (d == *last) break;
      }
    }
  }
  const auto dash = times_text.find('-');
  if (dash == std::string::npos) return std::nullopt;
  const auto start = parse_clock(times_text.substr(0, dash));
  const auto end = parse_clock(times_text.substr(dash + 1));
  if (!start || !end || *start == *end) return std::nullopt;
  window.start_minute = *start;
  window.end_minute = *end;
  return window;
}

CameraSettings read_camera_settings(YamlSection& section) {
  CameraSettings camera;
  section.get_id("id", camera.id, Need::required);
  std::set<std::string> zone_ids;
  for (auto& zone_section : section.sections("zones")) {
    auto zone = read_zone(zone_section);
    if (!zone.id.empty() && !zone_ids.insert(zone.id).second) {
      zone_section.error("id", fmt::format("zone id \"{}\" is used twice", zone.id));
    }
    camera.zones.push_back(std::move(zone));
  }
  camera.masks = read_masks(section);
  if (auto vehicle = section.section("vehicle")) read_vehicle(*vehicle, camera.vehicle);
  if (auto analysis = section.section("analysis")) {
    analysis->get("fps", camera.analysis.fps, 0.5, 30);
    analysis->get("width", camera.analysis.width, 96, 1920);
    if (camera.analysis.width % 2 != 0) analysis->error("width", "must be even");
    analysis->finish();
  }
  if (auto detector = section.section("detector")) read_detector(*detector, camera.detector);
  if (auto tamper = section.section("tamper")) read_tamper(*tamper, camera.tamper);
  if (auto smoke = section.section("smoke")) read_smoke(*smoke, camera.smoke);
  if (auto dnn = section.section("dnn")) camera.dnn = read_dnn(*dnn);
  return camera;
}

DnnSettings parse_dnn_settings(const std::string& yaml_text, const std::string& name) {
  ConfigErrors errors;
  auto root = load_yaml_text(yaml_text, name, errors);
  if (!root) throw ConfigInvalid(std::move(errors));
  YamlSection section(*root, "", name, errors);
  auto dnn = read_dnn(section);
  if (!errors.empty()) throw ConfigInvalid(std::move(errors));
  return dnn;
}

CameraSettings parse_camera_settings(const std::string& yaml_text, const std::string& name) {
  ConfigErrors errors;
  auto root = load_yaml_text(yaml_text, name, errors);
  if (!root) throw ConfigInvalid(std::move(errors));
  YamlSection section(*root, "", name, errors);
  auto camera = read_camera_settings(section);
  section.raw("source");  // the gateway's key; validated there, meaningless to the detector
  section.finish();
  if (!errors.empty()) throw ConfigInvalid(std::move(errors));
  return camera;
}

}  // namespace gridwatch::edge::vision
