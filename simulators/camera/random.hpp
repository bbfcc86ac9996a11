#pragma once
// The simulator's only source of randomness. std::mt19937_64 is fully
// specified by the standard, but the std:: distributions are not (libstdc++
// and libc++ differ), so the conversions to doubles live here: the same seed
// then gives the same scene on every platform we build for.
#include <cmath>
#include <cstdint>
#include <random>

namespace gridwatch::sim {

/// Mixes a seed with stream numbers (e.g. frame index, object index) into an
/// independent seed, so that frame N can be drawn without drawing frames
/// 0..N-1 first.
inline std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream, std::uint64_t index = 0) {
  std::uint64_t value = seed ^ (stream * 0x9E3779B97F4A7C15ULL) ^ (index * 0xBF58476D1CE4E5B9ULL);
  value ^= value >> 30;
  value *= 0xBF58476D1CE4E5B9ULL;
  value ^= value >> 27;
  value *= 0x94D049BB133111EBULL;
  value ^= value >> 31;
  return value;
}

class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}

  /// Uniform in [0, 1) with 53 bits of precision.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  /// Uniform integer in [low, high].
  int integer(int low, int high) {
    const auto span = static_cast<std::uint64_t>(static_cast<std::int64_t>(high) - low + 1);
    return low + static_cast<int>(engine_() % span);
  }
  bool chance(double probability) { return uniform() < probability; }
  /// Standard normal by Box-Muller (one value per call keeps the state simple).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]: log stays finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double normal(double mean, double sigma) { return mean + sigma * normal(); }
  /// Exponentially distributed waiting time with the given mean.
  double exponential(double mean) { return -mean * std::log(1.0 - uniform()); }
  std::uint64_t next() { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace gridwatch::sim
