#pragma once
// Who may do what (docs/api.md#roles). Pure: no I/O.
//
//   operator    reads everything; dispatch, acknowledge, arrive, feedback,
//               resolve, close (the everyday "333" work of the duty desk)
//   supervisor  also cancel and false_alarm: dismissing a report is a
//               judgment the supervisor signs
//   admin       everything a supervisor may; users and tokens are managed
//               with `gridwatch-central user|token` on the server itself
#include <optional>
#include <string>
#include <string_view>

#include "central/core/dispatch.hpp"

namespace gridwatch::central {

enum class Role { operator_, supervisor, admin };

std::string to_string(Role role);
std::optional<Role> role_from_string(std::string_view text);

/// True when `role` may take `action`.
bool may_take(Role role, DispatchAction action);

/// The least role that may take `action`.
Role least_role_for(DispatchAction action);

}  // namespace gridwatch::central
