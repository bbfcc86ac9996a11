#pragma once
// A client of central's live feed (GET /api/v1/live, WebSocket) for tests:
// every read gives up after a timeout, so a silent server fails the test
// instead of hanging it.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

namespace gridwatch::test {

class LiveFeedClient {
 public:
  /// Connects and completes the WebSocket handshake; throws on failure.
  explicit LiveFeedClient(std::uint16_t port);
  ~LiveFeedClient();
  LiveFeedClient(const LiveFeedClient&) = delete;
  LiveFeedClient& operator=(const LiveFeedClient&) = delete;

  /// The next message, parsed, or nullopt after `timeout` or on close.
  std::optional<nlohmann::json> next(std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridwatch::test
