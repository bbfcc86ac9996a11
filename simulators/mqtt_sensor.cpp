#include "simulators/mqtt_sensor.hpp"

#include <mqtt_protocol.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "simulators/mosquitto_handle.hpp"

namespace gridwatch::sim {
namespace {

double rounded(double value, double unit) { return std::round(value / unit) * unit; }

class SensorLink {
 public:
  SensorLink(const MqttSensorSettings& settings, const std::string& sensor_id)
      : settings_(settings), prefix_(mqtt_topic_prefix(settings, sensor_id)) {
    client_.reset(mosquitto_new(("gridwatch-sim-" + sensor_id).c_str(), true, this));
    if (!client_) throw std::runtime_error("cannot create an MQTT client");
    mosquitto_publish_callback_set(client_.get(), [](mosquitto*, void* self, int) {
      auto* link = static_cast<SensorLink*>(self);
      if (link->unacked_ > 0) --link->unacked_;
    });
    mosquitto_int_option(client_.get(), MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    const std::string offline = "offline";
    mosquitto_will_set_v5(client_.get(), (prefix_ + "/availability").c_str(), static_cast<int>(offline.size()),
                          offline.data(), 1, true, nullptr);
  }

  const std::string& prefix() const { return prefix_; }
  bool connected() const { return connected_; }

  /// Connects (or reconnects) and announces "online"; false when the broker
  /// cannot be reached.
  bool connect() {
    const int rc = connected_once_ ? mosquitto_reconnect(client_.get())
                                   : mosquitto_connect(client_.get(), settings_.host.c_str(), settings_.port,
                                                       settings_.keepalive_s);
    if (rc != MOSQ_ERR_SUCCESS) {
      last_error_ = mosquitto_strerror(rc);
      return false;
    }
    connected_once_ = connected_ = true;
    publish("/availability", "online", true);
    return true;
  }

  /// The device dies: the link drops without a clean goodbye, so the broker
  /// publishes the Will ("offline").
  void drop() {
    if (!connected_) return;
    mosquitto_disconnect_v5(client_.get(), MQTT_RC_DISCONNECT_WITH_WILL_MSG, nullptr);
    mosquitto_loop(client_.get(), 50, 1);
    connected_ = false;
    unacked_ = 0;
  }

  /// A clean stop: "offline", then DISCONNECT once the broker has
  /// acknowledged everything (closing with a PUBACK still due makes
  /// Mosquitto drop the session as broken and publish the Will too).
  void goodbye() {
    if (!connected_) return;
    publish("/availability", "offline", true);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (connected_ && unacked_ > 0 && std::chrono::steady_clock::now() < deadline) pump(50);
    mosquitto_disconnect(client_.get());
    mosquitto_loop(client_.get(), 100, 1);
    connected_ = false;
  }

  void publish(const std::string& suffix, const std::string& payload, bool retain) {
    const int rc = mosquitto_publish(client_.get(), nullptr, (prefix_ + suffix).c_str(),
                                     static_cast<int>(payload.size()), payload.data(), 1, retain);
    if (rc == MOSQ_ERR_SUCCESS) {
      ++unacked_;
    } else {
      lost(rc);
    }
  }

  /// Runs the network loop for up to `milliseconds`.
  void pump(int milliseconds) {
    if (!connected_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
      return;
    }
    const int rc = mosquitto_loop(client_.get(), milliseconds, 1);
    if (rc != MOSQ_ERR_SUCCESS) lost(rc);
  }

  const std::string& last_error() const { return last_error_; }

 private:
  void lost(int rc) {
    if (connected_) spdlog::warn("mqtt: lost the broker ({}); reconnecting", mosquitto_strerror(rc));
    connected_ = false;
    unacked_ = 0;  // a clean session: whatever was in flight is gone with it
  }

  MosquittoLibrary library_;
  const MqttSensorSettings& settings_;
  std::string prefix_;
  MosquittoHandle client_;
  bool connected_ = false;
  bool connected_once_ = false;
  std::size_t unacked_ = 0;
  std::string last_error_;
};

}  // namespace

std::string mqtt_topic_prefix(const MqttSensorSettings& settings, const std::string& sensor_id) {
  return settings.topic_prefix.empty() ? "sensors/" + sensor_id : settings.topic_prefix;
}

std::string mqtt_reading_payload(const std::string& sensor_id, std::uint64_t seq, double t_s, EpochMs ts_ms,
                                 const SensorSample& sample) {
  nlohmann::json body{{"sensor", sensor_id},
                      {"seq", seq},
                      {"t_s", rounded(t_s, 0.001)},
                      {"ts_ms", ts_ms},
                      {"smoke", rounded(sample.smoke, 0.01)},
                      {"unit", "%/m"},
                      {"temperature_c", rounded(sample.temperature, 0.1)},
                      {"status", sample.fault ? "fault" : "ok"}};
  if (sample.raw_out_of_range) {
    body["smoke"] = nullptr;
    body["status"] = "out_of_range";
  }
  return body.dump();
}

int serve_mqtt(const MqttSensorSettings& settings, const std::string& sensor_id, SampleSource& source,
               const std::atomic<bool>& stop, const std::function<void(double, const SensorSample&)>& on_sample) {
  SensorLink link(settings, sensor_id);
  if (!link.connect()) {
    spdlog::error("mqtt: cannot connect to {}:{}: {}", settings.host, settings.port, link.last_error());
    return 1;
  }
  spdlog::info("mqtt: smoke sensor {} publishing on {}/state every {} s (simulated)", sensor_id, link.prefix(),
               settings.period_s);
  double end_s = settings.duration_s;
  if (source.end_s() > 0 && (end_s <= 0 || source.end_s() < end_s)) end_s = source.end_s();
  const auto started = std::chrono::steady_clock::now();
  auto last_attempt = started;
  std::uint64_t seq = 0;
  for (std::uint64_t step = 0; !stop.load(); ++step) {
    const double t_s = static_cast<double>(step) * settings.period_s;
    if (end_s > 0 && t_s > end_s) break;
    const auto due = started + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(t_s / settings.speed));
    while (!stop.load()) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= due) break;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(due - now).count();
      link.pump(static_cast<int>(std::clamp<std::int64_t>(left, 1, 100)));
    }
    const auto sample = source.sample(t_s);
    if (on_sample) on_sample(t_s, sample);
    if (!sample.answering) {
      link.drop();
      continue;
    }
    if (!link.connected()) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_attempt < std::chrono::seconds(1)) continue;
      last_attempt = now;
      if (!link.connect()) continue;
      spdlog::info("mqtt: connected again");
    }
    link.publish("/state", mqtt_reading_payload(sensor_id, ++seq, t_s, wall_clock_ms(), sample), false);
  }
  link.goodbye();
  return 0;
}

}  // namespace gridwatch::sim
