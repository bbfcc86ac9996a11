#pragma once
// A daemon's side of systemd's service protocol (Type=notify): READY=1
// once the daemon has started, STOPPING=1 on shutdown, and, when the unit
// sets WatchdogSec=, WATCHDOG=1 pings at half that interval. Both
// gridwatch-edge and gridwatch-central use it.
//
// The pings are a timer on the daemon's io_context, not a thread of their
// own: the gateway handles every sensor reading, camera report and MQTT
// result on that loop, central every ingest batch, store commit and API
// request, so a handler that hangs it also stops the pings, and systemd
// kills and restarts the service (Restart=on-failure).
//
// Outside systemd (no NOTIFY_SOCKET) every call is a no-op.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

namespace gridwatch {

class ServiceWatchdog {
 public:
  /// Reads the service manager's environment (NOTIFY_SOCKET, WATCHDOG_USEC,
  /// WATCHDOG_PID) once.
  explicit ServiceWatchdog(boost::asio::io_context& io);
  ServiceWatchdog(const ServiceWatchdog&) = delete;
  ServiceWatchdog& operator=(const ServiceWatchdog&) = delete;

  /// Sends READY=1 and starts the pings. Call on the io_context thread
  /// after the daemon has started.
  void start();
  /// Sends STOPPING=1 and stops the pings.
  void stop();

  /// The ping interval (half of WatchdogSec), or zero when the service
  /// manager asked for no watchdog.
  std::chrono::microseconds ping_interval() const { return ping_interval_; }

 private:
  void schedule_ping();

  boost::asio::steady_timer timer_;
  std::chrono::microseconds ping_interval_{0};
  bool stopped_ = false;
};

}  // namespace gridwatch
