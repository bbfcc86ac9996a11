#pragma once
// Staff and machine credentials over the Store: browser sessions (cookie
// plus CSRF token), API tokens (Authorization: Bearer) and users. Only
// SHA-256 hashes of session and token secrets are stored. Runs on the
// io_context thread, except verify_password(), which callers run on a
// worker thread (PBKDF2 takes a noticeable fraction of a second on purpose).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "central/auth/roles.hpp"
#include "central/store.hpp"

namespace gridwatch::central {

inline constexpr std::string_view kSessionCookie = "gw_session";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

/// Who is asking, once a credential checked out.
struct Caller {
  std::string user;
  Role role = Role::operator_;
  bool via_session = false;  ///< cookie session: writes need the CSRF token
  std::string csrf_token;
  std::string secret_hash;
};

struct NewSession {
  std::string secret;      ///< the cookie value; never stored
  std::string csrf_token;
  EpochMs expires_ms = 0;
};

class AuthService {
 public:
  AuthService(Store& store, int session_ttl_s) : store_(store), session_ttl_s_(session_ttl_s) {}

  /// The caller named by a Bearer token in `authorization`, else by the
  /// session cookie in `cookie_header`; nullopt when neither is valid.
  std::optional<Caller> authenticate(std::string_view cookie_header, std::string_view authorization, EpochMs now);

  NewSession open_session(const UserRecord& user, EpochMs now);
  void close_session(const Caller& caller);

  /// Sign-in throttling: after kMaxFailures wrong passwords for one name
  /// within kFailureWindowMs, further attempts are refused until the window
  /// has passed, so a password cannot be guessed at PBKDF2 speed.
  static constexpr int kMaxFailures = 5;
  static constexpr EpochMs kFailureWindowMs = 5 * 60 * 1000;
  bool sign_in_blocked(const std::string& name, EpochMs now) const;
  void sign_in_failed(const std::string& name, EpochMs now);
  void sign_in_succeeded(const std::string& name) { failures_.erase(name); }

  /// Creates a user. Returns the problem ("" when created): bad name, bad
  /// role, weak password, name taken.
  std::string add_user(const std::string& name, const std::string& role, std::string_view password, EpochMs now);
  /// A new API token for an existing user, printed once; nullopt when the user does not exist.
  std::optional<std::string> issue_token(const std::string& user, const std::string& label, EpochMs now);

 private:
  struct Failures {
    int count = 0;
    EpochMs first_ms = 0;
  };
  Store& store_;
  int session_ttl_s_;
  std::map<std::string, Failures> failures_;
};

/// The value of cookie `name` in a Cookie header, or nullopt.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);

}  // namespace gridwatch::central
