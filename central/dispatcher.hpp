#pragma once
// The dispatch workflow around the store: routes each new incident to its
// grid cell, department and duty unit, applies the auto-dispatch rules,
// moves incidents on at staff's request, and runs the SLA clocks,
// escalating and notifying on breaches. Rules come from central/core; this
// class only reads and writes the store. Notifications are outbox rows
// written in the same transaction as the change that causes them
// (central/notification_sender.hpp delivers them). Runs on the io_context
// thread.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "central/central_config.hpp"
#include "central/core/dispatch.hpp"
#include "central/core/grid_map.hpp"
#include "central/core/notification_plan.hpp"
#include "central/store.hpp"

namespace gridwatch::central {

struct TransitionOutcome {
  enum class Result { applied, refused, not_found, conflict } result = Result::applied;
  FieldErrors errors;                     ///< refused: why
  std::optional<IncidentRecord> incident; ///< applied: the incident after the transition
};

struct DispatcherCounters {
  std::uint64_t routed = 0;
  std::uint64_t unrouted = 0;        ///< outside every cell, or no cell handles the kind
  std::uint64_t auto_dispatched = 0;
  std::uint64_t transitions = 0;
  std::uint64_t escalations = 0;
  std::uint64_t sla_breaches = 0;
};

class Dispatcher {
 public:
  /// `map` may be null (no cells configured): incidents then stay unrouted
  /// and manual dispatch still works.
  Dispatcher(Store& store, const GridMap* map, DispatchConfig config, std::vector<NotifierSettings> notifiers);

  /// A new incident was opened for this episode: route it, start its
  /// clocks, and auto-dispatch it when a rule says so.
  void on_incident_opened(const std::string& episode_id, EpochMs now);

  /// A staff member's (or unit's) request from the API.
  TransitionOutcome transition(std::int64_t incident_id, const TransitionRequest& request, EpochMs now);

  /// Checks the SLA clocks of every incident that is due; escalates and
  /// notifies. Returns how many incidents were looked at.
  std::size_t sweep(EpochMs now);

  const DispatcherCounters& counters() const { return counters_; }
  /// Called with the incident after every workflow change this dispatcher
  /// writes (routing, transitions, SLA breaches and escalations).
  void set_change_listener(std::function<void(const IncidentRecord&)> listener) { on_change_ = std::move(listener); }
  /// Called after a change that queued notifications, so the sender need
  /// not wait for its next poll.
  void set_notifications_listener(std::function<void()> listener) { on_notifications_ = std::move(listener); }
  const DispatchConfig& config() const { return config_; }

 private:
  SlaStatus refresh_sla(IncidentRecord& incident, EpochMs now) const;
  void assign(IncidentRecord& incident, AdminLevel level) const;
  /// The write that moves `incident` (as loaded, or as about to be
  /// written) by `request`, without writing it; nullopt with `refusal`
  /// filled in when the workflow does not allow it.
  std::optional<WorkflowUpdate> plan_transition(IncidentRecord incident, const TransitionRequest& request, EpochMs now,
                                                TransitionOutcome& refusal) const;
  /// Applies `update` (filling in the events' incident and states) and
  /// tells the listeners; false when the incident had moved meanwhile.
  bool write(WorkflowUpdate update);
  /// Outbox rows for this notification on every configured channel.
  std::vector<NotificationRecord> notifications_for(const IncidentRecord& incident, const std::string& event,
                                                    const std::string& text, EpochMs now) const;

  Store& store_;
  const GridMap* map_;
  DispatchConfig config_;
  std::vector<NotifierSettings> notifiers_;
  DispatcherCounters counters_;
  std::function<void(const IncidentRecord&)> on_change_;
  std::function<void()> on_notifications_;
};

/// The workflow facts of a stored incident.
WorkflowFacts facts_of(const IncidentRecord& incident);

}  // namespace gridwatch::central
