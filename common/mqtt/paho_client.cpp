// Paho C++ adapter for gridwatch::mqtt::Client.
//
// Threading: Paho invokes callbacks and action listeners on its own
// threads. Each one only posts a closure onto the io_context; all state
// below (pending deliveries, subscriptions, backoff) is touched on the
// io_context thread alone. Closures hold a weak_ptr so a late Paho
// callback after destruction does nothing. Two small locked queues are
// shared with Paho's threads, for the publish path only:
// - results: PUBACKs arrive in bursts, so Paho's thread appends them to
//   a vector and posts one closure per batch, not one per PUBACK
//   (queue_result);
// - hand-over: a publish made while earlier ones await their PUBACK is
//   handed to Paho by Paho's receive thread, right after the next result
//   (publish, hand_over_queued). That thread already holds the library's
//   client mutex; a publish from the io_context thread must take it and
//   waited for it on nearly every message of a drain.
// What is published, and in which order, is decided on the io_context
// thread alone; the hand-over queue keeps that order.
// A third, the inbox, carries received messages the same way: Paho's
// thread appends, and one closure hands everything queued so far to the
// io_context (at most kMaxDeliveryBatch per turn), so that a consumer can
// store a burst in one commit (Handlers::on_messages).
// The inbox cannot be bounded by making Paho's thread wait: Paho calls
// the message callback holding its client mutex, which our own publishes
// from the io_context thread need (a deadlock), and it has acknowledged a
// QoS 1 message before the callback anyway, so waiting would not hold
// anything back in the broker.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <iterator>
#include <mqtt/async_client.h>
#include <mutex>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/backoff.hpp"
#include "common/mqtt/mqtt_client.hpp"

namespace gridwatch::mqtt {
namespace {

namespace asio = boost::asio;

// Received messages handed to the io_context in one turn at most: enough
// for one store commit to cover a burst, few enough that timers and HTTP
// requests queued behind them wait milliseconds, not seconds.
constexpr std::size_t kMaxDeliveryBatch = 256;

class PahoSession;

// Forwards Paho action results (connect, publish) to the session.
class ActionListener final : public ::mqtt::iaction_listener {
 public:
  using Callback = std::function<void(const ::mqtt::token&, bool ok)>;
  explicit ActionListener(Callback callback) : callback_(std::move(callback)) {}
  void on_success(const ::mqtt::token& token) override { callback_(token, true); }
  void on_failure(const ::mqtt::token& token) override { callback_(token, false); }

 private:
  Callback callback_;
};

class PahoSession : public std::enable_shared_from_this<PahoSession> {
 public:
  PahoSession(asio::io_context& io, Options options, Handlers handlers)
      : io_(io),
        options_(std::move(options)),
        handlers_(std::move(handlers)),
        reconnect_timer_(io),
        backoff_(options_.reconnect_min_ms, options_.reconnect_max_ms, std::random_device{}()),
        connect_listener_([this](const ::mqtt::token& token, bool ok) { on_connect_result(token, ok); }),
        publish_listener_([this](const ::mqtt::token& token, bool ok) { on_publish_result(token, ok); }),
        client_(options_.server_uri, options_.client_id, ::mqtt::create_options(MQTTVERSION_5), nullptr) {}

  // Paho callbacks are installed after construction because they need
  // weak_from_this().
  void install_callbacks() {
    std::weak_ptr<PahoSession> weak = weak_from_this();
    client_.set_connection_lost_handler([weak](const std::string& cause) {
      if (auto self = weak.lock()) self->post([self, cause] { self->handle_lost(cause.empty() ? "connection lost" : cause); });
    });
    client_.set_disconnected_handler([weak](const ::mqtt::properties&, ::mqtt::ReasonCode reason) {
      if (auto self = weak.lock()) {
        self->post([self, reason] { self->handle_lost("broker sent DISCONNECT, reason " + std::to_string(int(reason))); });
      }
    });
    client_.set_message_callback([weak](::mqtt::const_message_ptr message) {
      auto self = weak.lock();
      if (!self || !message) return;
      self->queue_incoming({message->get_topic(), message->to_string(), message->get_qos(), message->is_retained()});
    });
  }

