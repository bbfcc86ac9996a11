#include "central/auth/roles.hpp"

namespace gridwatch::central {

std::string to_string(Role role) {
  switch (role) {
    case Role::operator_: return "operator";
    case Role::supervisor: return "supervisor";
    case Role::admin: return "admin";
  }
  return "operator";
}

std::optional<Role> role_from_string(std::string_view text) {
  if (text == "operator") return Role::operator_;
  if (text == "supervisor") return Role::supervisor;
  if (text == "admin") return Role::admin;
  return std::nullopt;
}

Role least_role_for(DispatchAction action) {
  switch (action) {
    case DispatchAction::cancel:
    case DispatchAction::false_alarm:
      return Role::supervisor;
    case DispatchAction::dispatch:
    case DispatchAction::acknowledge:
    case DispatchAction::arrive:
    case DispatchAction::feedback:
    case DispatchAction::resolve:
    case DispatchAction::close:
      return Role::operator_;
  }
  return Role::admin;
}

bool may_take(Role role, DispatchAction action) {
  return static_cast<int>(role) >= static_cast<int>(least_role_for(action));
}

}  // namespace gridwatch::central
