#pragma once
// The service manager's end of systemd's notification protocol, for tests
// of sd_notify senders: a unix datagram socket in a temp dir, exported as
// NOTIFY_SOCKET (and WATCHDOG_USEC), and a thread recording each datagram
// with its arrival time. Child processes started while it lives inherit
// the environment, as a service started by systemd would.
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/test_env.hpp"

namespace gridwatch::test {

struct Notification {
  std::string text;  ///< e.g. "READY=1", "WATCHDOG=1"
  std::chrono::steady_clock::time_point at;
};

class NotifySocket {
 public:
  /// Which process the watchdog settings address (WATCHDOG_PID).
  enum class WatchdogFor { this_process, any_process };

  /// `watchdog` zero exports no WATCHDOG_USEC. Throws when the socket
  /// cannot be made.
  explicit NotifySocket(std::chrono::microseconds watchdog, WatchdogFor whom = WatchdogFor::this_process);
  ~NotifySocket();  ///< also unsets the variables it exported
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  std::vector<Notification> received();
  /// Arrival times of the WATCHDOG=1 pings.
  std::vector<std::chrono::steady_clock::time_point> pings();
  /// Waits until a datagram with exactly `text` arrived.
  bool wait_for(const std::string& text, std::chrono::milliseconds timeout);

 private:
  void receive();

  TempDir dir_;
  int fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<Notification> received_;
  std::thread receiver_;
};

}  // namespace gridwatch::test