  void start() {
    stopping_ = false;
    // Built once and always passed as an lvalue: connect() takes the
    // options by value, and only Paho's copy constructor keeps the v5
    // connect properties intact.
    connect_options_ = build_connect_options();
    // Paho C++ 1.2.0 loses connect properties set through the builder or
    // carried across a move (the options keep a raw pointer to their own
    // property list; upstream issues #362 and #444). Without them the
    // session expiry is 0 and the broker forgets our session, and the QoS 1
    // messages queued for it, at every disconnect. So they are set here, on
    // the object that lives as long as the client.
    connect_options_.set_properties({{::mqtt::property::SESSION_EXPIRY_INTERVAL, session_expiry_property()}});
    attempt_connect();
  }

  void stop(std::optional<Message> final_message, int timeout_ms) {
    if (stopping_) return;
    stopping_ = true;
    reconnect_timer_.cancel();
    // Before any call into Paho below: a result Paho might report on this
    // thread then finds nothing to hand over (fail_pending() fails them).
    drop_queued();
    const auto timeout = std::chrono::milliseconds(timeout_ms);
    try {
      if (client_.is_connected()) {
        if (final_message) {
          auto token = client_.publish(::mqtt::make_message(final_message->topic, final_message->payload,
                                                            final_message->qos, final_message->retain));
          token->wait_for(timeout);
        }
        client_.disconnect(static_cast<int>(timeout_ms))->wait_for(timeout);
      }
    } catch (const ::mqtt::exception& error) {
      spdlog::warn("mqtt: clean disconnect failed: {}", error.what());
    }
    connected_ = false;
    fail_pending();
  }

  bool connected() const { return connected_; }

  // While earlier publishes await their PUBACK, a new one is queued and
  // handed to Paho by Paho's own thread, right after it reports the next
  // result (on_publish_result). Paho's receive thread holds the library's
  // client mutex while it reports, so a publish made there waits for no
  // lock; a publish from this thread has to take that mutex, and in a
  // drain it waited for it on nearly every message (docs/benchmarks.md).
  // The queue holds only messages this thread has already published,
  // within the caller's window, in its order. With nothing in flight no
  // result is coming, so the publish goes to Paho at once, from here;
  // then the queue is empty (queued_ implies handed_ > 0 or a hand-over
  // in progress), so nothing can overtake it.
  bool publish(Message message, DeliveryHandler done) {
    if (!connected_ || stopping_) return false;
    const std::uint64_t id = next_delivery_id_++;
    {
      const std::lock_guard lock(handover_mutex_);
      if (handed_ > 0 || handing_over_) {
        queued_.push_back({id, std::move(message)});
        pending_.emplace(id, std::move(done));
        return true;
      }
      ++handed_;  // before the call: its result may arrive before the call returns
    }
    if (hand_to_paho(id, std::move(message))) {
      pending_.emplace(id, std::move(done));
      return true;
    }
    const std::lock_guard lock(handover_mutex_);
    if (handed_ > 0) --handed_;
    return false;
  }

  void subscribe(const std::string& filter, int qos) {
    subscriptions_.emplace_back(filter, qos);
    if (connected_) send_subscribe(filter, qos);
  }

 private:
  template <typename Fn>
  void post(Fn&& fn) {
    asio::post(io_, std::forward<Fn>(fn));
  }

  // Paho's thread: one closure is on its way whenever the inbox holds
  // anything.
  void queue_incoming(Message message) {
    {
      const std::lock_guard lock(inbox_mutex_);
      inbox_.push_back(std::move(message));
      if (inbox_posted_) return;
      inbox_posted_ = true;
    }
    post([self = shared_from_this()] { self->deliver_incoming(); });
  }

