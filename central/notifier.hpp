#pragma once
// Where central tells people about an incident: the duty unit's order, an
// escalation, an SLA breach. The log notifier writes one line per
// notification; HTTP webhook and SMS-gateway notifiers with a persisted
// retry outbox implement the same interface (not yet built).
#include <cstdint>
#include <string>
#include <vector>

namespace gridwatch::central {

struct Notification {
  std::int64_t incident_id = 0;
  std::string event;       ///< dispatched, escalated, sla_breach
  std::string kind;        ///< alert kind of the incident
  std::string level;       ///< grid, village, town, county
  std::string department;
  std::string unit;
  std::string text;        ///< one human-readable line
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual void notify(const Notification& notification) = 0;
};

/// Logs each notification at info level (the demo's and tests' notifier).
class LogNotifier final : public Notifier {
 public:
  void notify(const Notification& notification) override;
  std::uint64_t sent() const { return sent_; }

 private:
  std::uint64_t sent_ = 0;
};

}  // namespace gridwatch::central
