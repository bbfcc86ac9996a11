#include "edge/uplink.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>

#include "common/wire.hpp"

namespace gridwatch::edge {
namespace {
// Deleting acknowledged rows one transaction (one fsync) each would cap
// the drain rate at the disk's fsync rate; batching costs only a few
// duplicate re-sends after a crash, which central absorbs by alert id.
constexpr auto kFlushDelay = std::chrono::milliseconds(50);
constexpr std::size_t kFlushBatch = 512;
}  // namespace

Uplink::Uplink(boost::asio::io_context& io, Outbox& outbox, mqtt::Client& client, int window, PayloadResolver resolver,
               ReceiptSettings receipts)
    : io_(io),
      outbox_(outbox),
      client_(client),
      window_(static_cast<std::size_t>(std::max(1, window))),
      flush_timer_(io),
      receipts_(std::move(receipts)),
      receipt_timer_(io),
      resolver_(std::move(resolver)),
      self_(std::make_shared<Uplink*>(this)) {
  in_flight_.reserve(window_);
  if (receipts_.enabled) schedule_receipt_check();
}

Uplink::~Uplink() {
  flush_timer_.cancel();
  receipt_timer_.cancel();
}

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
        const auto accounted = in_flight_per_priority_[p] + awaiting_delete_per_priority_[p] + retry_[p].size() +
                               outbox_.awaiting_receipt(priority);
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
    // The handler captures 16 bytes, which std::function stores without
    // allocating; the priority is found again in in_flight_.
    if (!client_.publish({std::move(row.topic), std::move(row.payload), 1, false},
                         [this, id](bool ok) { on_delivery(id, ok); })) {
      // Not connected after all: these rows go out after the reconnect.
      for (std::size_t j = i; j < rows.size(); ++j) retry_[static_cast<std::size_t>(rows[j].priority)].insert(rows[j].id);
      return false;
    }
    in_flight_.push_back({id, priority});
    in_flight_per_priority_[p] += 1;
    counters_.published += 1;
  }
  return true;
}

void Uplink::on_delivery(std::int64_t id, bool delivered) {
  const auto it = std::find_if(in_flight_.begin(), in_flight_.end(), [id](const InFlight& f) { return f.id == id; });
  if (it == in_flight_.end()) return;
  const auto priority = it->priority;
  const auto p = static_cast<std::size_t>(priority);
  *it = in_flight_.back();
  in_flight_.pop_back();
  in_flight_per_priority_[p] -= 1;
  if (delivered) {
    counters_.delivered += 1;
    // An alert stays until central's receipt says it is committed: the
    // broker's PUBACK only says the broker has it (docs/outbox.md).
    const bool alert = priority == Priority::alarm || priority == Priority::fault || priority == Priority::parking;
    (receipts_.enabled && alert ? to_mark_ : to_delete_).push_back(id);
    awaiting_delete_per_priority_[p] += 1;
    schedule_flush();
  } else {
    counters_.failed += 1;
    retry_[p].insert(id);
  }
  schedule_pump();
}

void Uplink::schedule_pump() {
  if (pump_scheduled_) return;
  pump_scheduled_ = true;
  boost::asio::post(io_, [weak = std::weak_ptr<Uplink*>(self_)] {
    const auto self = weak.lock();
    if (!self) return;
    auto& uplink = **self;
    uplink.pump_scheduled_ = false;
    try {
      uplink.pump();
      // After the refill, so that the window is full while the delete runs.
      if (uplink.to_delete_.size() + uplink.to_mark_.size() >= kFlushBatch) uplink.flush_delivered();
    } catch (const std::exception& error) {  // e.g. from the payload resolver; never into Asio
      spdlog::error("uplink: refill failed: {}", error.what());
    }
  });
}

void Uplink::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  flush_timer_.expires_after(kFlushDelay);
  flush_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error == boost::asio::error::operation_aborted) return;  // the uplink is being destroyed
    flush_scheduled_ = false;
    if (!error) flush_delivered();
  });
}

