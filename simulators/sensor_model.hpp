#pragma once
// Deterministic smoke-sensor behaviour for testers. The reading at a
// simulated time is a pure function of the scenario, its seed and that
// time (noise is hashed from the seed and the 0.1 s step), so the Modbus
// server, the MQTT publisher and the ground truth see the same values
// however often they sample. Units: smoke obscuration in %/m (what
// photoelectric detectors report), temperature in degrees C.
#include <cstdint>
#include <optional>
#include <string>

#include "simulators/sensor_scenario.hpp"

namespace gridwatch::sim {

/// Noise and dust are drawn per step of this many simulated seconds; the
/// ground truth steps the model at the same resolution.
inline constexpr double kSensorStepS = 0.1;

struct SensorSample {
  double smoke = 0;        ///< %/m obscuration
  double temperature = 20; ///< degrees C
  bool fault = false;      ///< the sensor's own fault bit
  bool answering = true;   ///< false: the device does not respond at all
  bool raw_out_of_range = false;  ///< the device reports an out-of-range reading
};

/// Where a simulated sensor's readings come from: a scenario model or a
/// replayed log.
class SampleSource {
 public:
  virtual ~SampleSource() = default;
  /// The reading at `t_s` simulated seconds after the start.
  virtual SensorSample sample(double t_s) = 0;
  /// Simulated seconds after which the source has nothing more; 0 = endless.
  virtual double end_s() const = 0;
};

class SensorModel final : public SampleSource {
 public:
  explicit SensorModel(SensorScenarioSpec spec);

  SensorSample sample(double t_s) override { return at(t_s); }
  double end_s() const override { return spec_.duration_s; }
  /// The same, const: the model has no state.
  SensorSample at(double t_s) const;
  const SensorScenarioSpec& spec() const { return spec_; }

 private:
  /// The reading without the faults that replace it (stuck, out of range,
  /// disconnect).
  SensorSample physical(double t_s) const;
  double uniform(std::uint64_t step, std::uint64_t stream) const;
  double normal(std::uint64_t step) const;

  SensorScenarioSpec spec_;
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
