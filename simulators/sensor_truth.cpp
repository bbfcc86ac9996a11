#include "simulators/sensor_truth.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace gridwatch::sim {
namespace {

double tenth(double seconds) { return std::round(seconds * 10.0) / 10.0; }

}  // namespace

nlohmann::json sensor_truth(const SensorModel& model, double horizon_s) {
  const auto& spec = model.spec();
  const double end = spec.duration_s > 0 ? spec.duration_s : horizon_s;
  const auto steps = static_cast<std::int64_t>(std::floor(end / kSensorStepS));
  nlohmann::json events = nlohmann::json::array();
  nlohmann::json expected_alarm = nullptr;
  for (const auto& event : spec.events) {
    nlohmann::json entry;
    entry["kind"] = to_string(event.kind);
    entry["category"] = to_string(category_of(event.kind));
    entry["start_s"] = tenth(event.at_s);
    entry["end_s"] = std::isfinite(event.end_s()) ? nlohmann::json(tenth(event.end_s())) : nlohmann::json(nullptr);
    nlohmann::json first_over = nullptr;
    std::int64_t over_steps = 0;
    for (std::int64_t i = static_cast<std::int64_t>(std::ceil(event.at_s / kSensorStepS)); i < steps; ++i) {
      const double t = static_cast<double>(i) * kSensorStepS;
      if (t >= event.end_s()) break;
      const auto sample = model.at(t);
      if (!sample.answering || sample.raw_out_of_range || sample.smoke < spec.alarm_level) continue;
      if (first_over.is_null()) first_over = tenth(t);
      ++over_steps;
    }
    entry["first_over_level_s"] = first_over;
    entry["seconds_over_level"] = tenth(static_cast<double>(over_steps) * kSensorStepS);
    const auto category = category_of(event.kind);
    entry["alarm_expected"] = category == EventCategory::fire;
    entry["fault_expected"] = category == EventCategory::fault;
    if (category == EventCategory::fire && !first_over.is_null() &&
        (expected_alarm.is_null() || first_over.get<double>() < expected_alarm.get<double>())) {
      expected_alarm = first_over;
    }
    events.push_back(std::move(entry));
  }
  return {{"scenario", spec.name},       {"purpose", spec.purpose},
          {"seed", spec.seed},           {"sensor_id", spec.sensor_id},
          {"duration_s", tenth(end)},    {"alarm_level", spec.alarm_level},
          {"expected_alarm_s", expected_alarm}, {"events", std::move(events)}};
}

}  // namespace gridwatch::sim
