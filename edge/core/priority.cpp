#include "edge/core/priority.hpp"

namespace gridwatch::edge {

std::string_view to_string(Priority priority) {
  switch (priority) {
    case Priority::alarm: return "alarm";
    case Priority::fault: return "fault";
    case Priority::parking: return "parking";
    case Priority::evidence: return "evidence";
    case Priority::telemetry: return "telemetry";
  }
  return "unknown";
}

std::optional<Priority> priority_from_int(int value) {
  if (value < 0 || value >= static_cast<int>(kAllPriorities.size())) return std::nullopt;
  return static_cast<Priority>(value);
}

Priority priority_for(AlertKind kind) {
  switch (kind) {
    case AlertKind::smoke:
    case AlertKind::fire:
      return Priority::alarm;
    case AlertKind::tamper:
    case AlertKind::sensor_fault:
    case AlertKind::camera_fault:
      return Priority::fault;
    case AlertKind::parking:
      return Priority::parking;
  }
  return Priority::fault;
}

}  // namespace gridwatch::edge
