#include "edge/edge_config.hpp"

#include <fmt/format.h>

#include <filesystem>
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

std::int64_t to_ms(double seconds) { return static_cast<std::int64_t>(seconds * 1000.0 + 0.5); }

void read_alarm(YamlSection& alarm, AlarmSettings& out) {
  alarm.get("raise", out.raise, -1e9, 1e9, Need::required);
  alarm.get("clear", out.clear, -1e9, 1e9, Need::required);
  alarm.get("min_duration_s", out.min_duration_s, 0, 3600);
  if (out.clear > out.raise) {
    alarm.error("clear", fmt::format("must not exceed raise ({}) or the alarm could never clear", out.raise));
  }
  if (auto rate = alarm.section("rate_of_rise")) {
    rate->get("rise", out.rate_of_rise.rise, 0, 1e9, Need::required);
    rate->get("window_s", out.rate_of_rise.window_s, 1, 3600);
    rate->get("min_duration_s", out.rate_of_rise.min_duration_s, 0, 3600);
    rate->finish();
  }
  alarm.finish();
}

void read_register_map(YamlSection& section, RegisterMap& map) {
  section.get("register", map.address, 0, 65535);
  section.get_choice("register_type", map.kind, {"holding", "input"});
  section.get_choice("format", map.format, {"uint16", "int16"});
  section.get("scale", map.scale, -1e6, 1e6);
  section.get("offset", map.offset, -1e9, 1e9);
  if (section.has("raw_out_of_range")) {
    int raw = 0;
    if (section.get("raw_out_of_range", raw, -32768, 65535)) map.raw_out_of_range = raw;
  }
  if (section.has("status_register")) {
    int address = 0;
    if (section.get("status_register", address, 0, 65535)) map.status_register = address;
  }
  section.get("fault_bit", map.fault_bit, 0, 15);
}

