#include "central/auth/password.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <charconv>
#include <stdexcept>
#include <vector>

#include "common/base64.hpp"

namespace gridwatch::central {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
constexpr int kMinIterations = 1000;  // refuse stored strings that were tampered down
constexpr int kMaxIterations = 10'000'000;

std::string derive(std::string_view password, std::string_view salt, int iterations) {
  std::string out(kHashBytes, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                        EVP_sha256(), static_cast<int>(out.size()), reinterpret_cast<unsigned char*>(out.data())) != 1) {
    throw std::runtime_error("PBKDF2 failed in OpenSSL");
  }
  return out;
}

std::string random_bytes(std::size_t count) {
  std::string out(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    throw std::runtime_error("OpenSSL's random generator failed");
  }
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0xF];
  }
  return out;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

}  // namespace

std::string hash_password(std::string_view password, int iterations) {
  const auto salt = random_bytes(kSaltBytes);
  return fmt::format("{}${}${}${}", kScheme, iterations, base64_encode(salt),
                     base64_encode(derive(password, salt, iterations)));
}

bool verify_password(std::string_view password, const std::string& stored) {
  const auto parts = split(stored, '$');
  if (parts.size() != 4 || parts[0] != kScheme) return false;
  int iterations = 0;
  const auto [end, error] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), iterations);
  if (error != std::errc{} || end != parts[1].data() + parts[1].size() || iterations < kMinIterations ||
      iterations > kMaxIterations) {
    return false;
  }
  const auto salt = base64_decode(parts[2]);
  const auto expected = base64_decode(parts[3]);
  if (!salt || !expected || expected->size() != kHashBytes) return false;
  const auto actual = derive(password, *salt, iterations);
  return CRYPTO_memcmp(actual.data(), expected->data(), kHashBytes) == 0;
}

std::string random_hex(std::size_t bytes) { return to_hex(random_bytes(bytes)); }

std::string sha256_hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string password_problem(std::string_view password) {
  if (password.size() < 10) return "must be at least 10 characters";
  if (password.size() > 1024) return "must be at most 1024 characters";
  return {};
}

}  // namespace gridwatch::central
