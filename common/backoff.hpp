#pragma once
// Exponential backoff with full jitter, for reconnects. Pure: the caller
// supplies the random source so tests are deterministic.
#include <cstdint>
#include <random>

namespace gridwatch {

class Backoff {
 public:
  Backoff(std::int64_t min_ms, std::int64_t max_ms, std::uint64_t seed);

  /// Delay before the next attempt: uniform in [min, min(max, min * 2^n)].
  /// Jitter spreads a village's gateways so they do not reconnect in step
  /// after the broker comes back.
  std::int64_t next_delay_ms();

  /// Call after a successful attempt.
  void reset() { attempt_ = 0; }

  int attempts() const { return attempt_; }

 private:
  std::int64_t min_ms_;
  std::int64_t max_ms_;
  int attempt_ = 0;
  std::mt19937_64 random_;
};

}  // namespace gridwatch
