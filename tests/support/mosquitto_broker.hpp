#pragma once
#include <functional>
#include <memory>
#include <string>

#include "tests/support/child_process.hpp"
#include "tests/support/test_env.hpp"

namespace gridwatch::test {

/// A private Mosquitto broker on a free loopback port, with its own config
/// in a temp dir: never the system service. The per-client queue is set
/// far above the default 1000, so a slow or briefly absent test subscriber
/// never loses QoS 1 messages. Not 0 ("unlimited"): in Mosquitto 2.0.x that
/// value is buggy and stops queued messages reaching the client (see
/// docs/outbox.md, "Broker settings").
class MosquittoBroker {
 public:
  /// Writes a complete mosquitto.conf for a listener on `port` whose
  /// persistence goes to `dir` (e.g. a shipped sample config with its paths
  /// replaced). The fixture adds only `user` and logging to stdout.
  using ConfigWriter = std::function<std::string(int port, const std::string& dir)>;
  struct OwnConfig {
    ConfigWriter write;
    bool tls = false;  ///< the listener speaks TLS: uri() is ssl://
  };

  /// `extra_config` is appended to the generated mosquitto.conf.
  explicit MosquittoBroker(std::string extra_config = "");
  explicit MosquittoBroker(OwnConfig config);
  ~MosquittoBroker();

  int port() const { return port_; }
  std::string uri() const { return (own_config_.tls ? "ssl://127.0.0.1:" : "tcp://127.0.0.1:") + std::to_string(port_); }

  void start();
  void stop();
  /// SIGSTOP / SIGCONT: the broker stays "connected" but answers nothing.
  void freeze();
  void thaw();
  bool running() const { return process_ != nullptr; }
  std::string log() const;

 private:
  TempDir dir_;
  int port_;
  std::string extra_config_;
  OwnConfig own_config_;
  std::unique_ptr<ChildProcess> process_;
};

/// /usr/sbin/mosquitto or whatever is on PATH.
std::string mosquitto_binary();

}  // namespace gridwatch::test
