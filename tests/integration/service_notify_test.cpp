// Issue 9: both daemons speak systemd's Type=notify protocol, as their
// units expect (Type=notify, WatchdogSec=30s): the test plays systemd with
// a real notification socket (tests/support/notify_socket), starts the real
// binaries as its children, and checks READY=1, the WATCHDOG=1 pings at
// half the watchdog interval, and STOPPING=1 on SIGTERM.
#include <catch2/catch.hpp>

#include <csignal>

#include "tests/integration/daemons.hpp"
#include "tests/support/notify_socket.hpp"

using namespace gridwatch;
using namespace std::chrono_literals;

namespace {

// WATCHDOG_USEC of 1 s: the daemon pings every 500 ms.
constexpr auto kWatchdog = 1s;

void check_service_protocol(test::NotifySocket& manager, test::ChildProcess& daemon) {
  INFO(daemon.log());
  REQUIRE(manager.wait_for("READY=1", 20s));
  // Three pings take 1 s at 500 ms; 10 s leaves room for a loaded machine.
  REQUIRE(test::wait_until([&] { return manager.pings().size() >= 3; }, 10s));
  daemon.signal(SIGTERM);
  REQUIRE(manager.wait_for("STOPPING=1", 10s));
  CHECK(daemon.wait_exit(10s) == 0);
  const auto received = manager.received();
  REQUIRE_FALSE(received.empty());
  CHECK(received.front().text == "READY=1");
  CHECK(received.back().text == "STOPPING=1");
}

}  // namespace

TEST_CASE("gridwatch-central: READY=1 once running, WATCHDOG=1 from its loop, STOPPING=1 on SIGTERM",
          "[integration][systemd]") {
  test::MosquittoBroker broker;
  test::Daemons daemons(broker);
  // Exported before the child starts, so it inherits NOTIFY_SOCKET and
  // WATCHDOG_USEC as a service started by systemd does.
  test::NotifySocket manager(kWatchdog, test::NotifySocket::WatchdogFor::any_process);
  auto central = daemons.start_central();
  check_service_protocol(manager, *central);
}

TEST_CASE("gridwatch-edge: READY=1 once running, WATCHDOG=1 from its loop, STOPPING=1 on SIGTERM",
          "[integration][systemd]") {
  test::MosquittoBroker broker;
  test::Daemons daemons(broker);
  test::NotifySocket manager(kWatchdog, test::NotifySocket::WatchdogFor::any_process);
  auto edge = daemons.start_edge({});
  check_service_protocol(manager, *edge);
}
