#include "tests/support/mqtt_recorder.hpp"

#include <mosquitto.h>

#include <stdexcept>

#include "tests/support/test_env.hpp"

namespace gridwatch::test {

MqttRecorder::MqttRecorder(int port, const std::string& filter) {
  mosquitto_lib_init();
  client_ = mosquitto_new(nullptr, true, this);
  if (client_ == nullptr) throw std::runtime_error("mosquitto_new failed");
  mosquitto_message_callback_set(client_, &MqttRecorder::on_message);
  mosquitto_subscribe_callback_set(client_, &MqttRecorder::on_subscribe);
  if (mosquitto_connect(client_, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS) {
    throw std::runtime_error("recorder: cannot connect to port " + std::to_string(port));
  }
  mosquitto_subscribe(client_, nullptr, filter.c_str(), 1);
  mosquitto_loop_start(client_);
  const bool ok = wait_until(
      [this] {
        std::lock_guard lock(mutex_);
        return subscribed_;
      },
      std::chrono::seconds(5));
  if (!ok) throw std::runtime_error("recorder: no SUBACK for " + filter);
}

MqttRecorder::~MqttRecorder() {
  mosquitto_disconnect(client_);
  mosquitto_loop_stop(client_, true);
  mosquitto_destroy(client_);
  mosquitto_lib_cleanup();
}

void MqttRecorder::on_message(mosquitto*, void* self, const mosquitto_message* message) {
  auto* recorder = static_cast<MqttRecorder*>(self);
  RecordedMessage copy;
  copy.topic = message->topic;
  copy.payload.assign(static_cast<const char*>(message->payload), static_cast<std::size_t>(message->payloadlen));
  copy.retained = message->retain;
  copy.received = std::chrono::steady_clock::now();
  std::lock_guard lock(recorder->mutex_);
  recorder->messages_.push_back(std::move(copy));
}

void MqttRecorder::on_subscribe(mosquitto*, void* self, int, int, const int*) {
  auto* recorder = static_cast<MqttRecorder*>(self);
  std::lock_guard lock(recorder->mutex_);
  recorder->subscribed_ = true;
}

std::vector<RecordedMessage> MqttRecorder::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

std::size_t MqttRecorder::count(const std::function<bool(const RecordedMessage&)>& match) const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& message : messages_) if (match(message)) ++n;
  return n;
}

}  // namespace gridwatch::test
