#include "common/mqtt_settings.hpp"

#include <fmt/format.h>

#include <array>
#include <string_view>

namespace gridwatch {

void read_mqtt_settings(YamlSection& section, MqttSettings& mqtt) {
  section.get("broker", mqtt.broker);
  constexpr std::array<std::string_view, 4> kSchemes{"tcp://", "ssl://", "mqtt://", "mqtts://"};
  bool known_scheme = false;
  for (auto scheme : kSchemes) known_scheme = known_scheme || mqtt.broker.rfind(scheme, 0) == 0;
  if (!known_scheme) {
    section.error("broker", fmt::format("\"{}\" must start with tcp://, ssl://, mqtt:// or mqtts://", mqtt.broker));
  }
  if (section.has("client_id")) section.get_id("client_id", mqtt.client_id);
  section.get("keepalive_s", mqtt.keepalive_s, 5, 3600);
  section.get("inflight_window", mqtt.inflight_window, 1, 100);
  section.get("reconnect_min_ms", mqtt.reconnect_min_ms, 100, 600'000);
  section.get("reconnect_max_ms", mqtt.reconnect_max_ms, 100, 3'600'000);
  if (mqtt.reconnect_max_ms < mqtt.reconnect_min_ms) {
    section.error("reconnect_max_ms", "must not be smaller than reconnect_min_ms");
  }
  section.get("session_expiry_s", mqtt.session_expiry_s, 0, 2'147'483'647);
  if (auto tls = section.section("tls")) {
    mqtt::TlsOptions options;
    tls->get("ca_file", options.ca_file, Need::required);
    tls->get("cert_file", options.cert_file);
    tls->get("key_file", options.key_file);
    if (options.cert_file.empty() != options.key_file.empty()) {
      tls->error("key_file", "cert_file and key_file go together");
    }
    tls->finish();
    mqtt.tls = options;
  }
}

mqtt::Options to_client_options(const MqttSettings& settings) {
  mqtt::Options options;
  options.server_uri = settings.broker;
  options.client_id = settings.client_id;
  options.keepalive_s = settings.keepalive_s;
  options.clean_start = false;
  options.session_expiry_s = static_cast<std::uint32_t>(settings.session_expiry_s);
  options.reconnect_min_ms = settings.reconnect_min_ms;
  options.reconnect_max_ms = settings.reconnect_max_ms;
  options.max_inflight = settings.inflight_window;
  options.tls = settings.tls;
  return options;
}

}  // namespace gridwatch
