#include <catch2/catch.hpp>

#include "central/core/dispatch.hpp"

using namespace gridwatch::central;
using gridwatch::EpochMs;
using gridwatch::Severity;

namespace {
constexpr EpochMs kT0 = 1'800'000'000'000;
constexpr EpochMs kSecond = 1000;
constexpr EpochMs kDay = 24 * 3600 * kSecond;

TransitionRequest request(DispatchAction action, std::string actor = "operator-7") {
  TransitionRequest out;
  out.action = action;
  out.actor = std::move(actor);
  return out;
}

WorkflowFacts fresh() {
  WorkflowFacts facts;
  facts.detected_at_ms = kT0;
  facts.created_ms = kT0 + 200;
  return facts;
}

std::string errors(const TransitionResult& result) { return gridwatch::join_errors(result.errors); }
}  // namespace

TEST_CASE("the dispatch workflow runs new to closed with what each step needs", "[dispatch]") {
  auto facts = fresh();
  auto dispatch = request(DispatchAction::dispatch, "auto");
  CHECK_THAT(errors(check_transition(facts, dispatch)), Catch::Contains("unit: the duty unit dispatched is required"));
  dispatch.unit = "baihe-fire-station";
  auto result = check_transition(facts, dispatch);
  REQUIRE(result.ok());
  apply_transition(facts, result.to, kT0 + 5 * kSecond);
  CHECK(facts.state == DispatchState::dispatched);
  CHECK(facts.dispatched_ms == kT0 + 5 * kSecond);

  for (auto action : {DispatchAction::acknowledge, DispatchAction::arrive}) {
    result = check_transition(facts, request(action));
    REQUIRE(result.ok());
    apply_transition(facts, result.to, kT0 + 60 * kSecond);
  }
  CHECK(facts.state == DispatchState::on_scene);
  auto feedback = request(DispatchAction::feedback);
  CHECK_FALSE(check_transition(facts, feedback).ok());  // needs a note
  feedback.note = "car owner contacted, moving the car";
  result = check_transition(facts, feedback);
  REQUIRE(result.ok());
  apply_transition(facts, result.to, kT0 + 90 * kSecond);
  result = check_transition(facts, request(DispatchAction::resolve));
  REQUIRE(result.ok());
  apply_transition(facts, result.to, kT0 + 120 * kSecond);
  auto close = request(DispatchAction::close);
  CHECK_THAT(errors(check_transition(facts, close)), Catch::Contains("satisfaction"));
  close.satisfaction = 6;
  CHECK_FALSE(check_transition(facts, close).ok());
  close.satisfaction = 5;
  result = check_transition(facts, close);
  REQUIRE(result.ok());
  apply_transition(facts, result.to, kT0 + 130 * kSecond);
  CHECK(facts.state == DispatchState::closed);
  CHECK(is_terminal(facts.state));
}

TEST_CASE("transitions out of order are refused with the states they need", "[dispatch]") {
  auto facts = fresh();
  CHECK_THAT(errors(check_transition(facts, request(DispatchAction::arrive))),
             Catch::Contains("cannot arrive an incident that is new (only from: dispatched, acknowledged)"));
  CHECK_THAT(errors(check_transition(facts, request(DispatchAction::close))), Catch::Contains("only from: resolved"));
  CHECK_THAT(errors(check_transition(facts, request(DispatchAction::acknowledge, ""))),
             Catch::Contains("actor: who makes the transition is required"));
  auto false_alarm = request(DispatchAction::false_alarm);
  CHECK_THAT(errors(check_transition(facts, false_alarm)), Catch::Contains("note: a reason is required"));
  false_alarm.note = "steam from a restaurant";
  const auto result = check_transition(facts, false_alarm);
  REQUIRE(result.ok());
  apply_transition(facts, result.to, kT0);
  CHECK_FALSE(check_transition(facts, request(DispatchAction::dispatch)).ok());  // terminal
  CHECK(dispatch_action_from_string("arrive") == DispatchAction::arrive);
  CHECK(to_string(DispatchState::on_scene) == "on_scene");
}

