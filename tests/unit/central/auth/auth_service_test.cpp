// AuthService over a real SQLite store: users, sessions, tokens, cookies.
#include <catch2/catch.hpp>

#include "central/auth/auth_service.hpp"
#include "central/auth/password.hpp"
#include "central/sqlite_store.hpp"
#include "tests/support/test_env.hpp"

using namespace gridwatch;
using namespace gridwatch::central;

TEST_CASE("users need a valid name, a known role and a real password", "[auth]") {
  test::TempDir dir;
  SqliteStore store(dir.file("central.db"));
  AuthService auth(store, 3600);
  CHECK(auth.add_user("chief", "admin", "a strong password", 1).empty());
  CHECK(auth.add_user("chief", "admin", "a strong password", 1).find("exists") != std::string::npos);
  CHECK(auth.add_user("bad name", "admin", "a strong password", 1).rfind("user name:", 0) == 0);
  CHECK(auth.add_user("x", "root", "a strong password", 1).rfind("role:", 0) == 0);
  CHECK(auth.add_user("y", "operator", "short", 1).rfind("password:", 0) == 0);
  const auto stored = store.user("chief");
  REQUIRE(stored);
  CHECK(stored->password_hash.rfind("pbkdf2-sha256$", 0) == 0);
  CHECK(stored->password_hash.find("a strong password") == std::string::npos);
  CHECK(verify_password("a strong password", stored->password_hash));
}

TEST_CASE("a session cookie and a bearer token name their user, nothing else does", "[auth]") {
  test::TempDir dir;
  SqliteStore store(dir.file("central.db"));
  AuthService auth(store, 3600);
  store.add_user({"duty-1", "operator", hash_password("irrelevant here", 1000), 1});
  const auto session = auth.open_session(*store.user("duty-1"), 1000);
  const auto cookie = "theme=dark; gw_session=" + session.secret + "; other=1";
  const auto caller = auth.authenticate(cookie, "", 2000);
  REQUIRE(caller);
  CHECK(caller->user == "duty-1");
  CHECK(caller->role == Role::operator_);
  CHECK(caller->via_session);
  CHECK(caller->csrf_token == session.csrf_token);
  CHECK_FALSE(auth.authenticate(cookie, "", 1000 + 3600 * 1000));  // expired
  CHECK_FALSE(auth.authenticate("gw_session=forged", "", 2000));
  // A session secret is not a token, nor the other way round.
  CHECK_FALSE(auth.authenticate("", "Bearer " + session.secret, 2000));

  const auto token = auth.issue_token("duty-1", "scada", 1000);
  REQUIRE(token);
  const auto machine = auth.authenticate("", "Bearer " + *token, 5000);
  REQUIRE(machine);
  CHECK(machine->user == "duty-1");
  CHECK_FALSE(machine->via_session);
  CHECK_FALSE(auth.authenticate("gw_session=" + *token, "", 5000));
  CHECK_FALSE(auth.issue_token("nobody", "", 1000));

  auth.close_session(*caller);
  CHECK_FALSE(auth.authenticate(cookie, "", 2000));
}

TEST_CASE("five wrong passwords block a name for five minutes", "[auth]") {
  test::TempDir dir;
  SqliteStore store(dir.file("central.db"));
  AuthService auth(store, 3600);
  for (int i = 0; i < AuthService::kMaxFailures; ++i) {
    CHECK_FALSE(auth.sign_in_blocked("duty-1", 1000));
    auth.sign_in_failed("duty-1", 1000 + i);
  }
  CHECK(auth.sign_in_blocked("duty-1", 2000));
  CHECK_FALSE(auth.sign_in_blocked("duty-2", 2000));
  CHECK_FALSE(auth.sign_in_blocked("duty-1", 1000 + AuthService::kFailureWindowMs));
  auth.sign_in_succeeded("duty-1");
  CHECK_FALSE(auth.sign_in_blocked("duty-1", 2000));
}

TEST_CASE("cookie_value finds one cookie among many", "[auth]") {
  CHECK(cookie_value("a=1; gw_session=abc;b=2", "gw_session") == "abc");
  CHECK(cookie_value(" gw_session=x ", "gw_session") == "x");
  CHECK_FALSE(cookie_value("xgw_session=abc", "gw_session"));
  CHECK_FALSE(cookie_value("", "gw_session"));
}
