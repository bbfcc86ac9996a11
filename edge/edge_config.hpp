#pragma once
// gridwatch-edge configuration (YAML). docs/configuration.md documents
// every key; config/edge.example.yaml is a complete sample.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/config_reader.hpp"
#include "common/mqtt_settings.hpp"
#include "edge/core/sensor_monitor.hpp"
#include "edge/vision/camera_settings.hpp"

namespace gridwatch::edge {

struct GatewayIdentity {
  std::string id;
  double lat = 0;
  double lon = 0;
};

struct OutboxSettings {
  std::string path;  ///< empty = {state_dir}/outbox.db
  std::int64_t max_rows = 200'000;
  std::int64_t max_mib = 256;
  std::int64_t max_age_h = 24 * 14;
};

/// End-to-end receipts (docs/outbox.md, "Receipts").
struct UplinkSettings {
  /// true: an alert leaves the outbox only when central's receipt says it
  /// is committed. false: on the broker's PUBACK (a broker without central).
  bool receipts = true;
  int receipt_timeout_s = 120;  ///< an alert without a receipt this long is sent again
};

struct EvidenceSettings {
  std::string directory;  ///< empty = {state_dir}/evidence
  int max_files = 500;
  std::int64_t max_mib = 64;
};

struct RateOfRiseConfig {
  double rise = 0;            ///< reading units; 0 = off
  double window_s = 30;
  double min_duration_s = 15;
};

struct AlarmSettings {
  double raise = 0;
  double clear = 0;
  double min_duration_s = 0;
  RateOfRiseConfig rate_of_rise;
};

struct DriftConfig {
  double max_rate_per_h = 0;  ///< 0 = no drift compensation
  double max_compensation = 0;
};

struct SensorFaultConfig {
  double valid_min = 0;
  double valid_max = 1e9;
  double no_data_s = 30;
  double comms_lost_s = 5;
  double stuck_s = 600;       ///< 0 = off
};

/// Modbus RTU serial line (type modbus_rtu).
struct SerialSettings {
  std::string device;         ///< e.g. /dev/ttyUSB0
  int baud = 9600;
  std::string parity = "none";  ///< none, even, odd
  int data_bits = 8;
  int stop_bits = 1;
};

/// Where the reading is in the Modbus device and how it scales.
struct RegisterMap {
  int address = 0;
  std::string kind = "holding";  ///< holding or input register
  std::string format = "uint16"; ///< uint16 or int16
  double scale = 1.0;            ///< reading = raw x scale + offset
  double offset = 0;
  std::optional<int> raw_out_of_range;  ///< raw value the device sends for "out of range" (e.g. 65535)
  std::optional<int> status_register;   ///< holding/input register with the device's fault bit
  int fault_bit = 0;
};

/// MQTT JSON sensor (type mqtt_json), on the gateway's own broker.
struct MqttSensorSettings {
  std::string topic;               ///< readings, e.g. sensors/smoke1/state
  std::string availability_topic;  ///< optional: "online"/"offline" (Last Will)
  std::string value_field = "smoke";
  std::string status_field = "status";  ///< optional field: "ok", "fault", "out_of_range"
};

struct SensorSettings {
  std::string id;
  std::string type = "modbus_tcp";  ///< modbus_tcp, modbus_rtu, mqtt_json
  std::string host = "127.0.0.1";
  int port = 502;
  SerialSettings serial;
  int unit_id = 1;
  RegisterMap map;
  MqttSensorSettings mqtt;
  std::string unit;
  int poll_ms = 1000;
  int timeout_ms = 1000;
  std::string camera;  ///< camera whose view this sensor covers (fusion), may be empty
  AlarmSettings alarm;
  DriftConfig drift;
  SensorFaultConfig faults;

  bool is_modbus() const { return type != "mqtt_json"; }
};

/// Camera and sensor cues of one fire (docs/configuration.md, fusion).
struct FusionSettings {
  double window_s = 120;  ///< the two cues start at most this far apart
};

/// Where a camera's frames come from: exactly one of url, file, device.
struct CameraSource {
  std::string url;              ///< rtsp://, http://... through OpenCV's FFmpeg backend (also gridwatch-sim --rtsp-port)
  std::string file;             ///< a video file, played at its own frame rate
  std::string device;           ///< V4L2 device, e.g. /dev/video0
  std::string rtsp_transport = "tcp";  ///< tcp or udp
  bool loop = false;            ///< file: start again at the end
  double stall_s = 10;          ///< no frame this long: offline, reconnect
  int reconnect_min_ms = 1000;
  int reconnect_max_ms = 60000;
};

struct CameraConfig {
  vision::CameraSettings vision;  ///< zones, filters, analysis: the same keys `analyze --camera` reads
  CameraSource source;
};

struct EdgeConfig {
  std::string source_file;
  GatewayIdentity gateway;
  std::string state_dir = "/var/lib/gridwatch";
  std::string log_level = "info";
  MqttSettings mqtt;  ///< client_id defaults to the gateway id
  OutboxSettings outbox;
  UplinkSettings uplink;
  EvidenceSettings evidence;
  int heartbeat_s = 30;
  /// "local" while the cameras are edge.yaml's; the pushed version once
  /// central has replaced them ({state_dir}/remote-config.yaml).
  std::string config_version = "local";
  std::vector<SensorSettings> sensors;
  std::vector<CameraConfig> cameras;
  FusionSettings fusion;

  std::string outbox_path() const;
  std::string evidence_directory() const;
};

/// The alarm and fault logic's settings for one sensor.
SensorMonitorSettings monitor_settings(const SensorSettings& sensor);

/// One entry of `sensors:` in a file of its own (what `replay-sensor
/// --sensor` reads); transport keys are accepted and unused there.
SensorSettings load_sensor_file(const std::string& path);
SensorSettings parse_sensor_text(const std::string& yaml_text, const std::string& name);

/// Parses and validates; throws ConfigInvalid listing every problem.
EdgeConfig load_edge_config(const std::string& path);
/// Same, from YAML text (`name` is used as the file name in errors).
EdgeConfig parse_edge_config(const std::string& yaml_text, const std::string& name);

/// Where a camera config pushed by central is kept; when present it
/// replaces the `cameras` of edge.yaml at every load.
std::string pushed_config_path(const std::string& state_dir);

/// Validates a `cameras` list given as a JSON array (a config push) with
/// the same rules as edge.yaml's; throws ConfigInvalid listing every
/// problem with its path (cameras[0].zones[1].polygon ...).
std::vector<CameraConfig> parse_camera_list(const std::string& cameras_json, const std::string& name);

}  // namespace gridwatch::edge
