#pragma once
// What a simulated smoke sensor does over time: a baseline plus a timeline
// of events (fires, nuisances, faults). Built-in scenarios are one-event
// timelines; scenario files (docs/simulators.md) can combine events, e.g. a
// smoulder followed by a lost link while in alarm.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gridwatch::sim {

enum class SensorEventKind {
  smoulder,       ///< slow rise of smoke and a little heat
  flaming,        ///< fast rise of smoke and heat
  nuisance,       ///< cooking: a short spike above the alarm level, then back
  dust,           ///< brief random spikes below the alarm level
  stuck,          ///< value freezes at the event's start (fault)
  out_of_range,   ///< the device reports an out-of-range reading (fault)
  disconnect,     ///< the device stops answering (fault)
  contamination,  ///< dirty optics: the baseline creeps up over hours (fault when exhausted)
};

/// What a detector is expected to make of an event.
enum class EventCategory { fire, nuisance, fault };

std::optional<SensorEventKind> sensor_event_kind_from_string(const std::string& name);
std::string to_string(SensorEventKind kind);
EventCategory category_of(SensorEventKind kind);
std::string to_string(EventCategory category);

struct SensorEvent {
  SensorEventKind kind = SensorEventKind::smoulder;
  double at_s = 0;                  ///< simulated seconds from the start
  std::optional<double> for_s;      ///< how long it lasts; nullopt = to the end (nuisance: 6 s)
  double rise_per_s = 0;            ///< smoulder/flaming: %/m per second
  double peak = 0;                  ///< smoulder/flaming/nuisance: highest added obscuration, %/m
  double drift_per_h = 1.0;         ///< contamination: %/m per hour
  double fault_after_h = 4.0;       ///< contamination: hours until the device raises its fault bit

  double end_s() const;  ///< +infinity when open-ended
};

/// Defaults for each kind (documented in docs/simulators.md).
SensorEvent default_event(SensorEventKind kind, double at_s);

struct SensorScenarioSpec {
  std::string name = "clean";
  std::string purpose;
  std::string source_file;  ///< empty for built-in scenarios
  std::uint64_t seed = 1;
  double duration_s = 0;            ///< simulated seconds; 0 = until stopped
  std::string sensor_id = "smoke1";
  double baseline_smoke = 0.3;      ///< %/m
  double baseline_temperature_c = 20;
  double noise = 0.05;              ///< standard deviation of the smoke noise, %/m
  double alarm_level = 8.0;         ///< reference level the ground truth measures against, %/m
  std::vector<SensorEvent> events;
};

/// Names of the built-in scenarios: "clean" plus one per event kind.
std::vector<std::string> builtin_sensor_scenario_names();
/// A built-in scenario: its event (if any) starts at `onset_s`.
std::optional<SensorScenarioSpec> builtin_sensor_scenario(const std::string& name, std::uint64_t seed, double onset_s);

/// Parses a scenario file; throws ConfigInvalid with every problem at file:line.
SensorScenarioSpec load_sensor_scenario(const std::string& path);
SensorScenarioSpec parse_sensor_scenario(const std::string& yaml_text, const std::string& name);

}  // namespace gridwatch::sim
