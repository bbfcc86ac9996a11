#pragma once
// Password hashing with a real KDF: PBKDF2-HMAC-SHA256 (OpenSSL), a
// random 16-byte salt and, by default, 600,000 iterations (OWASP's 2023
// figure for SHA-256). The stored string carries its own parameters, so
// the count can rise later without invalidating old hashes:
//   pbkdf2-sha256$600000$<salt base64>$<hash base64>
#include <string>
#include <string_view>

namespace gridwatch::central {

inline constexpr int kDefaultPbkdf2Iterations = 600'000;

/// A fresh hash of `password`. Throws std::runtime_error if OpenSSL fails.
std::string hash_password(std::string_view password, int iterations = kDefaultPbkdf2Iterations);

/// True when `password` matches `stored` (constant-time comparison);
/// false for a wrong password or a malformed stored string.
bool verify_password(std::string_view password, const std::string& stored);

/// `bytes` random bytes from OpenSSL's CSPRNG, hex-encoded. Throws on failure.
std::string random_hex(std::size_t bytes);

/// SHA-256 of `text`, hex-encoded: what the store keeps of a session or token.
std::string sha256_hex(std::string_view text);

/// Why a new password is not acceptable, or empty when it is.
std::string password_problem(std::string_view password);

}  // namespace gridwatch::central