  // The io_context thread: hands over what has arrived, oldest first.
  void deliver_incoming() {
    std::vector<Message> batch;
    bool more = false;
    {
      const std::lock_guard lock(inbox_mutex_);
      const auto count = std::min(inbox_.size(), kMaxDeliveryBatch);
      batch.reserve(count);
      std::move(inbox_.begin(), inbox_.begin() + static_cast<std::ptrdiff_t>(count), std::back_inserter(batch));
      inbox_.erase(inbox_.begin(), inbox_.begin() + static_cast<std::ptrdiff_t>(count));
      // The rest waits for its own turn, behind the handlers queued meanwhile.
      more = !inbox_.empty();
      inbox_posted_ = more;
    }
    if (more) post([self = shared_from_this()] { self->deliver_incoming(); });
    if (stopping_ || batch.empty()) return;
    if (handlers_.on_messages) {
      handlers_.on_messages(batch);
    } else if (handlers_.on_message) {
      for (auto& message : batch) handlers_.on_message(std::move(message));
    }
  }

  ::mqtt::connect_options build_connect_options() const {
    ::mqtt::connect_options_builder builder;
    // mqtt_version() resets clean-start, so it must come first.
    builder.mqtt_version(MQTTVERSION_5)
        .clean_start(options_.clean_start)
        .keep_alive_interval(std::chrono::seconds(options_.keepalive_s))
        .connect_timeout(std::chrono::seconds(10))
        .automatic_reconnect(false)
        .max_inflight(options_.max_inflight);
    if (options_.will) {
      builder.will(::mqtt::message(options_.will->topic, options_.will->payload, options_.will->qos,
                                   options_.will->retain));
    }
    if (!options_.username.empty()) builder.user_name(options_.username);
    if (options_.tls) {
      ::mqtt::ssl_options_builder ssl;
      ssl.trust_store(options_.tls->ca_file).enable_server_cert_auth(true).verify(true);
      if (!options_.tls->cert_file.empty()) ssl.key_store(options_.tls->cert_file);
      if (!options_.tls->key_file.empty()) ssl.private_key(options_.tls->key_file);
      ssl.error_handler([](const std::string& message) { spdlog::warn("mqtt: TLS: {}", message); });
      builder.ssl(ssl.finalize());
    }
    return builder.finalize();
  }

  // Paho takes the expiry as int32_t; 0xFFFFFFFF ("never") does not fit.
  std::int32_t session_expiry_property() const {
    return static_cast<std::int32_t>(std::min<std::uint32_t>(options_.session_expiry_s, INT32_MAX));
  }

  void attempt_connect() {
    if (stopping_) return;
    try {
      client_.connect(connect_options_, nullptr, connect_listener_);
    } catch (const ::mqtt::exception& error) {
      handle_lost(std::string("connect refused: ") + error.what());
    }
  }

  // Paho thread.
  void on_connect_result(const ::mqtt::token& token, bool ok) {
    bool session_present = false;
    std::string reason;
    if (ok) {
      try {
        session_present = token.get_connect_response().is_session_present();
      } catch (const ::mqtt::exception&) {
      }
    } else {
      reason = "connect failed (rc " + std::to_string(token.get_return_code()) + ", reason " +
               std::to_string(int(token.get_reason_code())) + ")";
    }
    std::weak_ptr<PahoSession> weak = weak_from_this();
    post([weak, ok, session_present, reason] {
      auto self = weak.lock();
      if (!self) return;
      if (ok) {
        self->handle_connected(session_present);
      } else {
        self->handle_lost(reason);
      }
    });
  }

  // Any thread. False when Paho refused the message (not connected).
  bool hand_to_paho(std::uint64_t id, Message message) noexcept {
    try {
      // Moved, not copied: Paho shares the strings by reference count.
      auto paho_message = ::mqtt::make_message(std::move(message.topic), std::move(message.payload), message.qos,
                                               message.retain);
      // The delivery id travels as Paho's user context: no allocation to
      // leak if Paho never reports back.
      client_.publish(paho_message, reinterpret_cast<void*>(static_cast<std::uintptr_t>(id)), publish_listener_);
      return true;
    } catch (const std::exception& error) {
      spdlog::debug("mqtt: publish refused: {}", error.what());
      return false;
    }
  }

