#include "simulators/sensor_model.hpp"

#include "simulators/splitmix.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

namespace gridwatch::sim {
namespace {


std::uint64_t step_of(double t_s) { return t_s <= 0 ? 0 : static_cast<std::uint64_t>(std::floor(t_s / kSensorStepS)); }

bool active(const SensorEvent& event, double t_s) { return t_s >= event.at_s && t_s < event.end_s(); }

}  // namespace

SensorModel::SensorModel(SensorScenarioSpec spec) : spec_(std::move(spec)) {}

double SensorModel::uniform(std::uint64_t step, std::uint64_t stream) const {
  const std::uint64_t bits = splitmix64(splitmix64(spec_.seed ^ (stream * 0xD1B54A32D192ED03ULL)) ^ step);
  return unit_interval(bits);  // [0, 1)
}

double SensorModel::normal(std::uint64_t step) const {
  // Box-Muller from two independent uniforms of the same step.
  const double u1 = std::max(uniform(step, 1), 1e-300);
  const double u2 = uniform(step, 2);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

SensorSample SensorModel::physical(double t_s) const {
  SensorSample out;
  const std::uint64_t step = step_of(t_s);
  // Slow drift of clean air: a few hundredths over an hour.
  const double drift = 0.05 * std::sin(t_s / 1800.0);
  out.smoke = spec_.baseline_smoke + drift + spec_.noise * normal(step);
  out.temperature = spec_.baseline_temperature_c + 0.5 * std::sin(t_s / 600.0);
  for (const auto& event : spec_.events) {
    if (!active(event, t_s)) continue;
    const double since = t_s - event.at_s;
    switch (event.kind) {
      case SensorEventKind::smoulder:
        out.smoke += std::min(event.peak, event.rise_per_s * since);
        out.temperature += std::min(8.0, 0.02 * since);
        break;
      case SensorEventKind::flaming:
        out.smoke += std::min(event.peak, event.rise_per_s * since);
        out.temperature += std::min(60.0, 0.75 * event.rise_per_s * since);
        break;
      case SensorEventKind::nuisance: {
        const double length = event.for_s.value_or(6.0);
        out.smoke += event.peak * std::sin(since / length * std::numbers::pi);
        break;
      }
      case SensorEventKind::dust:
        if (uniform(step, 3) < 0.05) out.smoke += 2.0 + 3.0 * uniform(step, 4);
        break;
      case SensorEventKind::contamination:
        out.smoke += event.drift_per_h * since / 3600.0;
        out.fault = out.fault || since > event.fault_after_h * 3600.0;
        break;
      case SensorEventKind::stuck:
      case SensorEventKind::out_of_range:
      case SensorEventKind::disconnect:
        break;  // applied on top, in at()
    }
  }
  out.smoke = std::max(0.0, out.smoke);
  return out;
}

SensorSample SensorModel::at(double t_s) const {
  SensorSample out = physical(t_s);
  for (const auto& event : spec_.events) {
    if (!active(event, t_s)) continue;
    switch (event.kind) {
      case SensorEventKind::stuck: {
        const SensorSample frozen = physical(event.at_s);
        out.smoke = frozen.smoke;
        out.temperature = frozen.temperature;
        break;
      }
      case SensorEventKind::out_of_range:
        out.raw_out_of_range = true;
        break;
      case SensorEventKind::disconnect:
        out.answering = false;
        break;
      default:
        break;
    }
  }
  return out;
}

RegisterImage to_registers(const SensorSample& sample, std::uint16_t counter) {
  RegisterImage image;
  image.smoke_centi_percent_per_m =
      sample.raw_out_of_range ? std::uint16_t{0xFFFF}
                              : static_cast<std::uint16_t>(std::clamp(std::lround(sample.smoke * 100.0), 0L, 0xFFFEL));
  const auto deci = static_cast<std::int16_t>(std::clamp(std::lround(sample.temperature * 10.0), -32768L, 32767L));
  image.temperature_deci_c = static_cast<std::uint16_t>(deci);
  image.status_bits = sample.fault ? 1 : 0;
  image.sample_counter = counter;
  return image;
}

}  // namespace gridwatch::sim
