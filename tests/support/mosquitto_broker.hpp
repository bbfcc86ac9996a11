#pragma once
#include <memory>
#include <string>

#include "tests/support/child_process.hpp"
#include "tests/support/test_env.hpp"

namespace gridwatch::test {

/// A private Mosquitto broker on a free loopback port, with its own config
/// in a temp dir: never the system service. Queue limits are lifted
/// (max_queued_messages 0) so a slow test subscriber never loses QoS1
/// messages to the broker's default cap of 1000.
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