  // Paho thread, after a result: hands over the queued publishes, in
  // order. One thread at a time does it (handing_over_), until the queue
  // is empty, so nothing queued is left behind and nothing overtakes.
  void hand_over_queued() {
    std::vector<QueuedPublish> batch;
    {
      const std::lock_guard lock(handover_mutex_);
      if (handing_over_ || queued_.empty()) return;
      handing_over_ = true;
    }
    for (;;) {
      {
        const std::lock_guard lock(handover_mutex_);
        if (queued_.empty()) {
          handing_over_ = false;
          return;
        }
        batch.swap(queued_);
        handed_ += static_cast<int>(batch.size());
      }
      for (auto& [id, message] : batch) {
        if (hand_to_paho(id, std::move(message))) continue;
        {
          const std::lock_guard lock(handover_mutex_);
          if (handed_ > 0) --handed_;  // 0 if fail_pending() reset it meanwhile
        }
        queue_result(id, false, 0);  // the owner re-sends it after the reconnect
      }
      batch.clear();
    }
  }

  // Paho thread. PUBACKs come in bursts (one TCP read holds several), so
  // results are queued under a lock held for a push_back and posted as a
  // batch (queue_result): one io_context wake-up per batch, and the owner
  // sees the whole batch in one turn (it refills its window in one go).
  // Then the publishes queued meanwhile go to Paho from this thread.
  void on_publish_result(const ::mqtt::token& token, bool ok) {
    const auto id = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(token.get_user_context()));
    int still_in_paho = 0;
    {
      const std::lock_guard lock(handover_mutex_);
      if (handed_ > 0) --handed_;  // 0 after a reset: a late result of the previous connection
      still_in_paho = handed_;
    }
    queue_result(id, ok, still_in_paho);
    hand_over_queued();
  }

  // Any thread. While many publishes are still in Paho's hands, results
  // are gathered until a quarter of max_inflight is ready: waking the
  // io_context thread costs two context switches, and it would refill
  // only a slot or two per wake-up. Once Paho holds half of max_inflight
  // or less, every result goes out at once, so a lone publish is reported
  // without delay and the window never runs dry waiting for a batch.
  void queue_result(std::uint64_t id, bool ok, int still_in_paho) {
    const auto batch = static_cast<std::size_t>(std::max(1, options_.max_inflight / 4));
    bool post_now = false;
    {
      const std::lock_guard lock(results_mutex_);
      results_.push_back({id, ok});
      post_now = !results_posted_ && (results_.size() >= batch || still_in_paho <= options_.max_inflight / 2);
      if (post_now) results_posted_ = true;
    }
    if (!post_now) return;
    std::weak_ptr<PahoSession> weak = weak_from_this();
    post([weak] {
      if (auto self = weak.lock()) self->complete_results();
    });
  }

  // io_context thread.
  void complete_results() {
    std::vector<PublishResult> batch;  // local: a handler may stop() us, which completes again
    {
      const std::lock_guard lock(results_mutex_);
      batch.swap(results_);
      results_posted_ = false;
    }
    for (const auto& [id, ok] : batch) {
      auto it = pending_.find(id);
      if (it == pending_.end()) continue;  // already failed by a disconnect
      auto done = std::move(it->second);
      pending_.erase(it);
      if (!done) continue;
      // One throwing handler must not strand the rest of the burst (nor
      // escape into Asio).
      try {
        done(ok);
      } catch (const std::exception& error) {
        spdlog::error("mqtt: delivery handler failed: {}", error.what());
      }
    }
  }

  void handle_connected(bool session_present) {
    if (stopping_) return;
    connected_ = true;
    backoff_.reset();
    spdlog::info("mqtt: connected to {} as {} (session {})", options_.server_uri, options_.client_id,
                 session_present ? "resumed" : "new");
    for (const auto& [filter, qos] : subscriptions_) send_subscribe(filter, qos);
    if (handlers_.on_connected) handlers_.on_connected(session_present);
  }

