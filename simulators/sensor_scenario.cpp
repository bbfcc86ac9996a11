#include "simulators/sensor_scenario.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "common/config_reader.hpp"

namespace gridwatch::sim {
namespace {

constexpr std::array<std::pair<SensorEventKind, const char*>, 8> kKinds{{
    {SensorEventKind::smoulder, "smoulder"},
    {SensorEventKind::flaming, "flaming"},
    {SensorEventKind::nuisance, "nuisance"},
    {SensorEventKind::dust, "dust"},
    {SensorEventKind::stuck, "stuck"},
    {SensorEventKind::out_of_range, "out_of_range"},
    {SensorEventKind::disconnect, "disconnect"},
    {SensorEventKind::contamination, "contamination"},
}};

constexpr double kMaxDurationS = 30.0 * 24 * 3600;  // a month of simulated time

std::vector<std::string> kind_names() {
  std::vector<std::string> names;
  for (const auto& entry : kKinds) names.emplace_back(entry.second);
  return names;
}

bool has_rise(SensorEventKind kind) { return kind == SensorEventKind::smoulder || kind == SensorEventKind::flaming; }
bool has_peak(SensorEventKind kind) { return has_rise(kind) || kind == SensorEventKind::nuisance; }

class SensorScenarioReader {
 public:
  SensorScenarioReader(YAML::Node root, std::string file, ConfigErrors& errors)
      : root_(std::move(root), "", file, errors), file_(std::move(file)) {}

  SensorScenarioSpec read() {
    SensorScenarioSpec spec;
    spec.source_file = file_;
    root_.get_id("name", spec.name, Need::required);
    root_.get("purpose", spec.purpose, Need::required);
    if (root_.has("purpose") && spec.purpose.empty()) root_.error("purpose", "must not be empty");
    std::int64_t seed = 1;
    if (root_.get("seed", seed, 0, std::int64_t{1} << 53)) spec.seed = static_cast<std::uint64_t>(seed);
    root_.get("duration_s", spec.duration_s, 1, kMaxDurationS, Need::required);
    root_.get_id("sensor_id", spec.sensor_id);
    root_.get("alarm_level", spec.alarm_level, 0.5, 100);
    if (auto baseline = root_.section("baseline")) {
      baseline->get("smoke", spec.baseline_smoke, 0, 20);
      baseline->get("temperature_c", spec.baseline_temperature_c, -40, 60);
      baseline->get("noise", spec.noise, 0, 5);
      baseline->finish();
    }
    for (auto& entry : root_.sections("events")) spec.events.push_back(read_event(entry, spec.duration_s));
    std::stable_sort(spec.events.begin(), spec.events.end(),
                     [](const SensorEvent& a, const SensorEvent& b) { return a.at_s < b.at_s; });
    root_.finish();
    return spec;
  }

 private:
  static SensorEvent read_event(YamlSection& entry, double duration_s) {
    std::string kind_text;
    entry.get_choice("kind", kind_text, kind_names(), Need::required);
    const auto kind = sensor_event_kind_from_string(kind_text).value_or(SensorEventKind::smoulder);
    double at_s = 0;
    entry.get("at_s", at_s, 0, duration_s, Need::required);
    SensorEvent event = default_event(kind, at_s);
    double for_s = 0;
    if (entry.get("for_s", for_s, 0.1, kMaxDurationS)) event.for_s = for_s;
    // Parameters only mean something for some kinds; a stray one is a typo.
    auto only_for = [&](std::string_view key, bool allowed, double& out, double min, double max) {
      if (!entry.has(key)) return;
      if (!allowed) {
        entry.error(key, "not a parameter of a " + kind_text + " event");
        entry.raw(key);
        return;
      }
      entry.get(key, out, min, max);
    };
    only_for("rise_per_s", has_rise(kind), event.rise_per_s, 0.001, 100);
    only_for("peak", has_peak(kind), event.peak, 0.1, 600);
    only_for("drift_per_h", kind == SensorEventKind::contamination, event.drift_per_h, 0.001, 100);
    only_for("fault_after_h", kind == SensorEventKind::contamination, event.fault_after_h, 0.01, 24 * 365);
    entry.finish();
    return event;
  }

  YamlSection root_;
  std::string file_;
};

}  // namespace

std::optional<SensorEventKind> sensor_event_kind_from_string(const std::string& name) {
  for (const auto& [kind, text] : kKinds) {
    if (name == text) return kind;
  }
  return std::nullopt;
}

std::string to_string(SensorEventKind kind) {
  for (const auto& [value, text] : kKinds) {
    if (value == kind) return text;
  }
  return "unknown";
}

EventCategory category_of(SensorEventKind kind) {
  switch (kind) {
    case SensorEventKind::smoulder:
    case SensorEventKind::flaming:
      return EventCategory::fire;
    case SensorEventKind::nuisance:
    case SensorEventKind::dust:
      return EventCategory::nuisance;
    case SensorEventKind::stuck:
    case SensorEventKind::out_of_range:
    case SensorEventKind::disconnect:
    case SensorEventKind::contamination:
      return EventCategory::fault;
  }
  return EventCategory::fault;
}

std::string to_string(EventCategory category) {
  switch (category) {
    case EventCategory::fire:
      return "fire";
    case EventCategory::nuisance:
      return "nuisance";
    case EventCategory::fault:
      return "fault";
  }
  return "fault";
}

double SensorEvent::end_s() const {
  return for_s ? at_s + *for_s : std::numeric_limits<double>::infinity();
}

SensorEvent default_event(SensorEventKind kind, double at_s) {
  SensorEvent event;
  event.kind = kind;
  event.at_s = at_s;
  switch (kind) {
    case SensorEventKind::smoulder:
      event.rise_per_s = 0.15;
      event.peak = 25;
      break;
    case SensorEventKind::flaming:
      event.rise_per_s = 2.0;
      event.peak = 40;
      break;
    case SensorEventKind::nuisance:
      event.peak = 12;
      event.for_s = 6;
      break;
    default:
      break;
  }
  return event;
}

std::vector<std::string> builtin_sensor_scenario_names() {
  std::vector<std::string> names{"clean"};
  for (const auto& name : kind_names()) names.push_back(name);
  return names;
}

std::optional<SensorScenarioSpec> builtin_sensor_scenario(const std::string& name, std::uint64_t seed,
                                                          double onset_s) {
  SensorScenarioSpec spec;
  spec.name = name;
  spec.seed = seed;
  if (name == "clean") {
    spec.purpose = "clean air with slow drift";
    return spec;
  }
  const auto kind = sensor_event_kind_from_string(name);
  if (!kind) return std::nullopt;
  spec.purpose = "built-in " + name + " scenario";
  spec.events.push_back(default_event(*kind, onset_s));
  return spec;
}

SensorScenarioSpec load_sensor_scenario(const std::string& path) {
  ConfigErrors errors;
  auto root = load_yaml_file(path, errors);
  if (!root) throw ConfigInvalid(std::move(errors));
  auto spec = SensorScenarioReader(*root, path, errors).read();
  if (!errors.empty()) throw ConfigInvalid(std::move(errors));
  return spec;
}

SensorScenarioSpec parse_sensor_scenario(const std::string& yaml_text, const std::string& name) {
  ConfigErrors errors;
  auto root = load_yaml_text(yaml_text, name, errors);
  if (!root) throw ConfigInvalid(std::move(errors));
  auto spec = SensorScenarioReader(*root, name, errors).read();
  if (!errors.empty()) throw ConfigInvalid(std::move(errors));
  return spec;
}

}  // namespace gridwatch::sim
