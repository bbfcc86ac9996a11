#include "central/notifier.hpp"

#include <spdlog/spdlog.h>

namespace gridwatch::central {

void LogNotifier::notify(const Notification& notification) {
  ++sent_;
  spdlog::info("notify {} {}/{} ({}): incident {}: {}", notification.event, notification.department,
               notification.unit, notification.level, notification.incident_id, notification.text);
}

}  // namespace gridwatch::central