  void handle_lost(const std::string& reason) {
    if (stopping_) return;
    const bool was_connected = connected_.exchange(false);
    // Outstanding publishes may never be acknowledged on this connection;
    // report them undelivered so the owner re-sends from its own store.
    fail_pending();
    if (reconnect_scheduled_) return;
    const auto delay = backoff_.next_delay_ms();
    if (was_connected || backoff_.attempts() <= 1) {
      spdlog::warn("mqtt: {}; retrying in {} ms", reason, delay);
    } else {
      spdlog::debug("mqtt: {}; retrying in {} ms", reason, delay);
    }
    if (handlers_.on_disconnected) handlers_.on_disconnected(reason);
    reconnect_scheduled_ = true;
    reconnect_timer_.expires_after(std::chrono::milliseconds(delay));
    std::weak_ptr<PahoSession> weak = weak_from_this();
    reconnect_timer_.async_wait([weak](const boost::system::error_code& error) {
      auto self = weak.lock();
      if (!self || error) return;
      self->reconnect_scheduled_ = false;
      self->attempt_connect();
    });
  }

  // Publishes still queued fail in fail_pending() with the rest. Results
  // of the ones Paho holds may never come (or come after a reconnect), so
  // the count starts again; a late one finds it at 0 and leaves it there.
  void drop_queued() {
    const std::lock_guard lock(handover_mutex_);
    queued_.clear();
    handed_ = 0;
  }

  void fail_pending() {
    complete_results();  // PUBACKs that arrived before the loss still count
    drop_queued();
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [id, done] : pending) {
      if (done) done(false);
    }
  }

  void send_subscribe(const std::string& filter, int qos) {
    try {
      client_.subscribe(filter, qos);
    } catch (const ::mqtt::exception& error) {
      spdlog::warn("mqtt: subscribe {} failed: {}", filter, error.what());
    }
  }

  asio::io_context& io_;
  Options options_;
  Handlers handlers_;
  asio::steady_timer reconnect_timer_;
  Backoff backoff_;
  std::atomic<bool> connected_{false};
  bool stopping_ = false;
  bool reconnect_scheduled_ = false;
  std::uint64_t next_delivery_id_ = 1;
  std::unordered_map<std::uint64_t, DeliveryHandler> pending_;
  struct PublishResult {
    std::uint64_t delivery_id;
    bool ok;
  };
  struct QueuedPublish {
    std::uint64_t delivery_id;
    Message message;
  };
  std::mutex handover_mutex_;  // guards the three below
  std::vector<QueuedPublish> queued_;  // published by this thread, not yet handed to Paho
  int handed_ = 0;                     // handed to Paho, result not reported yet
  bool handing_over_ = false;          // a Paho thread is in hand_over_queued()
  std::mutex results_mutex_;
  std::vector<PublishResult> results_;     // guarded by results_mutex_, filled on Paho's threads
  bool results_posted_ = false;            // guarded by results_mutex_: complete_results() is on its way
  std::mutex inbox_mutex_;
  std::deque<Message> inbox_;  // guarded by inbox_mutex_: received on Paho's thread, not yet handed over
  bool inbox_posted_ = false;  // guarded by inbox_mutex_: deliver_incoming() is on its way
  std::vector<std::pair<std::string, int>> subscriptions_;
  ::mqtt::connect_options connect_options_;
  ActionListener connect_listener_;
  ActionListener publish_listener_;
  ::mqtt::async_client client_;  // last: destroyed first, before the listeners it calls
};

class PahoClient final : public Client {
 public:
  explicit PahoClient(std::shared_ptr<PahoSession> session) : session_(std::move(session)) {}
  ~PahoClient() override { session_->stop(std::nullopt, 1000); }
  PahoClient(const PahoClient&) = delete;
  PahoClient& operator=(const PahoClient&) = delete;

  void start() override { session_->start(); }
  void stop(std::optional<Message> final_message, int timeout_ms) override {
    session_->stop(std::move(final_message), timeout_ms);
  }
  bool connected() const override { return session_->connected(); }
  bool publish(Message message, DeliveryHandler done) override {
    return session_->publish(std::move(message), std::move(done));
  }
  void subscribe(const std::string& filter, int qos) override { session_->subscribe(filter, qos); }

 private:
  std::shared_ptr<PahoSession> session_;
};

}  // namespace

std::unique_ptr<Client> make_paho_client(boost::asio::io_context& io, Options options, Handlers handlers) {
  auto session = std::make_shared<PahoSession>(io, std::move(options), std::move(handlers));
  session->install_callbacks();
  return std::make_unique<PahoClient>(std::move(session));
}

}  // namespace gridwatch::mqtt