TEST_CASE("the 30 s / 3 min / 3 min clocks breach and raise the level one step each", "[dispatch][sla]") {
  const SlaSettings settings;
  auto facts = fresh();
  const auto start = starting_level(Severity::minor, settings);
  CHECK(start == AdminLevel::grid);

  auto status = evaluate_sla(facts, start, settings, kT0 + 29 * kSecond);
  CHECK(status.breached.empty());
  CHECK(status.required_level == AdminLevel::grid);
  CHECK(status.next_deadline_ms == kT0 + 30 * kSecond + 1);

  status = evaluate_sla(facts, start, settings, kT0 + 31 * kSecond);
  REQUIRE(status.breached == std::vector<SlaClock>{SlaClock::dispatch});
  CHECK(status.required_level == AdminLevel::village);

  // Dispatched late: the dispatch breach stays on record; on-scene runs.
  apply_transition(facts, DispatchState::dispatched, kT0 + 40 * kSecond);
  status = evaluate_sla(facts, start, settings, kT0 + 41 * kSecond);
  CHECK(status.breached == std::vector<SlaClock>{SlaClock::dispatch});
  CHECK(status.next_deadline_ms == kT0 + 220 * kSecond + 1);
  status = evaluate_sla(facts, start, settings, kT0 + 221 * kSecond);
  CHECK(status.breached == std::vector<SlaClock>{SlaClock::dispatch, SlaClock::on_scene});
  CHECK(status.required_level == AdminLevel::town);

  // Arrived, then feedback in time.
  apply_transition(facts, DispatchState::on_scene, kT0 + 230 * kSecond);
  apply_transition(facts, DispatchState::feedback, kT0 + 300 * kSecond);
  status = evaluate_sla(facts, start, settings, kT0 + 400 * kSecond);
  CHECK(status.breached.size() == 2);
  CHECK(status.light == Light::none);
}

TEST_CASE("open cases turn green, yellow and red at 1, 3 and 5 days and climb the levels", "[dispatch][sla]") {
  const SlaSettings settings;
  auto facts = fresh();
  apply_transition(facts, DispatchState::dispatched, kT0 + 10 * kSecond);
  apply_transition(facts, DispatchState::on_scene, kT0 + 100 * kSecond);
  apply_transition(facts, DispatchState::feedback, kT0 + 200 * kSecond);
  const auto start = AdminLevel::grid;
  CHECK(evaluate_sla(facts, start, settings, kT0 + kDay / 2).light == Light::none);
  auto status = evaluate_sla(facts, start, settings, kT0 + kDay + kSecond);
  CHECK(status.light == Light::green);
  CHECK(status.required_level == AdminLevel::village);
  status = evaluate_sla(facts, start, settings, kT0 + 3 * kDay + kSecond);
  CHECK(status.light == Light::yellow);
  CHECK(status.required_level == AdminLevel::town);
  status = evaluate_sla(facts, start, settings, kT0 + 5 * kDay + kSecond);
  CHECK(status.light == Light::red);
  CHECK(status.required_level == AdminLevel::county);
  CHECK_FALSE(status.next_deadline_ms);
  // Resolved cases have no light.
  apply_transition(facts, DispatchState::resolved, kT0 + 6 * kDay);
  CHECK(evaluate_sla(facts, start, settings, kT0 + 6 * kDay + kSecond).light == Light::none);
}

TEST_CASE("severity sets the starting level, a false alarm stops the clocks", "[dispatch][sla]") {
  const SlaSettings settings;
  CHECK(starting_level(Severity::moderate, settings) == AdminLevel::village);
  CHECK(starting_level(Severity::severe, settings) == AdminLevel::town);
  CHECK(starting_level(Severity::extreme, settings) == AdminLevel::county);
  auto facts = fresh();
  apply_transition(facts, DispatchState::false_alarm, kT0 + 10 * kSecond);
  const auto status = evaluate_sla(facts, AdminLevel::village, settings, kT0 + kDay * 10);
  CHECK(status.breached.empty());
  CHECK(status.light == Light::none);
  CHECK(status.required_level == AdminLevel::village);
  CHECK_FALSE(status.next_deadline_ms);
}
