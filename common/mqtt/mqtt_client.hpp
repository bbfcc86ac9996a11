#pragma once
// The narrow MQTT interface GridWatch code is written against. All
// handlers run on the io_context passed to the factory, never on a
// library thread, so callers need no locks.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace gridwatch::mqtt {

struct Message {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retain = false;
};

struct TlsOptions {
  std::string ca_file;    ///< CA that signed the broker's certificate
  std::string cert_file;  ///< our client certificate (mutual TLS); empty for server-auth only
  std::string key_file;   ///< our private key
};

struct Options {
  std::string server_uri;  ///< tcp://host:port or ssl://host:port
  std::string client_id;
  int keepalive_s = 30;
  /// false = resume the broker-side session (MQTT v5 clean start off), so
  /// QoS1 messages in flight or queued for us survive a reconnect.
  bool clean_start = false;
  std::uint32_t session_expiry_s = 7 * 24 * 3600;
  std::optional<Message> will;
  std::optional<TlsOptions> tls;
  std::string username;
  std::int64_t reconnect_min_ms = 500;
  std::int64_t reconnect_max_ms = 30'000;
  /// Upper bound of publishes awaiting PUBACK; callers keep below it.
  int max_inflight = 64;
};

struct Handlers {
  /// Connected (again). `session_present`: the broker kept our session.
  std::function<void(bool session_present)> on_connected;
  /// The connection dropped or a connect attempt failed; the client keeps
  /// retrying with backoff.
  std::function<void(const std::string& reason)> on_disconnected;
  std::function<void(Message message)> on_message;
  /// When set, replaces on_message: the messages that arrived since the
  /// last call, oldest first, a few hundred at most per call. A consumer
  /// that stores each message can commit them together.
  std::function<void(std::vector<Message>& messages)> on_messages;
};

/// Result of one publish: delivered means PUBACK received (QoS1).
using DeliveryHandler = std::function<void(bool delivered)>;

class Client {
 public:
  virtual ~Client() = default;
  /// Starts connecting; reconnects with exponential backoff and jitter
  /// until stop().
  virtual void start() = 0;
  /// Publishes `final_message` (if any, e.g. a retained "offline"), then
  /// disconnects cleanly, waiting at most `timeout_ms`.
  virtual void stop(std::optional<Message> final_message, int timeout_ms) = 0;
  virtual bool connected() const = 0;
  /// Queues a publish. Returns false (and never calls `done`) when not
  /// connected or the library refused it. The message is taken by value
  /// so that a caller can move a large payload in; one that must re-send
  /// after a refusal keeps its own copy (the outbox row).
  virtual bool publish(Message message, DeliveryHandler done) = 0;
  /// Subscriptions are renewed on every (re)connect.
  virtual void subscribe(const std::string& filter, int qos) = 0;
};

std::unique_ptr<Client> make_paho_client(boost::asio::io_context& io, Options options, Handlers handlers);

}  // namespace gridwatch::mqtt
