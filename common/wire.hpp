#pragma once
// Wire contract v1: the JSON payloads gateways and central exchange.
// docs/protocol.md is the human description; this file is the truth.
//
// Decoding is strict: unknown fields, wrong types, out-of-range values and
// unknown schema versions are rejected with one FieldError per problem.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/field_error.hpp"
#include "common/time.hpp"
#include "common/topics.hpp"

namespace gridwatch {

inline constexpr int kSchemaVersion = 1;
/// Largest alert, status or telemetry payload accepted (bytes).
inline constexpr std::size_t kMaxPayloadBytes = 16 * 1024;
/// Largest evidence payload accepted (bytes, base64 JPEG included).
inline constexpr std::size_t kMaxEvidencePayloadBytes = 1024 * 1024;

enum class AlertKind { smoke, fire, parking, tamper, sensor_fault, camera_fault };
/// Episode lifecycle: one start, any number of updates, one end.
enum class Phase { start, update, end };
/// CAP 1.2 severity.
enum class Severity { extreme, severe, moderate, minor, unknown };
enum class PresenceState { online, offline };

std::string_view to_string(AlertKind kind);
std::string_view to_string(Phase phase);
std::string_view to_string(Severity severity);
std::string_view to_string(PresenceState state);
std::optional<AlertKind> alert_kind_from_string(std::string_view text);
std::optional<Phase> phase_from_string(std::string_view text);
std::optional<Severity> severity_from_string(std::string_view text);

struct Location {
  double lat = 0;
  double lon = 0;
  std::optional<std::string> camera;  ///< camera id, for video alerts
  std::optional<std::string> zone;    ///< zone id within the camera view
  std::optional<std::string> sensor;  ///< sensor id, for sensor alerts
};

/// Normalised [x, y, w, h] in the camera frame, each in [0, 1].
using Box = std::array<double, 4>;

struct Alert {
  std::string alert_id;    ///< "{gateway_id}:{outbox_epoch}:{seq}", unique and stable across retries
  std::string gateway_id;
  std::uint64_t seq = 0;   ///< per-gateway sequence, persisted in the outbox
  std::string episode_id;  ///< shared by the start/update/end messages of one episode
  Phase phase = Phase::start;
  AlertKind kind = AlertKind::smoke;
  Severity severity = Severity::unknown;
  double confidence = 0;   ///< [0, 1]
  EpochMs detected_at_ms = 0;  ///< when the detector decided, UTC ms
  Location location;
  std::optional<Box> box;
  std::optional<double> value;       ///< sensor reading that triggered it
  std::optional<std::string> unit;   ///< unit of `value`
  std::vector<std::string> evidence; ///< evidence ids sent on the evidence channel
  std::string summary;               ///< short human-readable text, <= 256 chars
  /// Licence plate of the vehicle (parking), when a plate reader supplied
  /// one; central texts its registered owner. <= 16 bytes (UTF-8).
  std::optional<std::string> plate;
};

struct Status {
  std::string gateway_id;
  PresenceState state = PresenceState::online;
  std::string boot_id;   ///< random per process start: tells a restart from a reconnect
  EpochMs ts_ms = 0;
  std::string version;   ///< gateway software version
  /// Where the gateway stands (its configured position), so central can
  /// place it on the map and in a grid cell before its first alert.
  /// Optional on the wire: both or neither.
  std::optional<double> lat;
  std::optional<double> lon;
};

struct OutboxTelemetry {
  std::map<std::string, std::uint64_t> depth;    ///< undelivered rows per priority name
  std::map<std::string, std::uint64_t> dropped;  ///< rows dropped by the capacity policy since boot, per priority
  std::int64_t oldest_undelivered_age_s = 0;     ///< 0 when empty
  std::uint64_t stored_bytes = 0;
  std::uint64_t quarantined_databases = 0;       ///< corrupt outboxes moved aside since boot
  std::uint64_t store_errors = 0;                ///< failed writes (disk full, read-only) since boot
  std::uint64_t awaiting_receipt = 0;            ///< alerts the broker has, awaiting central's receipt (in depth too)
};

struct DeviceHealth {
  std::string id;
  std::string state;  ///< "ok", "fault", "offline"
  std::string detail;
};

struct Telemetry {
  std::string gateway_id;
  std::string boot_id;
  EpochMs ts_ms = 0;
  std::int64_t uptime_s = 0;
  /// Version of the camera/zone config in force: "local" for edge.yaml's,
  /// else the version central pushed. Optional (gateways before issue 9).
  std::string config_version;
  OutboxTelemetry outbox;
  std::vector<DeviceHealth> cameras;
  std::vector<DeviceHealth> sensors;
};

/// A JPEG snapshot for an alert, sent on the evidence channel after it.
struct Evidence {
  std::string evidence_id;  ///< "{alert_id}:jpg"
  std::string alert_id;
  std::string gateway_id;
  EpochMs captured_at_ms = 0;
  std::string content_type = "image/jpeg";
  std::string data;  ///< raw bytes (base64 on the wire)
};

std::string encode(const Alert& alert);
std::string encode(const Evidence& evidence);
std::string encode(const Status& status);
std::string encode(const Telemetry& telemetry);

/// Central -> gateway on gridwatch/v1/{gateway_id}/cmd: replace the
/// gateway's camera/zone config (docs/protocol.md, "Remote config").
struct ConfigPush {
  std::string command_id;      ///< chosen by central, echoed in the result
  std::string gateway_id;
  std::string config_version;  ///< 1-64 characters; the gateway reports it in telemetry once applied
  std::string cameras_json;    ///< the `cameras` list as a JSON array, with edge.yaml's keys
};

/// Gateway -> central on gridwatch/v1/{gateway_id}/cmd_result.
struct CommandResult {
  std::string command_id;
  std::string gateway_id;
  bool ok = false;
  std::string config_version;  ///< in force after the command (the old one when refused)
  FieldErrors errors;          ///< every problem, with its field path, when refused
  EpochMs ts_ms = 0;
};

/// Camera configs with many zones exceed the 16 KiB of telemetry payloads.
inline constexpr std::size_t kMaxCommandPayloadBytes = 256 * 1024;

std::string encode(const ConfigPush& push);
std::string encode(const CommandResult& result);

/// Central -> gateway on gridwatch/v1/{gateway_id}/cmd/receipt, after
/// central committed the alerts: the gateway deletes them from its outbox
/// (docs/protocol.md, "Receipts").
struct RejectedAlert {
  std::string alert_id;
  std::string error;  ///< why central will never take it (validation errors)
};

struct Receipt {
  std::string gateway_id;
  std::vector<std::string> accepted;  ///< committed, now or before (duplicates)
  std::vector<RejectedAlert> rejected;
  EpochMs ts_ms = 0;
};

/// Ids per receipt message: keeps a receipt far below the cmd payload limit.
inline constexpr std::size_t kMaxReceiptIds = 1000;

std::string encode(const Receipt& receipt);

template <typename T>
struct Decoded {
  std::optional<T> value;
  FieldErrors errors;
  bool ok() const { return value.has_value(); }
};

Decoded<Alert> decode_alert(std::string_view payload);
Decoded<Status> decode_status(std::string_view payload);
Decoded<Telemetry> decode_telemetry(std::string_view payload);
Decoded<Evidence> decode_evidence(std::string_view payload);
Decoded<ConfigPush> decode_config_push(std::string_view payload);
Decoded<CommandResult> decode_command_result(std::string_view payload);
Decoded<Receipt> decode_receipt(std::string_view payload);

/// A message received from the broker, decoded according to its topic.
struct InboundMessage {
  ParsedTopic topic;
  std::variant<Alert, Status, Telemetry, Evidence> body;
};

/// Parses the topic, decodes the payload for its channel, and checks that
/// the payload's gateway_id is the topic's (a gateway may only speak for
/// itself). Channels central does not consume are rejected.
Decoded<InboundMessage> decode_message(std::string_view topic, std::string_view payload);

}  // namespace gridwatch
