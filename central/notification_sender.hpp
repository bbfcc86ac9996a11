#pragma once
// Delivers the notification outbox (rows the dispatcher wrote with the
// workflow change that caused them): a log line, or an HTTP POST of the
// row's JSON body to a webhook or an SMS gateway. At least once: a row is
// leased before its attempt and marked delivered only after a 2xx answer;
// a failure, a timeout or a central that dies mid-attempt leaves it to be
// retried with backoff, across restarts, forever. Receivers deduplicate
// with the Idempotency-Key header. Runs on the io_context; a failing store
// is logged, never thrown into the io_context.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "central/core/notification_plan.hpp"
#include "central/store.hpp"

namespace gridwatch::central {

struct NotificationSenderCounters {
  std::uint64_t delivered = 0;
  std::uint64_t failed_attempts = 0;
  std::uint64_t in_flight = 0;
};

class NotificationSender {
 public:
  NotificationSender(boost::asio::io_context& io, Store& store, std::vector<NotifierSettings> channels);
  ~NotificationSender();
  NotificationSender(const NotificationSender&) = delete;
  NotificationSender& operator=(const NotificationSender&) = delete;

  void start();
  /// Stops polling and abandons attempts in flight; their rows stay
  /// leased and are retried when the lease runs out.
  void stop();
  /// New rows are waiting: look now rather than at the next poll.
  void kick();
  const NotificationSenderCounters& counters() const { return counters_; }

  static constexpr int kPollIntervalMs = 1000;
  static constexpr std::size_t kMaxInFlight = 16;

 private:
  class Post;
  void schedule_poll(int delay_ms);
  void poll();
  void deliver(const NotificationRecord& row);
  void finish(std::int64_t id, const std::string& channel, int attempts, std::optional<std::string> error);
  const NotifierSettings* channel(const std::string& name) const;

  boost::asio::io_context& io_;
  Store& store_;
  std::vector<NotifierSettings> channels_;
  boost::asio::steady_timer timer_;
  std::vector<std::weak_ptr<Post>> posts_;
  NotificationSenderCounters counters_;
  EpochMs lease_ms_ = 0;
  bool stopped_ = true;
  bool poll_pending_ = false;
};

}  // namespace gridwatch::central
