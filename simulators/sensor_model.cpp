#include "simulators/sensor_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

namespace gridwatch::sim {
namespace {

constexpr std::array<std::pair<SensorScenario, const char*>, 9> kNames{{
    {SensorScenario::clean, "clean"},
    {SensorScenario::smoulder, "smoulder"},
    {SensorScenario::flaming, "flaming"},
    {SensorScenario::nuisance, "nuisance"},
    {SensorScenario::dust, "dust"},
    {SensorScenario::stuck, "stuck"},
    {SensorScenario::out_of_range, "out_of_range"},
    {SensorScenario::disconnect, "disconnect"},
    {SensorScenario::contamination, "contamination"},
}};

constexpr double kBaseline = 0.3;

}  // namespace

std::optional<SensorScenario> sensor_scenario_from_string(const std::string& name) {
  for (const auto& [value, text] : kNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::vector<std::string> sensor_scenario_names() {
  std::vector<std::string> out;
  for (const auto& entry : kNames) out.emplace_back(entry.second);
  return out;
}

SensorModel::SensorModel(SensorScenario scenario, std::uint64_t seed, double onset_s)
    : scenario_(scenario), onset_s_(onset_s), random_(seed) {}

SensorSample SensorModel::sample(double t_s) {
  SensorSample out;
  const double since = t_s - onset_s_;
  // Slow drift of clean air: a few hundredths over an hour.
  const double drift = 0.05 * std::sin(t_s / 1800.0);
  out.smoke = kBaseline + drift + noise_(random_);
  out.temperature = 20.0 + 0.5 * std::sin(t_s / 600.0);
  switch (scenario_) {
    case SensorScenario::clean:
      break;
    case SensorScenario::smoulder:
      if (since > 0) {
        out.smoke += std::min(25.0, 0.15 * since);
        out.temperature += std::min(8.0, 0.02 * since);
      }
      break;
    case SensorScenario::flaming:
      if (since > 0) {
        out.smoke += std::min(40.0, 2.0 * since);
        out.temperature += std::min(60.0, 1.5 * since);
      }
      break;
    case SensorScenario::nuisance:
      // Six seconds of cooking fumes well above the alarm level.
      if (since > 0 && since < 6) out.smoke += 12.0 * std::sin(since / 6.0 * 3.14159265);
      break;
    case SensorScenario::dust: {
      std::uniform_real_distribution<double> chance(0, 1);
      if (since > 0 && chance(random_) < 0.05) out.smoke += 2.0 + 3.0 * chance(random_);
      break;
    }
    case SensorScenario::stuck:
      if (since > 0) {
        if (!frozen_) frozen_ = out.smoke;
        out.smoke = *frozen_;
      }
      break;
    case SensorScenario::out_of_range:
      if (since > 0) out.raw_out_of_range = true;
      break;
    case SensorScenario::disconnect:
      if (since > 0) out.answering = false;
      break;
    case SensorScenario::contamination:
      // Dirt on the optics: +1 %/m per hour, until the device flags a fault.
      if (since > 0) {
        out.smoke += since / 3600.0;
        out.fault = since > 4 * 3600.0;
      }
      break;
  }
  out.smoke = std::max(0.0, out.smoke);
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
