// Who may take which transition (docs/api.md#authentication-and-roles).
#include <catch2/catch.hpp>

#include "central/auth/roles.hpp"

using namespace gridwatch::central;

TEST_CASE("operators do the 333 work, dismissing a report needs a supervisor", "[auth]") {
  for (const auto action : {DispatchAction::dispatch, DispatchAction::acknowledge, DispatchAction::arrive,
                            DispatchAction::feedback, DispatchAction::resolve, DispatchAction::close}) {
    CHECK(may_take(Role::operator_, action));
    CHECK(may_take(Role::supervisor, action));
    CHECK(may_take(Role::admin, action));
  }
  for (const auto action : {DispatchAction::cancel, DispatchAction::false_alarm}) {
    CHECK_FALSE(may_take(Role::operator_, action));
    CHECK(may_take(Role::supervisor, action));
    CHECK(may_take(Role::admin, action));
    CHECK(least_role_for(action) == Role::supervisor);
  }
  CHECK(role_from_string("operator") == Role::operator_);
  CHECK(to_string(Role::supervisor) == "supervisor");
  CHECK_FALSE(role_from_string("root"));
}