void read_transport(YamlSection& section, SensorSettings& sensor) {
  section.get_choice("type", sensor.type, {"modbus_tcp", "modbus_rtu", "mqtt_json"});
  section.get("host", sensor.host);
  section.get("port", sensor.port, 1, 65535);
  if (auto serial = section.section("serial", sensor.type == "modbus_rtu" ? Need::required : Need::optional)) {
    serial->get("device", sensor.serial.device, Need::required);
    serial->get("baud", sensor.serial.baud, 50, 4'000'000);
    serial->get_choice("parity", sensor.serial.parity, {"none", "even", "odd"});
    serial->get("data_bits", sensor.serial.data_bits, 5, 8);
    serial->get("stop_bits", sensor.serial.stop_bits, 1, 2);
    serial->finish();
  }
  section.get("unit_id", sensor.unit_id, 0, 247);
  read_register_map(section, sensor.map);
  if (auto mqtt = section.section("mqtt", sensor.type == "mqtt_json" ? Need::required : Need::optional)) {
    mqtt->get("topic", sensor.mqtt.topic, Need::required);
    mqtt->get("availability_topic", sensor.mqtt.availability_topic);
    mqtt->get("value_field", sensor.mqtt.value_field);
    mqtt->get("status_field", sensor.mqtt.status_field);
    mqtt->finish();
  }
  section.get("poll_ms", sensor.poll_ms, 50, 600'000);
  section.get("timeout_ms", sensor.timeout_ms, 10, 60'000);
}

SensorSettings read_sensor(YamlSection& section) {
  SensorSettings sensor;
  section.get_id("id", sensor.id, Need::required);
  read_transport(section, sensor);
  section.get("unit", sensor.unit);
  if (section.has("camera")) section.get_id("camera", sensor.camera);
  if (auto alarm = section.section("alarm", Need::required)) read_alarm(*alarm, sensor.alarm);
  if (auto drift = section.section("drift")) {
    drift->get("max_rate_per_h", sensor.drift.max_rate_per_h, 0, 1e9, Need::required);
    drift->get("max_compensation", sensor.drift.max_compensation, 0, 1e9, Need::required);
    drift->finish();
  }
  if (auto faults = section.section("faults")) {
    faults->get("valid_min", sensor.faults.valid_min, -1e9, 1e9);
    faults->get("valid_max", sensor.faults.valid_max, -1e9, 1e9);
    if (sensor.faults.valid_max < sensor.faults.valid_min) faults->error("valid_max", "must not be below valid_min");
    faults->get("no_data_s", sensor.faults.no_data_s, 1, 86400);
    faults->get("comms_lost_s", sensor.faults.comms_lost_s, 0, 86400);
    faults->get("stuck_s", sensor.faults.stuck_s, 0, 7 * 86400);
    faults->finish();
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

// The `cameras` list of `section`, with duplicate ids reported.
std::vector<CameraConfig> read_cameras(YamlSection& section) {
  std::vector<CameraConfig> cameras;
  std::set<std::string> camera_ids;
  for (auto& entry : section.sections("cameras")) {
    auto camera = read_camera(entry);
    if (!camera.vision.id.empty() && !camera_ids.insert(camera.vision.id).second) {
      entry.error("id", fmt::format("duplicate camera id \"{}\"", camera.vision.id));
    }
    cameras.push_back(std::move(camera));
  }
  return cameras;
}

// {state_dir}/remote-config.yaml, when central has pushed a camera config:
// it replaces edge.yaml's cameras (see docs/configuration.md).
void apply_pushed_cameras(EdgeConfig& config, ConfigErrors& errors) {
  const auto path = pushed_config_path(config.state_dir);
  std::error_code missing;
  if (!std::filesystem::exists(path, missing)) return;
  auto root = load_yaml_file(path, errors);
  if (!root) return;
  YamlSection top(std::move(*root), "", path, errors);
  top.get("config_version", config.config_version, Need::required);
  config.cameras = read_cameras(top);
  top.finish();
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
  if (auto uplink = top.section("uplink")) {
    uplink->get("receipts", config.uplink.receipts);
    uplink->get("receipt_timeout_s", config.uplink.receipt_timeout_s, 1, 7 * 24 * 3600);
    uplink->finish();
  }
  if (auto evidence = top.section("evidence")) {
    evidence->get("directory", config.evidence.directory);
    evidence->get("max_files", config.evidence.max_files, 1, 1'000'000);
    evidence->get("max_mib", config.evidence.max_mib, 1, 1'000'000);
    evidence->finish();
  }
  top.get("heartbeat_s", config.heartbeat_s, 1, 3600);
  std::set<std::string> sensor_ids;
  auto sensor_sections = top.sections("sensors");
  for (auto& section : sensor_sections) {
    auto sensor = read_sensor(section);
    if (!sensor.id.empty() && !sensor_ids.insert(sensor.id).second) {
      section.error("id", fmt::format("duplicate sensor id \"{}\"", sensor.id));
    }
    config.sensors.push_back(std::move(sensor));
  }
  config.cameras = read_cameras(top);
  std::set<std::string> camera_ids;
  for (const auto& camera : config.cameras) camera_ids.insert(camera.vision.id);
  for (std::size_t i = 0; i < config.sensors.size(); ++i) {
    const auto& camera = config.sensors[i].camera;
    if (!camera.empty() && !camera_ids.contains(camera)) {
      sensor_sections[i].error("camera", fmt::format("no camera \"{}\" in cameras[]", camera));
    }
  }
  if (auto fusion = top.section("fusion")) {
    fusion->get("window_s", config.fusion.window_s, 1, 3600);
    fusion->finish();
  }
  top.finish();
  if (errors.empty()) apply_pushed_cameras(config, errors);
  if (config.mqtt.client_id.empty()) config.mqtt.client_id = config.gateway.id;
  if (!errors.empty()) throw ConfigInvalid(std::move(errors));
  return config;
}

}  // namespace

std::string EdgeConfig::evidence_directory() const {
  return evidence.directory.empty() ? state_dir + "/evidence" : evidence.directory;
}

std::string EdgeConfig::outbox_path() const { return outbox.path.empty() ? state_dir + "/outbox.db" : outbox.path; }

SensorMonitorSettings monitor_settings(const SensorSettings& sensor) {
  SensorMonitorSettings out;
  out.alarm.raise_level = sensor.alarm.raise;
  out.alarm.clear_level = sensor.alarm.clear;
  out.alarm.min_duration_ms = to_ms(sensor.alarm.min_duration_s);
  out.alarm.rate_of_rise = {sensor.alarm.rate_of_rise.rise, to_ms(sensor.alarm.rate_of_rise.window_s),
                            to_ms(sensor.alarm.rate_of_rise.min_duration_s)};
  out.drift = {sensor.drift.max_rate_per_h, sensor.drift.max_compensation};
  out.faults = {sensor.faults.valid_min, sensor.faults.valid_max, to_ms(sensor.faults.no_data_s),
                to_ms(sensor.faults.comms_lost_s), to_ms(sensor.faults.stuck_s)};
  return out;
}

SensorSettings load_sensor_file(const std::string& path) {
  ConfigErrors errors;
  YamlSection section(load_yaml_file_or_throw(path), "", path, errors);
  auto sensor = read_sensor(section);
  if (!errors.empty()) throw ConfigInvalid(std::move(errors));
  return sensor;
}

SensorSettings parse_sensor_text(const std::string& yaml_text, const std::string& name) {
  ConfigErrors errors;
  YamlSection section(load_yaml_text_or_throw(yaml_text, name), "", name, errors);
  auto sensor = read_sensor(section);
  if (!errors.empty()) throw ConfigInvalid(std::move(errors));
  return sensor;
}

std::string pushed_config_path(const std::string& state_dir) { return state_dir + "/remote-config.yaml"; }

std::vector<CameraConfig> parse_camera_list(const std::string& cameras_json, const std::string& name) {
  ConfigErrors errors;
  // JSON is flow YAML: as the value of a `cameras:` key it reads exactly
  // like edge.yaml's list, with the same error paths.
  YamlSection top(load_yaml_text_or_throw("cameras: " + cameras_json, name), "", name, errors);
  auto cameras = read_cameras(top);
  top.finish();
  if (!errors.empty()) throw ConfigInvalid(std::move(errors));
  return cameras;
}

EdgeConfig load_edge_config(const std::string& path) { return read_root(load_yaml_file_or_throw(path), path); }

EdgeConfig parse_edge_config(const std::string& yaml_text, const std::string& name) {
  return read_root(load_yaml_text_or_throw(yaml_text, name), name);
}

}  // namespace gridwatch::edge
