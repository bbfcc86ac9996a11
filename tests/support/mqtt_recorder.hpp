#pragma once
// A libmosquitto subscriber that records every message it receives, for
// tests that check what a simulator or daemon published to a real broker.
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct mosquitto;
struct mosquitto_message;

namespace gridwatch::test {

struct RecordedMessage {
  std::string topic;
  std::string payload;
  bool retained = false;
  std::chrono::steady_clock::time_point received;
};

class MqttRecorder {
 public:
  /// Connects to 127.0.0.1:port and subscribes to `filter` at QoS 1;
  /// throws when the broker does not accept the subscription in 5 s.
  MqttRecorder(int port, const std::string& filter);
  ~MqttRecorder();
  MqttRecorder(const MqttRecorder&) = delete;
  MqttRecorder& operator=(const MqttRecorder&) = delete;

  std::vector<RecordedMessage> messages() const;
  std::size_t count(const std::function<bool(const RecordedMessage&)>& match) const;

 private:
  static void on_message(mosquitto*, void* self, const mosquitto_message* message);
  static void on_subscribe(mosquitto*, void* self, int, int, const int*);

  mosquitto* client_ = nullptr;
  mutable std::mutex mutex_;
  std::vector<RecordedMessage> messages_;
  bool subscribed_ = false;
};

}  // namespace gridwatch::test
