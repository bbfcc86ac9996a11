#include "tests/support/mosquitto_broker.hpp"

#include <pwd.h>
#include <unistd.h>

#include <csignal>
#include <stdexcept>

namespace gridwatch::test {

std::string mosquitto_binary() {
  for (const char* candidate : {"/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"}) {
    if (access(candidate, X_OK) == 0) return candidate;
  }
  return "mosquitto";
}

MosquittoBroker::MosquittoBroker(std::string extra_config)
    : port_(free_tcp_port()), extra_config_(std::move(extra_config)) {
  start();
}

MosquittoBroker::MosquittoBroker(OwnConfig config) : port_(free_tcp_port()), own_config_(std::move(config)) {
  start();
}

MosquittoBroker::~MosquittoBroker() { stop(); }

void MosquittoBroker::start() {
  if (process_) return;
  // Persistence on, in our temp dir: a restart keeps persistent sessions
  // and their queued QoS1 messages, as a production broker would.
  // Run as ourselves: started by root, Mosquitto would otherwise switch to
  // the mosquitto user and could not write its persistence into our dir.
  const passwd* self = getpwuid(geteuid());
  const std::string user = self != nullptr ? self->pw_name : "root";
  if (own_config_.write) {
    // A log file, not stdout: Mosquitto flushes it line by line, so a test
    // can look for what the broker did (e.g. "Denied PUBLISH") right away.
    write_file(dir_.file("mosquitto.conf"), "user " + user + "\n" + own_config_.write(port_, dir_.path()) +
                                                "\nlog_dest file " + dir_.file("broker.log") + "\nlog_type all\n");
  } else {
    write_file(dir_.file("mosquitto.conf"), "user " + user + "\nlistener " + std::to_string(port_) +
                                              " 127.0.0.1\n"
                                              "allow_anonymous true\n"
                                              "persistence true\n"
                                              "persistence_location " +
                                              dir_.path() +
                                              "/\n"
                                              "autosave_interval 1\n"
                                              "max_queued_messages 1000000\n"
                                              "max_inflight_messages 100\n"
                                              "set_tcp_nodelay true\n"
                                              "log_dest stdout\n" +
                                              extra_config_ + "\n");
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{mosquitto_binary(), "-c", dir_.file("mosquitto.conf")}, dir_.file("mosquitto.log"));
    if (wait_until([this] { return port_accepts(port_) || !process_->running(); }, std::chrono::seconds(10)) &&
        process_->running()) {
      return;
    }
    process_.reset();
  }
  throw std::runtime_error("mosquitto did not start on port " + std::to_string(port_) + ": " + log());
}

void MosquittoBroker::stop() {
  if (!process_) return;
  process_->stop();
  process_.reset();
}

void MosquittoBroker::freeze() {
  if (process_) process_->signal(SIGSTOP);
}

void MosquittoBroker::thaw() {
  if (process_) process_->signal(SIGCONT);
}

std::string MosquittoBroker::log() const {
  return read_file(dir_.file("mosquitto.log")) + read_file(dir_.file("broker.log"));
}

}  // namespace gridwatch::test
