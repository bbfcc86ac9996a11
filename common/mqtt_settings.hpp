#pragma once
// The `mqtt:` config section shared by gridwatch-edge and gridwatch-central.
#include <cstdint>
#include <optional>
#include <string>

#include "common/config_reader.hpp"
#include "common/mqtt/mqtt_client.hpp"

namespace gridwatch {

struct MqttSettings {
  std::string broker = "tcp://127.0.0.1:1883";
  std::string client_id;  ///< empty = the daemon's default (gateway id for edge)
  int keepalive_s = 30;
  int inflight_window = 32;
  std::int64_t reconnect_min_ms = 500;
  std::int64_t reconnect_max_ms = 30'000;
  std::int64_t session_expiry_s = 7 * 24 * 3600;
  std::optional<mqtt::TlsOptions> tls;
};

/// Reads the shared keys of an `mqtt:` section. Does not call finish(), so
/// a daemon can read its own extra keys first.
void read_mqtt_settings(YamlSection& section, MqttSettings& out);

/// Client options for a persistent MQTT v5 session (clean start off).
mqtt::Options to_client_options(const MqttSettings& settings);

}  // namespace gridwatch
