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

Uplink::Uplink(boost::asio::io_context& io, Outbox& outbox, mqtt::Client& client, int window, PayloadResolver resolver)
    : outbox_(outbox),
      client_(client),
      window_(static_cast<std::size_t>(std::max(1, window))),
      flush_timer_(io),
      resolver_(std::move(resolver)) {}

void Uplink::pump() {
  if (!client_.connected()) return;
  try {
    for (auto priority : kAllPriorities) {
      const auto p = static_cast<std::size_t>(priority);
      if (in_flight_.size() >= window_) break;  // lower priorities get only what is left
      // Failed deliveries first: they are the oldest rows of this priority.
      while (!retry_[p].empty() && in_flight_.size() < window_) {
        std::vector<std::int64_t> ids;
        for (auto it = retry_[p].begin(); it != retry_[p].end() && ids.size() < window_ - in_flight_.size(); ++it) {
          ids.push_back(*it);
        }
        for (auto id : ids) retry_[p].erase(id);
        auto rows = outbox_.rows_by_ids(ids);
        if (!send(rows)) return;
      }
      // Then rows above the cursor, which nobody has sent yet. The depth
      // count says whether there are any, saving a query per PUBACK.
      while (in_flight_.size() < window_) {
        const auto accounted = in_flight_per_priority_[p] + awaiting_delete_per_priority_[p] + retry_[p].size();
        if (outbox_.depth(priority) <= accounted) break;
        auto rows = outbox_.next_rows(priority, cursor_[p], window_ - in_flight_.size());
        if (rows.empty()) break;
        cursor_[p] = rows.back().id;
        if (!send(rows)) return;
      }
    }
  } catch (const sqlite::SqliteError& error) {
    spdlog::error("uplink: cannot read the outbox: {}", error.what());
  }
}

bool Uplink::send(std::vector<OutboxRow>& rows) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& row = rows[i];
    const auto p = static_cast<std::size_t>(row.priority);
    const auto id = row.id;
    if (resolver_ && row.priority == Priority::evidence) {
      auto resolved = resolver_(row);
      if (!resolved) {
        counters_.unresolvable += 1;
        to_delete_.push_back(id);
        awaiting_delete_per_priority_[p] += 1;
        schedule_flush();
        continue;
      }
      row.payload = std::move(*resolved);
    }
    const auto priority = row.priority;
    mqtt::Message message{std::move(row.topic), std::move(row.payload), 1, false};
    if (!client_.publish(message, [this, id, priority](bool ok) { on_delivery(id, priority, ok); })) {
      // Not connected after all: these rows go out after the reconnect.
      for (std::size_t j = i; j < rows.size(); ++j) retry_[static_cast<std::size_t>(rows[j].priority)].insert(rows[j].id);
      return false;
    }
    in_flight_.insert(id);
    in_flight_per_priority_[p] += 1;
    counters_.published += 1;
  }
  return true;
}

void Uplink::on_delivery(std::int64_t id, Priority priority, bool delivered) {
  const auto p = static_cast<std::size_t>(priority);
  if (in_flight_.erase(id) == 0) return;
  in_flight_per_priority_[p] -= 1;
  if (delivered) {
    counters_.delivered += 1;
    to_delete_.push_back(id);
    awaiting_delete_per_priority_[p] += 1;
    if (to_delete_.size() >= kFlushBatch) {
      flush_delivered();
    } else {
      schedule_flush();
    }
  } else {
    counters_.failed += 1;
    retry_[p].insert(id);
  }
  // Refill once a quarter of the window is free: one query fetches several
  // rows (a query per PUBACK doubled the drain's CPU per message), while a
  // small window still never waits for half its slots, which stalls it
  // behind TCP delayed ACKs.
  if (window_ - in_flight_.size() >= std::max<std::size_t>(1, window_ / 4)) pump();
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
  to_delete_.clear();
  awaiting_delete_per_priority_.fill(0);
}

}  // namespace gridwatch::edge
