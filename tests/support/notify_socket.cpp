#include "tests/support/notify_socket.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace gridwatch::test {

NotifySocket::NotifySocket(std::chrono::microseconds watchdog, WatchdogFor whom) {
  const std::string path = dir_.file("notify.sock");
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) throw std::runtime_error("notify socket path too long: " + path);
  path.copy(address.sun_path, path.size());
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket(AF_UNIX, SOCK_DGRAM): ") + std::strerror(errno));
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd_);
    throw std::runtime_error("bind " + path + ": " + why);
  }
  // recv wakes up regularly to notice stopping_.
  timeval timeout{0, 50'000};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  if (watchdog.count() > 0) {
    ::setenv("WATCHDOG_USEC", std::to_string(watchdog.count()).c_str(), 1);
    if (whom == WatchdogFor::this_process) ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  }
  receiver_ = std::thread([this] { receive(); });
}

NotifySocket::~NotifySocket() {
  stopping_ = true;
  receiver_.join();
  ::close(fd_);
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
}

void NotifySocket::receive() {
  char buffer[4096];
  while (!stopping_) {
    const auto size = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (size <= 0) continue;
    std::lock_guard lock(mutex_);
    received_.push_back({std::string(buffer, static_cast<std::size_t>(size)), std::chrono::steady_clock::now()});
  }
}

std::vector<Notification> NotifySocket::received() {
  std::lock_guard lock(mutex_);
  return received_;
}

std::vector<std::chrono::steady_clock::time_point> NotifySocket::pings() {
  std::vector<std::chrono::steady_clock::time_point> times;
  for (const auto& notification : received())
    if (notification.text == "WATCHDOG=1") times.push_back(notification.at);
  return times;
}

bool NotifySocket::wait_for(const std::string& text, std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        const auto all = received();
        return std::any_of(all.begin(), all.end(), [&](const Notification& n) { return n.text == text; });
      },
      timeout);
}

}  // namespace gridwatch::test
