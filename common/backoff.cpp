#include "common/backoff.hpp"

#include <algorithm>

namespace gridwatch {

Backoff::Backoff(std::int64_t min_ms, std::int64_t max_ms, std::uint64_t seed)
    : min_ms_(std::max<std::int64_t>(1, min_ms)), max_ms_(std::max(min_ms_, max_ms)), random_(seed) {}

std::int64_t Backoff::next_delay_ms() {
  std::int64_t ceiling = min_ms_;
  for (int i = 0; i < attempt_ && ceiling < max_ms_; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, max_ms_);
  if (attempt_ < 62) ++attempt_;
  std::uniform_int_distribution<std::int64_t> pick(min_ms_, ceiling);
  return pick(random_);
}

}  // namespace gridwatch
