#include "common/ids.hpp"

#include <random>

namespace gridwatch {
namespace {

bool all_chars_in(std::string_view text, std::string_view extra) {
  for (char c : text) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && extra.find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

bool is_valid_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && all_chars_in(id, "_-");
}

bool is_valid_message_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 && all_chars_in(id, "_.:-");
}

std::string random_hex(std::size_t bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::random_device entropy;
  std::string out;
  out.reserve(bytes * 2);
  for (std::size_t i = 0; i < bytes; ++i) {
    const auto byte = static_cast<unsigned>(entropy()) & 0xffU;
    out += kDigits[byte >> 4U];
    out += kDigits[byte & 0xfU];
  }
  return out;
}

}  // namespace gridwatch
