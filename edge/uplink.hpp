#pragma once
// Moves outbox rows to the broker: strict priority order (an alarm never
// waits behind telemetry for more than one free slot), oldest first within
// a priority, at most `window` publishes awaiting PUBACK, and a row is
// deleted only after its PUBACK. Runs on the io_context thread.
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <unordered_set>
#include <vector>

#include "common/mqtt/mqtt_client.hpp"
#include "edge/outbox.hpp"

namespace gridwatch::edge {

struct UplinkCounters {
  std::uint64_t published = 0;  ///< publishes handed to the client
  std::uint64_t delivered = 0;  ///< PUBACKs received
  std::uint64_t failed = 0;     ///< publishes that ended without PUBACK (to be re-sent)
};

class Uplink {
 public:
  Uplink(boost::asio::io_context& io, Outbox& outbox, mqtt::Client& client, int window);

  /// Call when the client (re)connects, and whenever rows were appended.
  void pump();
  /// Deletes acknowledged rows now (also done on a short timer).
  void flush_delivered();

  const UplinkCounters& counters() const { return counters_; }
  std::size_t in_flight() const { return in_flight_.size(); }

 private:
  void on_delivery(std::int64_t id, Priority priority, bool delivered);
  void schedule_flush();

  Outbox& outbox_;
  mqtt::Client& client_;
  std::size_t window_;
  boost::asio::steady_timer flush_timer_;
  bool flush_scheduled_ = false;
  // Per priority, the highest row id already handed out; rows above it are
  // new. A failed delivery moves the cursor back so the row is re-sent.
  std::array<std::int64_t, kAllPriorities.size()> cursor_{};
  std::unordered_set<std::int64_t> in_flight_;
  std::unordered_set<std::int64_t> delivered_;  // acknowledged, not yet deleted
  std::vector<std::int64_t> to_delete_;
  UplinkCounters counters_;
};

}  // namespace gridwatch::edge
