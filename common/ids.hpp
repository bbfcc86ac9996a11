#pragma once
#include <string>
#include <string_view>

namespace gridwatch {

/// Gateway, camera, sensor and zone ids: 1-64 chars of [A-Za-z0-9_-].
/// They appear as MQTT topic levels and as TLS identities (per-gateway
/// ACLs), so '/', '+', '#' and whitespace are never allowed.
bool is_valid_id(std::string_view id);

/// Alert and episode ids: 1-128 chars of [A-Za-z0-9_.:-].
bool is_valid_message_id(std::string_view id);

/// Lower-case hex of `bytes` random bytes from the OS entropy source.
std::string random_hex(std::size_t bytes);

}  // namespace gridwatch