void Uplink::flush_delivered() {
  if (to_delete_.empty() && to_mark_.empty()) return;
  outbox_.remove(to_delete_);
  outbox_.mark_published(to_mark_, wall_clock_ms());
  to_delete_.clear();
  to_mark_.clear();
  awaiting_delete_per_priority_.fill(0);
}

std::optional<std::int64_t> Uplink::row_of(const std::string& alert_id) {
  // "{gateway_id}:{epoch}:{seq}", the seq being the outbox row id. An id
  // of an earlier (quarantined) outbox names a row of that file, not ours.
  const auto expected = receipts_.gateway_id + ":" + outbox_.epoch() + ":";
  if (alert_id.size() > expected.size() && alert_id.compare(0, expected.size(), expected) == 0) {
    const auto digits = std::string_view(alert_id).substr(expected.size());
    if (digits.size() <= 18 && std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::stoll(std::string(digits));
    }
  }
  counters_.foreign_ids += 1;
  return std::nullopt;
}

void Uplink::on_receipt(std::string_view payload) {
  auto decoded = decode_receipt(payload);
  if (decoded.ok() && decoded.value->gateway_id != receipts_.gateway_id) {
    decoded.errors.push_back({"gateway_id", "\"" + decoded.value->gateway_id + "\" is not this gateway"});
    decoded.value.reset();
  }
  if (!decoded.ok()) {
    counters_.bad_receipts += 1;
    // The first few in full, then one in 100: a misbehaving sender must
    // not flood the gateway's log.
    if (counters_.bad_receipts <= 5 || counters_.bad_receipts % 100 == 0) {
      spdlog::warn("uplink: ignoring an unreadable receipt ({} so far): {}", counters_.bad_receipts,
                   join_errors(decoded.errors));
    }
    return;
  }
  counters_.receipts += 1;
  const auto& receipt = *decoded.value;
  std::vector<std::int64_t> ids;
  ids.reserve(receipt.accepted.size() + receipt.rejected.size());
  for (const auto& alert_id : receipt.accepted) {
    if (const auto row = row_of(alert_id)) {
      ids.push_back(*row);
      counters_.receipted += 1;
    }
  }
  for (const auto& rejected : receipt.rejected) {
    if (const auto row = row_of(rejected.alert_id)) {
      ids.push_back(*row);
      counters_.rejected_by_central += 1;
      spdlog::warn("uplink: central rejected alert {} and will never take it: {}; dropping it", rejected.alert_id,
                   rejected.error);
    }
  }
  if (!receipts_.enabled) return;  // then alerts were deleted on PUBACK already
  // Central can answer within the flush delay. Marking our acknowledged
  // rows first keeps the per-priority counts exact: a receipted row still
  // counted as awaiting its delete made pump() believe its priority was
  // fully sent and move on to a lower one.
  flush_delivered();
  outbox_.remove(ids);
  schedule_pump();
}

void Uplink::requeue_unreceipted() {
  const auto now = wall_clock_ms();
  const auto requeued = outbox_.requeue_unreceipted(now - receipts_.timeout_ms, now);
  if (requeued.empty()) return;
  for (const auto& row : requeued) retry_[static_cast<std::size_t>(row.priority)].insert(row.id);
  counters_.receipt_timeouts += requeued.size();
  spdlog::warn("uplink: {} alert(s) got no receipt from central within {} s; sending them again", requeued.size(),
               receipts_.timeout_ms / 1000);
  schedule_pump();
}

void Uplink::schedule_receipt_check() {
  // A quarter of the timeout, so a row waits at most 1.25x the timeout.
  const auto period = std::clamp<std::int64_t>(receipts_.timeout_ms / 4, 100, 5'000);
  receipt_timer_.expires_after(std::chrono::milliseconds(period));
  receipt_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error == boost::asio::error::operation_aborted) return;  // the uplink is being destroyed
    try {
      requeue_unreceipted();
    } catch (const std::exception& failure) {  // never into Asio
      spdlog::error("uplink: receipt check failed: {}", failure.what());
    }
    schedule_receipt_check();
  });
}

}  // namespace gridwatch::edge
