#pragma once
#include <string>

namespace gridwatch {

/// Sets up the default spdlog logger on stderr with the given level
/// ("trace", "debug", "info", "warn", "error"). Returns false, leaving the
/// level at info, when the name is unknown.
bool setup_logging(const std::string& program, const std::string& level);

/// The level names setup_logging accepts, for config validation.
const char* const* log_level_names();

}  // namespace gridwatch
