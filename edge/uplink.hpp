#pragma once
// Moves outbox rows to the broker: strict priority order (an alarm never
// waits behind telemetry for more than one free slot), oldest first within
// a priority, at most `window` publishes awaiting PUBACK, and a row is
// deleted only after its PUBACK, or, for an alert with receipts on, only
// after central's receipt (docs/outbox.md). Runs on the io_context thread.
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/mqtt/mqtt_client.hpp"
#include "edge/outbox.hpp"

namespace gridwatch::edge {

/// End-to-end receipts (uplink.receipts, uplink.receipt_timeout_s).
struct ReceiptSettings {
  bool enabled = false;  ///< off: an alert is deleted on PUBACK, like telemetry
  std::int64_t timeout_ms = 120'000;  ///< an alert without a receipt this long is sent again
  std::string gateway_id;  ///< receipts name alert ids "{gateway_id}:{epoch}:{seq}"
};

struct UplinkCounters {
  std::uint64_t published = 0;  ///< publishes handed to the client
  std::uint64_t unresolvable = 0;  ///< rows whose payload could not be built (evidence file evicted)
  std::uint64_t delivered = 0;  ///< PUBACKs received
  std::uint64_t failed = 0;     ///< publishes that ended without PUBACK (to be re-sent)
  std::uint64_t receipts = 0;   ///< receipts from central that could be read
  std::uint64_t bad_receipts = 0;  ///< receipt payloads that could not be read (logged, ignored)
  std::uint64_t receipted = 0;  ///< alert ids central accepted (rows deleted, if still there)
  std::uint64_t rejected_by_central = 0;  ///< alert ids central will never take (logged, dropped)
  std::uint64_t foreign_ids = 0;  ///< receipted ids of another gateway or outbox epoch (ignored)
  std::uint64_t receipt_timeouts = 0;  ///< alerts sent again because no receipt came in time
};

/// Builds the payload to publish for a row whose stored payload is only a
/// reference (evidence: the JPEG lives in the EvidenceRing). nullopt means
/// the referenced data is gone: the row is dropped and counted.
using PayloadResolver = std::function<std::optional<std::string>(const OutboxRow& row)>;

class Uplink {
 public:
  Uplink(boost::asio::io_context& io, Outbox& outbox, mqtt::Client& client, int window,
         PayloadResolver resolver = nullptr, ReceiptSettings receipts = {});
  ~Uplink();
  Uplink(const Uplink&) = delete;
  Uplink& operator=(const Uplink&) = delete;

  /// Call when the client (re)connects, and whenever rows were appended.
  void pump();
  /// Deletes acknowledged rows, and marks acknowledged alerts as awaiting
  /// a receipt, now (also done on a short timer).
  void flush_delivered();
  /// A message on our cmd/receipt topic: deletes the receipted alerts and
  /// the rejected ones (logged at warn with central's reason). A payload
  /// that cannot be read is counted and logged, never fatal.
  void on_receipt(std::string_view payload);
  /// Sends alerts again that waited longer than the receipt timeout (also
  /// done on a timer).
  void requeue_unreceipted();

  const UplinkCounters& counters() const { return counters_; }
  std::size_t in_flight() const { return in_flight_.size(); }

 private:
  static constexpr std::size_t kPriorities = kAllPriorities.size();

  struct InFlight {
    std::int64_t id;
    Priority priority;
  };

  void on_delivery(std::int64_t id, bool delivered);
  /// Refills the window once the current io_context turn is done, so a
  /// burst of PUBACKs costs one outbox read, not one per PUBACK.
  void schedule_pump();
  void schedule_flush();
  void schedule_receipt_check();
  /// The outbox row id of one of our alert ids; nullopt (and counted) for
  /// another gateway's or another outbox epoch's.
  std::optional<std::int64_t> row_of(const std::string& alert_id);
  /// Publishes `rows` while the window has room; false when the client
  /// refused (disconnected), leaving the rest for later.
  bool send(std::vector<OutboxRow>& rows);

  boost::asio::io_context& io_;
  Outbox& outbox_;
  mqtt::Client& client_;
  std::size_t window_;
  boost::asio::steady_timer flush_timer_;
  ReceiptSettings receipts_;
  boost::asio::steady_timer receipt_timer_;
  bool flush_scheduled_ = false;
  bool pump_scheduled_ = false;
  // Per priority: the highest row id handed out (rows above it are new and
  // never in flight), and the rows whose delivery failed, re-sent first.
  std::array<std::int64_t, kPriorities> cursor_{};
  std::array<std::set<std::int64_t>, kPriorities> retry_;
  std::array<std::uint64_t, kPriorities> in_flight_per_priority_{};
  std::array<std::uint64_t, kPriorities> awaiting_delete_per_priority_{};
  // At most window_ (<= 100) entries: a linear search beats a node-based
  // set that allocates on every publish.
  std::vector<InFlight> in_flight_;
  std::vector<std::int64_t> to_delete_;  // acknowledged, not yet deleted
  std::vector<std::int64_t> to_mark_;    // acknowledged alerts, not yet marked as awaiting a receipt
  UplinkCounters counters_;
  PayloadResolver resolver_;
  // Posted handlers hold a weak reference, so one that runs after the
  // uplink is gone does nothing.
  std::shared_ptr<Uplink*> self_;
};

}  // namespace gridwatch::edge
