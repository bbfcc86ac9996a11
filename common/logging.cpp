#include "common/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace gridwatch {
namespace {
constexpr const char* kLevelNames[] = {"trace", "debug", "info", "warn", "error", nullptr};
}

const char* const* log_level_names() { return kLevelNames; }

bool setup_logging(const std::string& program, const std::string& level) {
  // stderr, so `analyze`-style subcommands can keep stdout for data.
  auto logger = spdlog::stderr_color_mt(program);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  spdlog::set_default_logger(logger);
  const auto parsed = spdlog::level::from_str(level);
  const bool known = parsed != spdlog::level::off || level == "off";
  spdlog::set_level(known ? parsed : spdlog::level::info);
  return known;
}

}  // namespace gridwatch
