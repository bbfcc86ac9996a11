#pragma once
// Deterministic smoke-sensor behaviour for testers: given a scenario, a
// seed and a time, the reading is always the same. Units: smoke
// obscuration in %/m (what photoelectric detectors report), temperature
// in degrees C. docs/simulators.md lists the scenarios and register map.
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace gridwatch::sim {

enum class SensorScenario {
  clean,          ///< clean air, slow baseline drift
  smoulder,       ///< slow rise from onset
  flaming,        ///< fast rise from onset
  nuisance,       ///< cooking: a short spike above the alarm level, then back
  dust,           ///< brief random spikes below the alarm level
  stuck,          ///< value freezes at onset (fault)
  out_of_range,   ///< raw register reads 0xFFFF from onset (fault)
  disconnect,     ///< stops answering from onset (fault)
  contamination,  ///< baseline creeps up over hours (drift compensation test)
};

std::optional<SensorScenario> sensor_scenario_from_string(const std::string& name);
std::vector<std::string> sensor_scenario_names();

struct SensorSample {
  double smoke = 0;        ///< %/m obscuration
  double temperature = 20; ///< degrees C
  bool fault = false;      ///< the sensor's own fault bit
  bool answering = true;   ///< false: the device does not respond at all
  bool raw_out_of_range = false;  ///< the smoke register reads 0xFFFF
};

class SensorModel {
 public:
  SensorModel(SensorScenario scenario, std::uint64_t seed, double onset_s);

  /// The reading at `t_s` seconds after the simulation started. Call with
  /// non-decreasing times; noise is drawn per call from the seeded stream.
  SensorSample sample(double t_s);

 private:
  SensorScenario scenario_;
  double onset_s_;
  std::mt19937_64 random_;
  std::normal_distribution<double> noise_{0.0, 0.05};
  std::optional<double> frozen_;
};

/// Register values of the simulated device (holding registers 0-3).
struct RegisterImage {
  std::uint16_t smoke_centi_percent_per_m = 0;  ///< reg 0: smoke x 100
  std::uint16_t temperature_deci_c = 0;         ///< reg 1: temperature x 10, two's complement
  std::uint16_t status_bits = 0;                ///< reg 2: bit0 fault
  std::uint16_t sample_counter = 0;             ///< reg 3: increments per sample, wraps
};

RegisterImage to_registers(const SensorSample& sample, std::uint16_t counter);

}  // namespace gridwatch::sim
