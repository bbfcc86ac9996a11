#pragma once
// Time is injected everywhere below the apps: pure code takes timestamps
// as arguments. Only adapters and main() read the clocks declared here.
#include <cstdint>
#include <string>

namespace gridwatch {

/// Milliseconds since the Unix epoch, UTC. The wire format's time unit.
using EpochMs = std::int64_t;

EpochMs wall_clock_ms();

/// Monotonic milliseconds, for intervals that must not jump with NTP.
std::int64_t steady_clock_ms();

/// "2026-11-22T03:04:05.678Z"
std::string format_utc(EpochMs ms);

}  // namespace gridwatch
