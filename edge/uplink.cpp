#include "edge/uplink.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace gridwatch::edge {
namespace {
// Deleting acknowledged rows one transaction (one fsync) each would cap
// the drain rate at the disk's fsync rate; batching costs only a few
// duplicate re-sends after a crash, which central absorbs by alert id.
constexpr auto kFlushDelay = std::chrono::milliseconds(50);
constexpr std::size_t kFlushBatch = 512;
}  // namespace

Uplink::Uplink(boost::asio::io_context& io, Outbox& outbox, mqtt::Client& client, int window)
    : outbox_(outbox), client_(client), window_(static_cast<std::size_t>(std::max(1, window))), flush_timer_(io) {}

void Uplink::pump() {
  if (!client_.connected()) return;
  try {
    for (auto priority : kAllPriorities) {
      const auto p = static_cast<std::size_t>(priority);
      while (in_flight_.size() < window_) {
        // Rows in flight or delivered-but-not-deleted may sit above the
        // cursor after a failed delivery moved it back; ask for enough rows
        // to skip them all.
        const auto limit = window_ + delivered_.size();
        auto rows = outbox_.next_rows(priority, cursor_[p], limit);
        for (auto& row : rows) {
          if (in_flight_.size() >= window_) break;
          cursor_[p] = std::max(cursor_[p], row.id);
          if (in_flight_.count(row.id) || delivered_.count(row.id)) continue;
          const auto id = row.id;
          mqtt::Message message{std::move(row.topic), std::move(row.payload), 1, false};
          if (!client_.publish(message, [this, id, priority](bool ok) { on_delivery(id, priority, ok); })) {
            // Not connected after all: resend from this row next time.
            cursor_[p] = std::min(cursor_[p], id - 1);
            return;
          }
          in_flight_.insert(id);
          counters_.published += 1;
        }
        if (rows.size() < limit) break;  // this priority is exhausted
      }
      // Lower priorities only get slots this one left free.
      if (in_flight_.size() >= window_) break;
    }
  } catch (const sqlite::SqliteError& error) {
    spdlog::error("uplink: cannot read the outbox: {}", error.what());
  }
}

void Uplink::on_delivery(std::int64_t id, Priority priority, bool delivered) {
  in_flight_.erase(id);
  if (delivered) {
    counters_.delivered += 1;
    delivered_.insert(id);
    to_delete_.push_back(id);
    if (to_delete_.size() >= kFlushBatch) {
      flush_delivered();
    } else {
      schedule_flush();
    }
  } else {
    counters_.failed += 1;
    auto& cursor = cursor_[static_cast<std::size_t>(priority)];
    cursor = std::min(cursor, id - 1);
  }
  // Refill in batches rather than one row per PUBACK: fewer queries.
  if (in_flight_.size() <= window_ / 2) pump();
}

void Uplink::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  flush_timer_.expires_after(kFlushDelay);
  flush_timer_.async_wait([this](const boost::system::error_code& error) {
    flush_scheduled_ = false;
    if (!error) flush_delivered();
  });
}

void Uplink::flush_delivered() {
  if (to_delete_.empty()) return;
  outbox_.remove(to_delete_);
  for (auto id : to_delete_) delivered_.erase(id);
  to_delete_.clear();
}

}  // namespace gridwatch::edge
