#include "common/field_error.hpp"

namespace gridwatch {

std::string join_errors(const FieldErrors& errors) {
  std::string out;
  for (const auto& error : errors) {
    if (!out.empty()) out += "; ";
    out += error.field.empty() ? std::string("payload") : error.field;
    out += ": ";
    out += error.message;
  }
  return out;
}

}  // namespace gridwatch
