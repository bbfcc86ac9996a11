#pragma once
// Delivery priority of outbox rows. Lower value = delivered first and
// dropped last. The order is a product decision (docs/outbox.md): a fire
// must reach central before a parking ticket, and telemetry is the first
// thing sacrificed when the store is full.
#include <array>
#include <optional>
#include <string_view>

#include "common/wire.hpp"

namespace gridwatch::edge {

enum class Priority : int {
  alarm = 0,      ///< smoke and fire
  fault = 1,      ///< camera tamper, sensor and camera faults
  parking = 2,
  evidence = 3,   ///< JPEG snapshots
  telemetry = 4,  ///< heartbeats
};

inline constexpr std::array<Priority, 5> kAllPriorities{Priority::alarm, Priority::fault, Priority::parking,
                                                        Priority::evidence, Priority::telemetry};

std::string_view to_string(Priority priority);
std::optional<Priority> priority_from_int(int value);
Priority priority_for(AlertKind kind);

}  // namespace gridwatch::edge
