#include "central/dispatcher.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace gridwatch::central {
namespace {

AdminLevel level_of(const std::string& text) { return admin_level_from_string(text).value_or(AdminLevel::grid); }

std::string join_clocks(const std::vector<SlaClock>& clocks) {
  std::string out;
  for (const auto clock : clocks) out += (out.empty() ? "" : ",") + to_string(clock);
  return out;
}

bool contains_clock(const std::string& list, SlaClock clock) {
  const std::string name = to_string(clock);
  std::size_t start = 0;
  while (start <= list.size()) {
    const auto end = std::min(list.find(',', start), list.size());
    if (list.compare(start, end - start, name) == 0) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

WorkflowFacts facts_of(const IncidentRecord& incident) {
  WorkflowFacts facts;
  facts.state = dispatch_state_from_string(incident.state).value_or(DispatchState::new_);
  facts.detected_at_ms = incident.detected_at_ms;
  facts.created_ms = incident.created_ms;
  facts.dispatched_ms = incident.dispatched_ms;
  facts.on_scene_ms = incident.on_scene_ms;
  facts.feedback_ms = incident.feedback_ms;
  facts.level = level_of(incident.level);
  return facts;
}

Dispatcher::Dispatcher(Store& store, const GridMap* map, DispatchConfig config, std::vector<NotifierSettings> notifiers)
    : store_(store), map_(map), config_(std::move(config)), notifiers_(std::move(notifiers)) {}

SlaStatus Dispatcher::refresh_sla(IncidentRecord& incident, EpochMs now) const {
  const auto status = evaluate_sla(facts_of(incident), level_of(incident.starting_level), config_.sla, now);
  incident.light = to_string(status.light);
  incident.breaches = join_clocks(status.breached);
  incident.sla_next_ms = status.next_deadline_ms;
  return status;
}

// Gives the incident to whoever handles its kind at `level` (or the
// nearest level above that has a cell), keeping the old assignment when
// no cell covers it.
void Dispatcher::assign(IncidentRecord& incident, AdminLevel level) const {
  incident.level = to_string(level);
  if (map_ == nullptr || incident.cell_id.empty()) return;
  const auto* cell = map_->find(incident.cell_id);
  if (cell == nullptr) return;
  const auto* handler_cell = map_->at_level(*cell, level);
  if (handler_cell == nullptr) return;
  if (const auto route = map_->route_from(*handler_cell, incident.kind)) {
    incident.department = route->assignment.department;
    incident.unit = route->assignment.unit;
  }
}

bool Dispatcher::write(WorkflowUpdate update) {
  for (auto& event : update.events) {
    event.incident_id = update.incident.id;
    if (event.from_state.empty()) event.from_state = update.expected_state;
    if (event.to_state.empty()) event.to_state = update.incident.state;
  }
  if (!store_.apply_workflow(update)) return false;
  if (on_change_) on_change_(update.incident);
  if (!update.notifications.empty() && on_notifications_) on_notifications_();
  return true;
}

std::vector<NotificationRecord> Dispatcher::notifications_for(const IncidentRecord& incident,
                                                              const std::string& event, const std::string& text,
                                                              EpochMs now) const {
  Notification notification{incident.id, event, incident.kind, incident.level, incident.department,
                            incident.unit, incident.plate, text, now};
  std::vector<NotificationRecord> out;
  for (auto& planned : plan_notifications(notifiers_, notification)) {
    NotificationRecord row;
    row.channel = std::move(planned.channel);
    row.incident_id = incident.id;
    row.event = event;
    row.target = std::move(planned.target);
    row.body = std::move(planned.body);
    row.created_ms = now;
    row.next_attempt_ms = now;
    out.push_back(std::move(row));
  }
  return out;
}

void Dispatcher::on_incident_opened(const std::string& episode_id, EpochMs now) {
  auto incident = store_.incident_by_episode(episode_id);
  // Routed before (a replay after a restart): nothing to do.
  if (!incident || incident->state != "new" || incident->sla_next_ms || !incident->cell_id.empty()) return;
  const auto starting = starting_level(severity_from_string(incident->severity).value_or(Severity::unknown),
                                       config_.sla);
  incident->starting_level = to_string(starting);
  const GridCell* cell = map_ != nullptr ? map_->locate(incident->lat, incident->lon) : nullptr;
  nlohmann::json details{{"starting_level", to_string(starting)}};
  if (cell != nullptr) {
    incident->cell_id = cell->id;
    assign(*incident, std::max(starting, cell->level));
    details["cell"] = cell->id;
  } else {
    incident->level = to_string(starting);
  }
  const bool routed = !incident->unit.empty();
  ++(routed ? counters_.routed : counters_.unrouted);
  details["department"] = incident->department;
  details["unit"] = incident->unit;
  refresh_sla(*incident, now);
  IncidentEvent event;
  event.at_ms = now;
  event.actor = "auto";
  event.action = routed ? "routed" : "unrouted";
  event.note = routed ? fmt::format("{} -> {}/{} ({})", cell->id, incident->department, incident->unit, incident->level)
                      : (cell == nullptr ? "outside every grid cell" : "no cell routes this kind");
  event.details = details.dump();
  // Routing and the auto-dispatch are one write: one commit, and no moment
  // where a routed incident waits for a dispatch that a crash could lose.
  if (routed) {
    const auto rule = std::find_if(config_.auto_dispatch.begin(), config_.auto_dispatch.end(),
                                   [&](const AutoDispatchRule& candidate) { return candidate.kind == incident->kind; });
    if (rule != config_.auto_dispatch.end()) {
      TransitionRequest request;
      request.action = DispatchAction::dispatch;
      request.actor = "auto";
      request.unit = rule->unit.empty() ? incident->unit : rule->unit;
      request.note = "auto-dispatch rule for " + incident->kind;
      TransitionOutcome refusal;
      if (auto dispatch = plan_transition(*incident, request, now, refusal)) {
        event.from_state = event.to_state = incident->state;  // routing leaves the state as it was
        dispatch->events.insert(dispatch->events.begin(), std::move(event));
        if (!write(std::move(*dispatch))) return;
        ++counters_.transitions;
        ++counters_.auto_dispatched;
        return;
      }
    }
  }
  if (!write({*incident, "new", std::nullopt, {event}, {}})) return;
  if (!routed) {
    spdlog::warn("incident {}: {} at {:.5f},{:.5f}: {}", incident->id, incident->kind, incident->lat, incident->lon,
                 event.note);
  }
}

TransitionOutcome Dispatcher::transition(std::int64_t incident_id, const TransitionRequest& request, EpochMs now) {
  TransitionOutcome outcome;
  auto incident = store_.incident(incident_id);
  if (!incident) {
    outcome.result = TransitionOutcome::Result::not_found;
    return outcome;
  }
  auto update = plan_transition(std::move(*incident), request, now, outcome);
  if (!update) return outcome;
  if (!write(*update)) {
    outcome.result = TransitionOutcome::Result::conflict;
    outcome.errors.push_back({"state", "the incident changed meanwhile; reload it and try again"});
    return outcome;
  }
  ++counters_.transitions;
  outcome.incident = std::move(update->incident);
  return outcome;
}

std::optional<WorkflowUpdate> Dispatcher::plan_transition(IncidentRecord incident, const TransitionRequest& request,
                                                          EpochMs now, TransitionOutcome& refusal) const {
  auto facts = facts_of(incident);
  const auto checked = check_transition(facts, request);
  if (!checked.ok()) {
    refusal.result = TransitionOutcome::Result::refused;
    refusal.errors = checked.errors;
    return std::nullopt;
  }
  const std::string from = incident.state;
  apply_transition(facts, checked.to, now);
  incident.state = to_string(checked.to);
  incident.dispatched_ms = facts.dispatched_ms;
  incident.on_scene_ms = facts.on_scene_ms;
  incident.feedback_ms = facts.feedback_ms;
  if (checked.to == DispatchState::resolved && !incident.resolved_ms) incident.resolved_ms = now;
  if (checked.to == DispatchState::closed) {
    incident.closed_ms = now;
    incident.satisfaction = request.satisfaction;
  }
  if (request.action == DispatchAction::dispatch) incident.unit = request.unit;
  refresh_sla(incident, now);
  nlohmann::json details = nlohmann::json::object();
  if (!request.unit.empty()) details["unit"] = request.unit;
  if (request.satisfaction) details["satisfaction"] = *request.satisfaction;
  IncidentEvent event;
  event.at_ms = now;
  event.actor = request.actor;
  event.action = to_string(request.action);
  event.note = request.note;
  event.details = details.dump();
  WorkflowUpdate update{incident, from, std::nullopt, {event}, {}};
  if (request.action == DispatchAction::dispatch) {
    update.notifications = notifications_for(incident, "dispatched",
                                             fmt::format("{} at {:.5f},{:.5f} ({}): {}", incident.kind, incident.lat,
                                                         incident.lon, incident.severity, incident.summary),
                                             now);
  }
  return update;
}

std::size_t Dispatcher::sweep(EpochMs now) {
  const auto due = store_.incidents_due(now, 1000);
  for (auto incident : due) {
    const std::optional<EpochMs> due_deadline = incident.sla_next_ms;
    const std::string previous_breaches = incident.breaches;
    const std::string previous_light = incident.light;
    const auto current_level = level_of(incident.level);
    const auto status = refresh_sla(incident, now);
    std::vector<IncidentEvent> events;
    std::uint64_t new_breaches = 0;
    for (const auto clock : status.breached) {
      if (contains_clock(previous_breaches, clock)) continue;
      ++new_breaches;
      IncidentEvent event;
      event.action = "sla_breach";
      event.note = fmt::format("{} clock breached", to_string(clock));
      event.details = nlohmann::json{{"clock", to_string(clock)}}.dump();
      events.push_back(event);
    }
    if (incident.light != previous_light) {
      IncidentEvent event;
      event.action = "light";
      event.note = fmt::format("open case light {} -> {}", previous_light, incident.light);
      event.details = nlohmann::json{{"light", incident.light}}.dump();
      events.push_back(event);
    }
    const bool escalate = static_cast<int>(status.required_level) > static_cast<int>(current_level);
    if (escalate) {
      const std::string from_unit = incident.unit;
      assign(incident, status.required_level);
      IncidentEvent event;
      event.action = "escalated";
      event.note = fmt::format("{} -> {} ({}/{})", to_string(current_level), incident.level, incident.department,
                               incident.unit);
      event.details = nlohmann::json{{"from_level", to_string(current_level)},
                                     {"to_level", incident.level},
                                     {"from_unit", from_unit},
                                     {"unit", incident.unit},
                                     {"breaches", incident.breaches},
                                     {"light", incident.light}}
                          .dump();
      events.push_back(event);
    }
    for (auto& event : events) {
      event.at_ms = now;
      event.actor = "sla";
    }
    // One compare-and-set on the deadline this sweep saw: when another
    // central instance swept the incident first, this write changes
    // nothing, so the escalation and its notifications happen once.
    WorkflowUpdate update{incident, incident.state, due_deadline, std::move(events), {}};
    if (escalate) {
      update.notifications = notifications_for(
          incident, "escalated",
          fmt::format("{} open since {} breached {} (light {}); escalated to {}", incident.kind,
                      format_utc(incident.created_ms), incident.breaches.empty() ? "no clock" : incident.breaches,
                      incident.light, incident.level),
          now);
    } else if (!update.events.empty() && update.events.front().action == "sla_breach") {
      update.notifications = notifications_for(incident, "sla_breach", update.events.front().note, now);
    }
    if (update.events.empty()) {
      // Only the next deadline moved: nothing for the timeline.
      store_.apply_workflow(update);
      continue;
    }
    if (!write(std::move(update))) continue;  // another instance got there first
    counters_.sla_breaches += new_breaches;
    if (escalate) ++counters_.escalations;
  }
  return due.size();
}

}  // namespace gridwatch::central
