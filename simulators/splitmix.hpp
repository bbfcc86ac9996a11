#pragma once
// SplitMix64, the simulators' stateless hash: each (seed, index) maps to a
// well-mixed 64-bit value, so a simulator can draw "the random number for
// step N" without consuming a stream (readings independent of sampling
// rate, gateways independent of how many others exist).
#include <cstdint>

namespace gridwatch::sim {

constexpr std::uint64_t splitmix64(std::uint64_t value) {
  value += 0x9E3779B97F4A7C15ULL;
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ULL;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBULL;
  return value ^ (value >> 31);
}

/// The top 53 bits of `bits` as a double in [0, 1).
constexpr double unit_interval(std::uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

}  // namespace gridwatch::sim
