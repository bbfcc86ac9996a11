#pragma once
// gridwatch-central configuration (YAML). docs/configuration.md documents
// every key; config/central.example.yaml is a complete sample.
#include <string>
#include <vector>

#include "central/core/dispatch.hpp"
#include "central/core/incident_rules.hpp"
#include "central/core/notification_plan.hpp"
#include "common/config_reader.hpp"
#include "common/mqtt_settings.hpp"

namespace gridwatch::central {

struct StoreSettings {
  std::string backend = "sqlite";  ///< "sqlite" (embedded, one central) or "postgres" (shared)
  std::string sqlite_path = "/var/lib/gridwatch/central.db";
  std::string postgres_conninfo;   ///< libpq connection string; required for "postgres"
};

/// Where the store lives, fit for logs: the SQLite path, or the PostgreSQL
/// conninfo with its password redacted.
std::string store_location(const StoreSettings& store);

struct HttpConfig {
  bool enabled = true;
  std::string listen_address = "127.0.0.1";
  int port = 8080;
  int max_connections = 256;
  /// "required": staff sign in, machines send a Bearer token, every action
  /// is role-checked. "off": no sign-in at all (loopback test rigs only;
  /// logged as a warning at start).
  std::string auth = "required";
  std::string assets_dir;         ///< the dashboard's files; empty = installed next to the binary
  int session_ttl_s = 12 * 3600;  ///< a browser session lasts this long
  bool secure_cookies = true;     ///< the session cookie's Secure attribute
};

/// The fleet registry's clocks (central/fleet_monitor.hpp).
struct FleetConfig {
  int heartbeat_timeout_s = 90;    ///< no status or telemetry for this long: offline
  int maintenance_after_s = 300;   ///< offline this long: a maintenance incident opens
  int check_interval_ms = 5000;    ///< how often silence is looked for
  /// The registered gateways (gateway_registry.hpp); empty = open registration.
  std::string gateways_file;
};

/// Send an incident of this kind to its routed duty unit as soon as it is
/// opened (actor "auto"), optionally to a fixed unit instead.
struct AutoDispatchRule {
  std::string kind;  ///< wire alert kind
  std::string unit;  ///< empty = the unit the grid cell routes the kind to
};

struct DispatchConfig {
  std::string cells_file;  ///< GeoJSON grid cells (docs/routing.md); empty = no routing
  SlaSettings sla;
  std::vector<AutoDispatchRule> auto_dispatch{{"smoke", ""}, {"fire", ""}, {"parking", ""}};
  int sweep_interval_ms = 1000;  ///< how often SLA clocks are checked
};

struct CentralConfig {
  std::string source_file;
  std::string instance_id = "central-1";
  std::string log_level = "info";
  MqttSettings mqtt;  ///< client_id defaults to "gridwatch-{instance_id}"
  /// Empty (the default, one central): plain subscriptions. Set when
  /// several central instances split the stream through an MQTT v5 shared
  /// subscription ($share/{group}/...). Mosquitto 2.0.11 loses about half
  /// the messages queued for a shared subscriber across a broker restart
  /// (docs/outbox.md), so a single instance must not use one.
  std::string shared_group;
  StoreSettings store;
  HttpConfig http;
  DispatchConfig dispatch;
  /// Where notifications go (docs/configuration.md); by default a log line.
  std::vector<NotifierSettings> notifiers = default_notifiers();
  CorrelationSettings correlation;
  FleetConfig fleet;
  int stats_log_interval_s = 60;
};

CentralConfig load_central_config(const std::string& path);
CentralConfig parse_central_config(const std::string& yaml_text, const std::string& name);

}  // namespace gridwatch::central
