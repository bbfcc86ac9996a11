#include <catch2/catch.hpp>

#include "common/backoff.hpp"

using gridwatch::Backoff;

TEST_CASE("backoff grows exponentially within its bounds and resets", "[backoff]") {
  Backoff backoff(100, 3200, 7);
  std::int64_t ceiling = 100;
  for (int attempt = 0; attempt < 12; ++attempt) {
    const auto delay = backoff.next_delay_ms();
    CHECK(delay >= 100);
    CHECK(delay <= ceiling);
    ceiling = std::min<std::int64_t>(ceiling * 2, 3200);
  }
  backoff.reset();
  CHECK(backoff.next_delay_ms() == 100);  // first attempt: the minimum
}

TEST_CASE("backoff jitter spreads gateways apart", "[backoff]") {
  Backoff a(100, 60'000, 1);
  Backoff b(100, 60'000, 2);
  bool differed = false;
  for (int i = 0; i < 10; ++i) differed = differed || a.next_delay_ms() != b.next_delay_ms();
  CHECK(differed);
}

TEST_CASE("backoff is deterministic for a seed", "[backoff]") {
  Backoff a(100, 60'000, 5);
  Backoff b(100, 60'000, 5);
  for (int i = 0; i < 10; ++i) CHECK(a.next_delay_ms() == b.next_delay_ms());
}
