#include "edge/sensor_replay.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/config_reader.hpp"
#include "simulators/csv_replay.hpp"

namespace gridwatch::edge {
namespace {

std::string_view kind_name(SensorEvent::Kind kind) {
  switch (kind) {
    case SensorEvent::Kind::alarm_raised: return "alarm";
    case SensorEvent::Kind::alarm_cleared: return "alarm_cleared";
    case SensorEvent::Kind::fault_raised: return "fault";
    case SensorEvent::Kind::fault_cleared: return "fault_cleared";
  }
  return "unknown";
}

double rounded(double value) { return std::round(value * 1000.0) / 1000.0; }

}  // namespace

std::vector<ReplayedEvent> replay_sensor(const SensorSettings& sensor, sim::SampleSource& source, double step_s,
                                         bool device_out_of_range, double end_s) {
  const double end = end_s > 0 ? end_s : source.end_s();
  SensorMonitor monitor(monitor_settings(sensor), 0);
  std::vector<ReplayedEvent> out;
  auto keep = [&](double t_s, const std::vector<SensorEvent>& events) {
    for (const auto& event : events) out.push_back({t_s, event});
  };
  const auto steps = static_cast<std::int64_t>(std::floor(end / step_s + 1e-9));
  for (std::int64_t i = 0; i < steps; ++i) {
    const double t_s = static_cast<double>(i) * step_s;
    const auto at_ms = static_cast<EpochMs>(std::llround(t_s * 1000.0));
    const auto reading = source.sample(t_s);
    SensorSample sample;
    sample.at_ms = at_ms;
    if (!reading.answering) {
      sample.error = "the device does not answer";
    } else if (device_out_of_range && reading.raw_out_of_range) {
      sample.value = std::numeric_limits<double>::infinity();
    } else {
      sample.value = reading.smoke;
      sample.device_fault = reading.fault;
    }
    keep(t_s, monitor.update(sample));
    keep(t_s, monitor.tick(at_ms));
  }
  return out;
}

std::string to_json_line(const ReplayedEvent& replayed, const std::string& sensor_id) {
  const auto& event = replayed.event;
  nlohmann::json line{{"type", kind_name(event.kind)}, {"sensor", sensor_id}, {"t_s", rounded(replayed.t_s)}};
  if (event.kind == SensorEvent::Kind::alarm_raised || event.kind == SensorEvent::Kind::alarm_cleared) {
    line["value"] = rounded(event.value);
    line["compensated"] = rounded(event.compensated);
    line["peak"] = rounded(event.peak);
    if (event.kind == SensorEvent::Kind::alarm_raised) line["by"] = event.by_rate_of_rise ? "rate_of_rise" : "level";
  } else {
    line["fault"] = to_string(event.fault);
    line["detail"] = event.detail;
  }
  return line.dump();
}

int run_sensor_replay(const SensorReplayOptions& options, std::ostream& out, std::ostream& err) {
  SensorSettings sensor;
  try {
    sensor = load_sensor_file(options.sensor_path);
  } catch (const ConfigInvalid& invalid) {
    err << invalid.errors().to_string() << options.sensor_path << ": " << invalid.errors().size()
        << " problem(s); see docs/configuration.md\n";
    return 2;
  }
  sim::CsvReplaySettings settings;
  settings.path = options.log_path;
  std::string error;
  const auto mapping = sim::parse_column_mapping(options.column, error);
  if (!mapping) {
    err << "--column: " << error << "\n";
    return 2;
  }
  settings.smoke = *mapping;
  if (!options.time_column.empty()) settings.time_column = options.time_column;
  if (!options.label_column.empty()) settings.label_column = options.label_column;
  settings.period_s = options.period_s;
  std::optional<sim::CsvReplay> replay;
  try {
    replay = sim::CsvReplay::load(settings);
  } catch (const std::exception& failure) {
    err << failure.what() << "\n";
    return 2;
  }
  for (const auto& problem : replay->problems()) err << problem << "\n";
  const auto events = replay_sensor(sensor, *replay, options.step_s, false);
  int alarms = 0;
  int faults = 0;
  for (const auto& event : events) {
    out << to_json_line(event, sensor.id) << "\n";
    alarms += event.event.kind == SensorEvent::Kind::alarm_raised ? 1 : 0;
    faults += event.event.kind == SensorEvent::Kind::fault_raised ? 1 : 0;
  }
  nlohmann::json summary{{"type", "summary"}, {"sensor", sensor.id},      {"rows", replay->rows()},
                         {"skipped_rows", replay->skipped_rows()}, {"log_s", rounded(replay->end_s())},
                         {"alarms", alarms},   {"faults", faults}};
  if (!options.label_column.empty()) summary["label_changes"] = replay->truth()["label_changes"];
  out << summary.dump() << "\n";
  return 0;
}

}  // namespace gridwatch::edge
