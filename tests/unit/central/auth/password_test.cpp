// Password hashing: a real KDF, salted, self-describing, constant-time check.
#include <catch2/catch.hpp>

#include "central/auth/password.hpp"

using namespace gridwatch::central;

TEST_CASE("a password hash verifies the password and nothing else", "[auth]") {
  const auto hash = hash_password("correct horse battery", 1000);
  CHECK(hash.rfind("pbkdf2-sha256$1000$", 0) == 0);
  CHECK(verify_password("correct horse battery", hash));
  CHECK_FALSE(verify_password("correct horse batterY", hash));
  CHECK_FALSE(verify_password("", hash));
  // Salted: the same password hashes differently each time.
  CHECK(hash_password("correct horse battery", 1000) != hash);
}

TEST_CASE("the default hash uses 600,000 PBKDF2 iterations", "[auth]") {
  const auto hash = hash_password("a long enough password");
  CHECK(hash.rfind("pbkdf2-sha256$600000$", 0) == 0);
  CHECK(verify_password("a long enough password", hash));
}

TEST_CASE("malformed or weakened stored hashes never verify", "[auth]") {
  const auto good = hash_password("secret password", 1000);
  CHECK_FALSE(verify_password("secret password", ""));
  CHECK_FALSE(verify_password("secret password", "plain text"));
  CHECK_FALSE(verify_password("secret password", "md5$1000$abc$def"));
  auto weakened = good;
  weakened.replace(weakened.find("$1000$"), 6, "$1$");
  CHECK_FALSE(verify_password("secret password", weakened));
  CHECK_FALSE(verify_password("secret password", good.substr(0, good.size() - 4)));
  CHECK_FALSE(verify_password("secret password", "pbkdf2-sha256$1000$!!!$!!!"));
}

TEST_CASE("secrets are random and their digests are stable", "[auth]") {
  CHECK(random_hex(32).size() == 64);
  CHECK(random_hex(32) != random_hex(32));
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(password_problem("short").find("10 characters") != std::string::npos);
  CHECK(password_problem("long enough!").empty());
}
