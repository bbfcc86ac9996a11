#include "central/notification_sender.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>

namespace gridwatch::central {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

/// One HTTP POST with a deadline. `done` gets nullopt on a 2xx answer,
/// else what went wrong; it is called exactly once, unless abort() came
/// first, on the io_context.
class NotificationSender::Post : public std::enable_shared_from_this<Post> {
 public:
  using Done = std::function<void(std::optional<std::string>)>;

  Post(asio::io_context& io, HttpUrl url, std::string body, std::string key, std::string bearer, int timeout_ms,
       Done done)
      : resolver_(io), stream_(io), url_(std::move(url)), timeout_(timeout_ms), done_(std::move(done)) {
    request_.method(http::verb::post);
    request_.target(url_.target);
    request_.version(11);
    request_.set(http::field::host, url_.host);
    request_.set(http::field::user_agent, "gridwatch-central");
    request_.set(http::field::content_type, "application/json");
    request_.set("Idempotency-Key", key);
    if (!bearer.empty()) request_.set(http::field::authorization, "Bearer " + bearer);
    request_.keep_alive(false);
    request_.body() = std::move(body);
    request_.prepare_payload();
  }

  void run() {
    stream_.expires_after(timeout_);
    resolver_.async_resolve(url_.host, url_.port,
                            [self = shared_from_this()](beast::error_code error, tcp::resolver::results_type found) {
                              self->on_resolve(error, std::move(found));
                            });
  }

  void abort() {
    done_ = nullptr;
    resolver_.cancel();
    beast::error_code ignored;
    stream_.socket().close(ignored);
  }

 private:
  void on_resolve(beast::error_code error, const tcp::resolver::results_type& found) {
    if (error) return fail("cannot resolve " + url_.host + ": " + error.message());
    stream_.async_connect(found, [self = shared_from_this()](beast::error_code connect_error, const auto&) {
      self->on_connect(connect_error);
    });
  }

  void on_connect(beast::error_code error) {
    if (error) return fail(fmt::format("cannot connect to {}:{}: {}", url_.host, url_.port, error.message()));
    http::async_write(stream_, request_, [self = shared_from_this()](beast::error_code write_error, std::size_t) {
      self->on_write(write_error);
    });
  }

  void on_write(beast::error_code error) {
    if (error) return fail("sending the request failed: " + error.message());
    http::async_read(stream_, buffer_, response_, [self = shared_from_this()](beast::error_code read_error, std::size_t) {
      self->on_read(read_error);
    });
  }

  void on_read(beast::error_code error) {
    if (error) return fail("no answer: " + error.message());
    const unsigned status = response_.result_int();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    if (status >= 200 && status < 300) return complete(std::nullopt);
    std::string body = response_.body().substr(0, 200);
    std::replace(body.begin(), body.end(), '\n', ' ');
    complete(fmt::format("HTTP {}{}{}", status, body.empty() ? "" : ": ", body));
  }

  void fail(std::string why) { complete(std::move(why)); }

  void complete(std::optional<std::string> error) {
    if (!done_) return;
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(error));
  }

  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  HttpUrl url_;
  std::chrono::milliseconds timeout_;
  Done done_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  beast::flat_buffer buffer_;
};

NotificationSender::NotificationSender(asio::io_context& io, Store& store, std::vector<NotifierSettings> channels)
    : io_(io), store_(store), channels_(std::move(channels)), timer_(io) {
  int longest_timeout_ms = 0;
  for (const auto& channel : channels_) longest_timeout_ms = std::max(longest_timeout_ms, channel.timeout_ms);
  // A lease outlives every attempt, so a row is only retried by another
  // sender (or after a restart) once its attempt is certainly over.
  lease_ms_ = longest_timeout_ms + 10'000;
}

NotificationSender::~NotificationSender() { stop(); }

void NotificationSender::start() {
  stopped_ = false;
  schedule_poll(0);
}

void NotificationSender::stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  for (auto& weak : posts_) {
    if (auto post = weak.lock()) post->abort();
  }
  posts_.clear();
}

