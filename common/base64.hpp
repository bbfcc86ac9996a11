#pragma once
// Base64 (RFC 4648, standard alphabet, padded) via OpenSSL's EVP codec.
#include <optional>
#include <string>
#include <string_view>

namespace gridwatch {

std::string base64_encode(std::string_view bytes);
/// nullopt when `text` is not valid padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace gridwatch
