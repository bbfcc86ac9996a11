#include "edge/edge_config.hpp"

#include <fmt/format.h>

#include <set>

#include "common/logging.hpp"

namespace gridwatch::edge {
namespace {

std::vector<std::string> log_levels() {
  std::vector<std::string> out;
  for (auto name = log_level_names(); *name != nullptr; ++name) out.emplace_back(*name);
  return out;
}

void read_outbox(YamlSection& section, OutboxSettings& outbox) {
  section.get("path", outbox.path);
  section.get("max_rows", outbox.max_rows, 100, 100'000'000);
  section.get("max_mib", outbox.max_mib, 1, 1'000'000);
  section.get("max_age_h", outbox.max_age_h, 1, 24 * 365);
  section.finish();
}

SensorSettings read_sensor(YamlSection& section) {
  SensorSettings sensor;
  section.get_id("id", sensor.id, Need::required);
  section.get_choice("type", sensor.type, {"modbus_tcp"});
  section.get("host", sensor.host);
  section.get("port", sensor.port, 1, 65535);
  section.get("unit_id", sensor.unit_id, 0, 247);
  section.get("register", sensor.register_address, 0, 65535);
  section.get("scale", sensor.scale, -1e6, 1e6);
  section.get("unit", sensor.unit);
  section.get("poll_ms", sensor.poll_ms, 50, 600'000);
  section.get("timeout_ms", sensor.timeout_ms, 10, 60'000);
  if (section.has("camera")) section.get_id("camera", sensor.camera);
  if (auto alarm = section.section("alarm", Need::required)) {
    alarm->get("raise", sensor.alarm.raise, -1e9, 1e9, Need::required);
    alarm->get("clear", sensor.alarm.clear, -1e9, 1e9, Need::required);
    alarm->get("min_duration_s", sensor.alarm.min_duration_s, 0, 3600);
    if (sensor.alarm.clear > sensor.alarm.raise) {
      alarm->error("clear", fmt::format("must not exceed raise ({}) or the alarm could never clear", sensor.alarm.raise));
    }
    alarm->finish();
  }
  section.finish();
  return sensor;
}

CameraSource read_source(YamlSection& section) {
  CameraSource source;
  section.get("url", source.url);
  section.get("file", source.file);
  section.get("device", source.device);
  const int given = static_cast<int>(!source.url.empty()) + static_cast<int>(!source.file.empty()) +
                    static_cast<int>(!source.device.empty());
  if (given != 1) section.error("url", "give exactly one of url, file or device");
  section.get_choice("rtsp_transport", source.rtsp_transport, {"tcp", "udp"});
  section.get("loop", source.loop);
  section.get("stall_s", source.stall_s, 0.5, 3600);
  section.get("reconnect_min_ms", source.reconnect_min_ms, 100, 600'000);
  section.get("reconnect_max_ms", source.reconnect_max_ms, 100, 3'600'000);
  if (source.reconnect_max_ms < source.reconnect_min_ms) {
    section.error("reconnect_max_ms", "must not be below reconnect_min_ms");
  }
  section.finish();
  return source;
}

CameraConfig read_camera(YamlSection& section) {
  CameraConfig camera;
  camera.vision = vision::read_camera_settings(section);
  if (auto source = section.section("source", Need::required)) camera.source = read_source(*source);
  section.finish();
  return camera;
}

EdgeConfig read_root(YAML::Node root, const std::string& name) {
  ConfigErrors errors;
  EdgeConfig config;
  config.source_file = name;
  YamlSection top(std::move(root), "", name, errors);
  if (auto gateway = top.section("gateway", Need::required)) {
    gateway->get_id("id", config.gateway.id, Need::required);
    gateway->get("lat", config.gateway.lat, -90, 90, Need::required);
    gateway->get("lon", config.gateway.lon, -180, 180, Need::required);
    gateway->finish();
  }
  top.get("state_dir", config.state_dir);
  top.get_choice("log_level", config.log_level, log_levels());
  if (auto mqtt = top.section("mqtt")) {
    read_mqtt_settings(*mqtt, config.mqtt);
    mqtt->finish();
  }
  if (auto outbox = top.section("outbox")) read_outbox(*outbox, config.outbox);
  if (auto evidence = top.section("evidence")) {
    evidence->get("directory", config.evidence.directory);
    evidence->get("max_files", config.evidence.max_files, 1, 1'000'000);
    evidence->get("max_mib", config.evidence.max_mib, 1, 1'000'000);
    evidence->finish();
  }
  top.get("heartbeat_s", config.heartbeat_s, 1, 3600);
  std::set<std::string> sensor_ids;
  for (auto& section : top.sections("sensors")) {
    auto sensor = read_sensor(section);
    if (!sensor.id.empty() && !sensor_ids.insert(sensor.id).second) {
      section.error("id", fmt::format("duplicate sensor id \"{}\"", sensor.id));
    }
    config.sensors.push_back(std::move(sensor));
  }
  std::set<std::string> camera_ids;
  for (auto& section : top.sections("cameras")) {
    auto camera = read_camera(section);
    if (!camera.vision.id.empty() && !camera_ids.insert(camera.vision.id).second) {
      section.error("id", fmt::format("duplicate camera id \"{}\"", camera.vision.id));
    }
    config.cameras.push_back(std::move(camera));
  }
  top.finish();
  if (config.mqtt.client_id.empty()) config.mqtt.client_id = config.gateway.id;
  if (!errors.empty()) throw ConfigInvalid(std::move(errors));
  return config;
}

}  // namespace

std::string EdgeConfig::evidence_directory() const {
  return evidence.directory.empty() ? state_dir + "/evidence" : evidence.directory;
}

std::string EdgeConfig::outbox_path() const { return outbox.path.empty() ? state_dir + "/outbox.db" : outbox.path; }

EdgeConfig load_edge_config(const std::string& path) { return read_root(load_yaml_file_or_throw(path), path); }

EdgeConfig parse_edge_config(const std::string& yaml_text, const std::string& name) {
  return read_root(load_yaml_text_or_throw(yaml_text, name), name);
}

}  // namespace gridwatch::edge
