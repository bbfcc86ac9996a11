#pragma once
// A validation problem tied to one field (wire payloads) or one config key.
#include <string>
#include <vector>

namespace gridwatch {

struct FieldError {
  std::string field;    ///< dotted path, e.g. "location.lat" or "mqtt.keepalive_s"
  std::string message;  ///< what is wrong, in plain words
};

using FieldErrors = std::vector<FieldError>;

/// "field: message; field2: message2" — one line, for logs and replies.
std::string join_errors(const FieldErrors& errors);

}  // namespace gridwatch