void NotificationSender::kick() {
  if (stopped_ || poll_pending_) return;
  poll_pending_ = true;
  asio::post(io_, [this] {
    poll_pending_ = false;
    if (!stopped_) poll();
  });
}

void NotificationSender::schedule_poll(int delay_ms) {
  timer_.expires_after(std::chrono::milliseconds(delay_ms));
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopped_) return;
    poll();
    schedule_poll(kPollIntervalMs);
  });
}

const NotifierSettings* NotificationSender::channel(const std::string& name) const {
  const auto found = std::find_if(channels_.begin(), channels_.end(), [&](const auto& c) { return c.name == name; });
  return found == channels_.end() ? nullptr : &*found;
}

void NotificationSender::poll() {
  if (counters_.in_flight >= kMaxInFlight) return;
  const EpochMs now = wall_clock_ms();
  std::vector<NotificationRecord> due;
  try {
    due = store_.claim_notifications(now, now + lease_ms_, kMaxInFlight - counters_.in_flight);
  } catch (const std::exception& failure) {
    spdlog::error("notifications: cannot read the outbox: {}", failure.what());
    return;
  }
  for (const auto& row : due) deliver(row);
  // A full batch means more may be waiting.
  if (due.size() == kMaxInFlight) kick();
}

void NotificationSender::deliver(const NotificationRecord& row) {
  const NotifierSettings* settings = channel(row.channel);
  if (settings == nullptr) {
    // Kept, not dropped: the notifier may come back with the next config.
    finish(row.id, row.channel, row.attempts, "notifier '" + row.channel + "' is not in the config");
    return;
  }
  if (settings->type == "log") {
    spdlog::info("notify {} (incident {}): {}", row.channel, row.incident_id, row.body);
    finish(row.id, row.channel, row.attempts, std::nullopt);
    return;
  }
  std::string error;
  // A webhook row carries the URL it was planned for; an SMS row carries a
  // phone number, and goes to the SMS gateway the config names now.
  const std::string& endpoint = settings->type == "webhook" ? row.target : settings->url;
  auto url = parse_http_url(endpoint, error);
  if (!url) {
    finish(row.id, row.channel, row.attempts, "url " + error);
    return;
  }
  ++counters_.in_flight;
  const std::int64_t id = row.id;
  const std::string name = row.channel;
  const int attempts = row.attempts;
  auto post = std::make_shared<Post>(io_, std::move(*url), row.body, fmt::format("gridwatch-notification-{}", id),
                                     settings->bearer_token, settings->timeout_ms,
                                     [this, id, name, attempts](std::optional<std::string> failure) {
                                       --counters_.in_flight;
                                       finish(id, name, attempts, std::move(failure));
                                       kick();
                                     });
  posts_.erase(std::remove_if(posts_.begin(), posts_.end(), [](const auto& weak) { return weak.expired(); }),
               posts_.end());
  posts_.push_back(post);
  post->run();
}

void NotificationSender::finish(std::int64_t id, const std::string& channel_name, int attempts,
                                std::optional<std::string> error) {
  const EpochMs now = wall_clock_ms();
  try {
    if (!error) {
      store_.notification_delivered(id, now);
      ++counters_.delivered;
      return;
    }
    ++counters_.failed_attempts;
    const NotifierSettings* settings = channel(channel_name);
    const std::int64_t delay = settings != nullptr ? retry_delay_ms(*settings, attempts) : 60'000;
    store_.notification_failed(id, now + delay, *error);
    // One line per failed attempt: attempts back off, so this stays rare.
    spdlog::warn("notify {}: notification {} attempt {} failed ({}); retrying in {} s", channel_name, id, attempts,
                 *error, static_cast<double>(delay) / 1000.0);
  } catch (const std::exception& failure) {
    // The lease runs out and the row is tried again: at least once.
    spdlog::error("notifications: cannot record the outcome of notification {}: {}", id, failure.what());
  }
}

}  // namespace gridwatch::central
