// ServiceWatchdog against a real notification socket: the test plays
// systemd's part (tests/support/notify_socket) and checks READY=1, the
// periodic WATCHDOG=1, and that a hung io_context stops the pings (the
// reason they come from the loop).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "common/systemd/service_watchdog.hpp"
#include "tests/support/notify_socket.hpp"

using namespace std::chrono_literals;
using gridwatch::test::NotifySocket;
using Clock = std::chrono::steady_clock;

namespace {

void run_for(boost::asio::io_context& io, std::chrono::milliseconds duration) {
  io.restart();
  io.run_for(duration);
}

}  // namespace

TEST_CASE("service watchdog: READY=1 first, then WATCHDOG=1 at half of WatchdogSec, STOPPING=1 last") {
  NotifySocket manager(200ms);
  boost::asio::io_context io;
  gridwatch::ServiceWatchdog watchdog(io);
  CHECK(watchdog.ping_interval() == 100ms);
  watchdog.start();
  run_for(io, 650ms);
  watchdog.stop();
  REQUIRE(manager.wait_for("STOPPING=1", 2s));
  const auto received = manager.received();
  CHECK(received.front().text == "READY=1");
  CHECK(received.back().text == "STOPPING=1");
  // One at start and one per 100 ms: 7 in 650 ms when the machine keeps
  // up; at least 4 under heavy load or emulation, never more than 8.
  const auto pings = manager.pings();
  CHECK(pings.size() >= 4);
  CHECK(pings.size() <= 8);
}

TEST_CASE("service watchdog: a hung main loop stops the pings until it recovers") {
  NotifySocket manager(200ms);
  boost::asio::io_context io;
  gridwatch::ServiceWatchdog watchdog(io);
  watchdog.start();
  run_for(io, 250ms);
  // A handler that blocks the loop, as a hung pipeline stage would.
  Clock::time_point hang_started;
  Clock::time_point hang_ended;
  boost::asio::post(io, [&] {
    hang_started = Clock::now();
    std::this_thread::sleep_for(800ms);
    hang_ended = Clock::now();
  });
  run_for(io, 1200ms);
  watchdog.stop();
  REQUIRE(manager.wait_for("STOPPING=1", 2s));
  int during_hang = 0;
  int after_hang = 0;
  for (const auto at : manager.pings()) {
    // 10 ms of slack for a ping sent just before the hang but read after.
    if (at > hang_started + 10ms && at < hang_ended) ++during_hang;
    if (at >= hang_ended) ++after_hang;
  }
  CHECK(during_hang == 0);
  CHECK(after_hang >= 2);
}

TEST_CASE("service watchdog: outside systemd it sends nothing and keeps no timer") {
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  boost::asio::io_context io;
  gridwatch::ServiceWatchdog watchdog(io);
  CHECK(watchdog.ping_interval().count() == 0);
  watchdog.start();
  run_for(io, 50ms);
  CHECK(io.stopped());  // no ping timer left the loop without work
  watchdog.stop();
}

TEST_CASE("service watchdog: WatchdogSec meant for another process (WATCHDOG_PID) is ignored") {
  NotifySocket manager(200ms);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  boost::asio::io_context io;
  gridwatch::ServiceWatchdog watchdog(io);
  CHECK(watchdog.ping_interval().count() == 0);
  watchdog.start();
  run_for(io, 100ms);
  REQUIRE(manager.wait_for("READY=1", 2s));
  CHECK(manager.pings().empty());
}
