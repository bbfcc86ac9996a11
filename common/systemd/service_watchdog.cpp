#include "common/systemd/service_watchdog.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstring>

namespace gridwatch {

namespace {

void notify(const char* state) {
  // Failures are logged, never thrown: losing the notification socket must
  // not take the daemon down (systemd then restarts it, which is the
  // right outcome for a watchdog that cannot be fed).
  const int result = sd_notify(0, state);
  if (result < 0) spdlog::warn("sd_notify({}) failed: {}", state, std::strerror(-result));
}

}  // namespace

ServiceWatchdog::ServiceWatchdog(boost::asio::io_context& io) : timer_(io) {
  std::uint64_t watchdog_usec = 0;
  const int enabled = sd_watchdog_enabled(0, &watchdog_usec);
  if (enabled < 0) {
    spdlog::warn("systemd watchdog settings unreadable ({}); not pinging", std::strerror(-enabled));
  } else if (enabled > 0 && watchdog_usec > 0) {
    ping_interval_ = std::chrono::microseconds(watchdog_usec / 2);
  }
}

void ServiceWatchdog::start() {
  notify("READY=1");
  if (ping_interval_.count() == 0) return;
  spdlog::info("systemd watchdog: pinging every {} ms from the main loop", ping_interval_.count() / 1000);
  notify("WATCHDOG=1");
  schedule_ping();
}

void ServiceWatchdog::stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  notify("STOPPING=1");
}

void ServiceWatchdog::schedule_ping() {
  timer_.expires_after(ping_interval_);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopped_) return;
    notify("WATCHDOG=1");
    schedule_ping();
  });
}

}  // namespace gridwatch
