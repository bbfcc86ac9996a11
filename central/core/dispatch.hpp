#pragma once
// The dispatch workflow of one incident: a state machine whose every
// transition is checked here and recorded (who, when, why) by the store,
// and the SLA clocks that decide when a case escalates. Pure and
// clock-injected: callers pass "now".
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "central/core/grid_map.hpp"
#include "common/time.hpp"
#include "common/wire.hpp"

namespace gridwatch::central {

enum class DispatchState { new_, dispatched, acknowledged, on_scene, feedback, resolved, closed, cancelled, false_alarm };

std::string to_string(DispatchState state);
std::optional<DispatchState> dispatch_state_from_string(const std::string& text);
/// closed, cancelled and false_alarm end the workflow.
bool is_terminal(DispatchState state);
/// Open for the "135" lights: not yet resolved or ended.
bool is_open(DispatchState state);

enum class DispatchAction { dispatch, acknowledge, arrive, feedback, resolve, close, cancel, false_alarm };

std::string to_string(DispatchAction action);
std::optional<DispatchAction> dispatch_action_from_string(const std::string& text);

/// A request to move an incident on, as staff (or the auto-dispatcher) make it.
struct TransitionRequest {
  DispatchAction action = DispatchAction::dispatch;
  std::string actor;        ///< who: a staff login, "auto" for rules, a unit id
  std::string note;         ///< free text (feedback, reason)
  std::string unit;         ///< dispatch: the duty unit sent
  std::optional<int> satisfaction;  ///< close: 1-5
};

/// The incident's workflow facts the rules need.
struct WorkflowFacts {
  DispatchState state = DispatchState::new_;
  EpochMs detected_at_ms = 0;  ///< the gateway's detection time: the "30 s" clock starts here
  EpochMs created_ms = 0;
  std::optional<EpochMs> dispatched_ms;
  std::optional<EpochMs> on_scene_ms;
  std::optional<EpochMs> feedback_ms;
  AdminLevel level = AdminLevel::grid;  ///< where the case sits now
};

struct TransitionResult {
  DispatchState to = DispatchState::new_;
  FieldErrors errors;  ///< non-empty: refused, and why
  bool ok() const { return errors.empty(); }
};

/// Checks a request against the current state; does not change anything.
TransitionResult check_transition(const WorkflowFacts& facts, const TransitionRequest& request);

/// Applies an accepted transition's timestamps to the facts.
void apply_transition(WorkflowFacts& facts, DispatchState to, EpochMs now);

// --- SLA --------------------------------------------------------------------

struct SlaSettings {
  double dispatch_s = 30;   ///< detection -> dispatched
  double on_scene_s = 180;  ///< dispatched -> on scene
  double feedback_s = 180;  ///< on scene -> first feedback
  double green_days = 1;    ///< open cases: green light after this long
  double yellow_days = 3;
  double red_days = 5;
  /// Starting level by severity: trivial stays in the grid, small in the
  /// village, big goes to the town, hard ones to town and county.
  AdminLevel minor_level = AdminLevel::grid;
  AdminLevel moderate_level = AdminLevel::village;
  AdminLevel severe_level = AdminLevel::town;
  AdminLevel extreme_level = AdminLevel::county;
};

enum class Light { none, green, yellow, red };
std::string to_string(Light light);

enum class SlaClock { dispatch, on_scene, feedback };
std::string to_string(SlaClock clock);

struct SlaStatus {
  std::vector<SlaClock> breached;  ///< clocks past their limit (met late or still running)
  Light light = Light::none;       ///< for open cases by age
  AdminLevel required_level = AdminLevel::grid;  ///< where the case must sit now
  std::optional<EpochMs> next_deadline_ms;  ///< the next moment this status can change; nullopt = never
};

AdminLevel starting_level(Severity severity, const SlaSettings& settings);

/// The clocks of one incident at `now`. Each breached clock and each light
/// raises the required level by one, from the starting level up to county.
SlaStatus evaluate_sla(const WorkflowFacts& facts, AdminLevel starting, const SlaSettings& settings, EpochMs now);

}  // namespace gridwatch::central
