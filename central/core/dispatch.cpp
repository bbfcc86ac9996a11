#include "central/core/dispatch.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

namespace gridwatch::central {
namespace {

constexpr std::array<std::pair<DispatchState, const char*>, 9> kStates{{
    {DispatchState::new_, "new"},
    {DispatchState::dispatched, "dispatched"},
    {DispatchState::acknowledged, "acknowledged"},
    {DispatchState::on_scene, "on_scene"},
    {DispatchState::feedback, "feedback"},
    {DispatchState::resolved, "resolved"},
    {DispatchState::closed, "closed"},
    {DispatchState::cancelled, "cancelled"},
    {DispatchState::false_alarm, "false_alarm"},
}};

constexpr std::array<std::pair<DispatchAction, const char*>, 8> kActions{{
    {DispatchAction::dispatch, "dispatch"},
    {DispatchAction::acknowledge, "acknowledge"},
    {DispatchAction::arrive, "arrive"},
    {DispatchAction::feedback, "feedback"},
    {DispatchAction::resolve, "resolve"},
    {DispatchAction::close, "close"},
    {DispatchAction::cancel, "cancel"},
    {DispatchAction::false_alarm, "false_alarm"},
}};

template <typename Enum, std::size_t N>
std::string name_of(const std::array<std::pair<Enum, const char*>, N>& table, Enum value) {
  for (const auto& [entry, text] : table) {
    if (entry == value) return text;
  }
  return "unknown";
}

template <typename Enum, std::size_t N>
std::optional<Enum> value_of(const std::array<std::pair<Enum, const char*>, N>& table, const std::string& text) {
  for (const auto& [entry, name] : table) {
    if (text == name) return entry;
  }
  return std::nullopt;
}

using S = DispatchState;

// The states each action may start from, and where it leads.
struct Edge {
  DispatchAction action;
  std::vector<DispatchState> from;
  DispatchState to;
};

const std::vector<Edge>& edges() {
  static const std::vector<Edge> table{
      {DispatchAction::dispatch, {S::new_, S::dispatched, S::acknowledged}, S::dispatched},  // re-dispatch allowed
      {DispatchAction::acknowledge, {S::dispatched}, S::acknowledged},
      {DispatchAction::arrive, {S::dispatched, S::acknowledged}, S::on_scene},
      {DispatchAction::feedback, {S::on_scene, S::feedback}, S::feedback},
      {DispatchAction::resolve, {S::on_scene, S::feedback}, S::resolved},
      {DispatchAction::close, {S::resolved}, S::closed},
      {DispatchAction::cancel, {S::new_, S::dispatched, S::acknowledged, S::on_scene, S::feedback}, S::cancelled},
      {DispatchAction::false_alarm, {S::new_, S::dispatched, S::acknowledged, S::on_scene, S::feedback},
       S::false_alarm},
  };
  return table;
}

EpochMs after(EpochMs start, double seconds) { return start + static_cast<EpochMs>(std::llround(seconds * 1000.0)); }

AdminLevel raised(AdminLevel level, int steps) {
  return static_cast<AdminLevel>(std::min(3, static_cast<int>(level) + steps));
}

}  // namespace

std::string to_string(DispatchState state) { return name_of(kStates, state); }
std::optional<DispatchState> dispatch_state_from_string(const std::string& text) { return value_of(kStates, text); }
std::string to_string(DispatchAction action) { return name_of(kActions, action); }
std::optional<DispatchAction> dispatch_action_from_string(const std::string& text) {
  return value_of(kActions, text);
}

bool is_terminal(DispatchState state) {
  return state == S::closed || state == S::cancelled || state == S::false_alarm;
}

bool is_open(DispatchState state) { return !is_terminal(state) && state != S::resolved; }

TransitionResult check_transition(const WorkflowFacts& facts, const TransitionRequest& request) {
  TransitionResult result;
  if (request.actor.empty()) result.errors.push_back({"actor", "who makes the transition is required"});
  const Edge* edge = nullptr;
  for (const auto& candidate : edges()) {
    if (candidate.action == request.action) edge = &candidate;
  }
  if (edge == nullptr) {
    result.errors.push_back({"action", "unknown action"});
    return result;
  }
  result.to = edge->to;
  if (std::find(edge->from.begin(), edge->from.end(), facts.state) == edge->from.end()) {
    std::string allowed;
    for (const auto state : edge->from) allowed += (allowed.empty() ? "" : ", ") + to_string(state);
    result.errors.push_back({"action", "cannot " + to_string(request.action) + " an incident that is " +
                                           to_string(facts.state) + " (only from: " + allowed + ")"});
  }
  switch (request.action) {
    case DispatchAction::dispatch:
      if (request.unit.empty()) result.errors.push_back({"unit", "the duty unit dispatched is required"});
      break;
    case DispatchAction::feedback:
      if (request.note.empty()) result.errors.push_back({"note", "feedback needs a note"});
      break;
    case DispatchAction::close:
      if (!request.satisfaction || *request.satisfaction < 1 || *request.satisfaction > 5) {
        result.errors.push_back({"satisfaction", "closing needs the reporter's satisfaction, 1-5"});
      }
      break;
    case DispatchAction::cancel:
    case DispatchAction::false_alarm:
      if (request.note.empty()) result.errors.push_back({"note", "a reason is required"});
      break;
    default:
      break;
  }
  if (request.satisfaction && request.action != DispatchAction::close) {
    result.errors.push_back({"satisfaction", "only when closing"});
  }
  return result;
}

void apply_transition(WorkflowFacts& facts, DispatchState to, EpochMs now) {
  facts.state = to;
  if (to == S::dispatched && !facts.dispatched_ms) facts.dispatched_ms = now;
  if (to == S::on_scene && !facts.on_scene_ms) facts.on_scene_ms = now;
  if (to == S::feedback && !facts.feedback_ms) facts.feedback_ms = now;
}

std::string to_string(Light light) {
  switch (light) {
    case Light::none:
      return "none";
    case Light::green:
      return "green";
    case Light::yellow:
      return "yellow";
    case Light::red:
      return "red";
  }
  return "none";
}

std::string to_string(SlaClock clock) {
  switch (clock) {
    case SlaClock::dispatch:
      return "dispatch";
    case SlaClock::on_scene:
      return "on_scene";
    case SlaClock::feedback:
      return "feedback";
  }
  return "dispatch";
}

AdminLevel starting_level(Severity severity, const SlaSettings& settings) {
  switch (severity) {
    case Severity::extreme:
      return settings.extreme_level;
    case Severity::severe:
      return settings.severe_level;
    case Severity::moderate:
      return settings.moderate_level;
    case Severity::minor:
    case Severity::unknown:
      return settings.minor_level;
  }
  return settings.minor_level;
}

SlaStatus evaluate_sla(const WorkflowFacts& facts, AdminLevel starting, const SlaSettings& settings, EpochMs now) {
  SlaStatus status;
  std::optional<EpochMs> next;
  auto consider = [&](EpochMs deadline) {
    if (deadline > now && (!next || deadline < *next)) next = deadline;
  };
  const bool active = !is_terminal(facts.state);
  // A clock is breached when its stop came late, or has not come and the
  // limit has passed. Cancelled and false alarms stop every clock.
  auto clock = [&](SlaClock which, std::optional<EpochMs> start, std::optional<EpochMs> stop, double limit_s) {
    if (!start) return;
    const EpochMs deadline = after(*start, limit_s);
    if (stop ? *stop > deadline : (active && now > deadline)) {
      status.breached.push_back(which);
    } else if (!stop && active) {
      consider(deadline + 1);
    }
  };
  clock(SlaClock::dispatch, facts.detected_at_ms, facts.dispatched_ms, settings.dispatch_s);
  clock(SlaClock::on_scene, facts.dispatched_ms, facts.on_scene_ms, settings.on_scene_s);
  clock(SlaClock::feedback, facts.on_scene_ms, facts.feedback_ms, settings.feedback_s);

  int light_steps = 0;
  if (is_open(facts.state)) {
    const double day_ms = 24.0 * 3600 * 1000;
    const auto age_ms = static_cast<double>(now - facts.created_ms);
    if (age_ms > settings.red_days * day_ms) {
      status.light = Light::red;
      light_steps = 3;
    } else if (age_ms > settings.yellow_days * day_ms) {
      status.light = Light::yellow;
      light_steps = 2;
      consider(facts.created_ms + static_cast<EpochMs>(settings.red_days * day_ms) + 1);
    } else if (age_ms > settings.green_days * day_ms) {
      status.light = Light::green;
      light_steps = 1;
      consider(facts.created_ms + static_cast<EpochMs>(settings.yellow_days * day_ms) + 1);
    } else {
      consider(facts.created_ms + static_cast<EpochMs>(settings.green_days * day_ms) + 1);
    }
  }
  const int steps = static_cast<int>(status.breached.size()) + light_steps;
  status.required_level = raised(starting, steps);
  status.next_deadline_ms = next;
  return status;
}

}  // namespace gridwatch::central
