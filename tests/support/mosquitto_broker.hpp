#pragma once
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
  /// `extra_config` is appended to the generated mosquitto.conf.
  explicit MosquittoBroker(std::string extra_config = "");
  ~MosquittoBroker();

  int port() const { return port_; }
  std::string uri() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

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
  std::unique_ptr<ChildProcess> process_;
};

/// /usr/sbin/mosquitto or whatever is on PATH.
std::string mosquitto_binary();

}  // namespace gridwatch::test
