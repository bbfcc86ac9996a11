#include "central/auth/auth_service.hpp"

#include "central/auth/password.hpp"
#include "common/ids.hpp"

namespace gridwatch::central {
namespace {

constexpr std::string_view kBearer = "Bearer ";
constexpr std::string_view kTokenPrefix = "gwt_";

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semicolon = header.find(';');
    const auto pair = trim(header.substr(0, semicolon));
    header = semicolon == std::string_view::npos ? std::string_view{} : header.substr(semicolon + 1);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
  }
  return std::nullopt;
}

std::optional<Caller> AuthService::authenticate(std::string_view cookie_header, std::string_view authorization,
                                                EpochMs now) {
  std::string secret;
  bool via_session = false;
  if (authorization.substr(0, kBearer.size()) == kBearer) {
    secret = std::string(trim(authorization.substr(kBearer.size())));
  } else if (auto cookie = cookie_value(cookie_header, kSessionCookie)) {
    secret = std::move(*cookie);
    via_session = true;
  }
  if (secret.empty() || secret.size() > 256) return std::nullopt;
  const auto hash = sha256_hex(secret);
  const auto credential = store_.credential(hash, now);
  if (!credential || (credential->kind == "session") != via_session) return std::nullopt;
  const auto user = store_.user(credential->user_name);
  if (!user) return std::nullopt;
  const auto role = role_from_string(user->role);
  if (!role) return std::nullopt;
  return Caller{user->name, *role, via_session, credential->csrf_token, hash};
}

NewSession AuthService::open_session(const UserRecord& user, EpochMs now) {
  NewSession session{random_hex(32), random_hex(16), now + static_cast<EpochMs>(session_ttl_s_) * 1000};
  store_.add_credential({sha256_hex(session.secret), user.name, "session", "", session.csrf_token, now,
                         session.expires_ms});
  return session;
}

void AuthService::close_session(const Caller& caller) {
  if (caller.via_session) store_.remove_credential(caller.secret_hash);
}

bool AuthService::sign_in_blocked(const std::string& name, EpochMs now) const {
  const auto found = failures_.find(name);
  return found != failures_.end() && found->second.count >= kMaxFailures &&
         now - found->second.first_ms < kFailureWindowMs;
}

void AuthService::sign_in_failed(const std::string& name, EpochMs now) {
  auto& entry = failures_[name];
  if (now - entry.first_ms >= kFailureWindowMs) entry = {0, now};
  ++entry.count;
  // Bounded: names that never existed must not grow this map forever.
  if (failures_.size() > 10'000) failures_.clear();
}

std::string AuthService::add_user(const std::string& name, const std::string& role, std::string_view password,
                                  EpochMs now) {
  if (!is_valid_id(name)) return "user name: must be 1-64 characters of A-Z a-z 0-9 _ -";
  if (!role_from_string(role)) return "role: must be operator, supervisor or admin";
  if (const auto problem = password_problem(password); !problem.empty()) return "password: " + problem;
  if (!store_.add_user({name, role, hash_password(password), now})) return "user " + name + " exists already";
  return {};
}

std::optional<std::string> AuthService::issue_token(const std::string& user, const std::string& label, EpochMs now) {
  if (!store_.user(user)) return std::nullopt;
  auto token = std::string(kTokenPrefix) + random_hex(32);
  store_.add_credential({sha256_hex(token), user, "token", label, "", now, std::nullopt});
  return token;
}

}  // namespace gridwatch::central
