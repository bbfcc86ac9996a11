#pragma once
// gridwatch-edge configuration (YAML). docs/configuration.md documents
// every key; config/edge.example.yaml is a complete sample.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/config_reader.hpp"
#include "common/mqtt_settings.hpp"
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

struct EvidenceSettings {
  std::string directory;  ///< empty = {state_dir}/evidence
  int max_files = 500;
  std::int64_t max_mib = 64;
};

struct AlarmSettings {
  double raise = 0;
  double clear = 0;
  double min_duration_s = 0;
};

struct SensorSettings {
  std::string id;
  std::string type = "modbus_tcp";
  std::string host = "127.0.0.1";
  int port = 502;
  int unit_id = 1;
  int register_address = 0;
  double scale = 1.0;
  std::string unit;
  int poll_ms = 1000;
  int timeout_ms = 1000;
  std::string camera;  ///< camera whose view this sensor covers (fusion), may be empty
  AlarmSettings alarm;
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
  EvidenceSettings evidence;
  int heartbeat_s = 30;
  std::vector<SensorSettings> sensors;
  std::vector<CameraConfig> cameras;

  std::string outbox_path() const;
  std::string evidence_directory() const;
};

/// Parses and validates; throws ConfigInvalid listing every problem.
EdgeConfig load_edge_config(const std::string& path);
/// Same, from YAML text (`name` is used as the file name in errors).
EdgeConfig parse_edge_config(const std::string& yaml_text, const std::string& name);

}  // namespace gridwatch::edge
