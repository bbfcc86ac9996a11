#include "common/wire.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "common/base64.hpp"
#include "common/ids.hpp"

namespace gridwatch {
namespace {

using nlohmann::json;

// Year 2200 in ms: anything later is a unit mistake (µs or ns), not a date.
constexpr EpochMs kLatestPlausibleMs = 7'258'118'400'000;

template <typename Enum, std::size_t N>
using NameTable = std::array<std::pair<Enum, std::string_view>, N>;

constexpr NameTable<AlertKind, 6> kKindNames{{{AlertKind::smoke, "smoke"},
                                              {AlertKind::fire, "fire"},
                                              {AlertKind::parking, "parking"},
                                              {AlertKind::tamper, "tamper"},
                                              {AlertKind::sensor_fault, "sensor_fault"},
                                              {AlertKind::camera_fault, "camera_fault"}}};
constexpr NameTable<Phase, 3> kPhaseNames{{{Phase::start, "start"}, {Phase::update, "update"}, {Phase::end, "end"}}};
constexpr NameTable<Severity, 5> kSeverityNames{{{Severity::extreme, "extreme"},
                                                 {Severity::severe, "severe"},
                                                 {Severity::moderate, "moderate"},
                                                 {Severity::minor, "minor"},
                                                 {Severity::unknown, "unknown"}}};
constexpr NameTable<PresenceState, 2> kPresenceNames{{{PresenceState::online, "online"},
                                                      {PresenceState::offline, "offline"}}};

template <typename Enum, std::size_t N>
std::string_view name_of(const NameTable<Enum, N>& table, Enum value) {
  for (const auto& [candidate, name] : table) {
    if (candidate == value) return name;
  }
  return "unknown";
}

template <typename Enum, std::size_t N>
std::optional<Enum> value_of(const NameTable<Enum, N>& table, std::string_view text) {
  for (const auto& [candidate, name] : table) {
    if (name == text) return candidate;
  }
  return std::nullopt;
}

template <typename Enum, std::size_t N>
std::string allowed_names(const NameTable<Enum, N>& table) {
  std::string out;
  for (const auto& entry : table) {
    if (!out.empty()) out += ", ";
    out += entry.second;
  }
  return out;
}

std::string_view json_type_name(const json& value) {
  if (value.is_number_integer() || value.is_number_unsigned()) return "integer";
  if (value.is_number_float()) return "number";
  return value.type_name();
}

// Reads one JSON object field by field, recording every problem with its
// dotted path, and finally reporting the fields nobody asked for.
class ObjectReader {
 public:
  ObjectReader(const json& object, std::string path, FieldErrors& errors)
      : object_(object), path_(std::move(path)), errors_(errors) {}

  std::string field_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  void error(std::string_view key, std::string message) { errors_.push_back({field_path(key), std::move(message)}); }

  const json* find(std::string_view key, bool required) {
    seen_.insert(std::string(key));
    const auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      if (required) error(key, "missing required field");
      return nullptr;
    }
    return &*it;
  }

  std::optional<std::string> string(std::string_view key, bool required, std::size_t max_length) {
    const json* value = find(key, required);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string()) {
      error(key, fmt::format("expected a string, got {}", json_type_name(*value)));
      return std::nullopt;
    }
    auto text = value->get<std::string>();
    if (text.size() > max_length) {
      error(key, fmt::format("longer than {} characters", max_length));
      return std::nullopt;
    }
    return text;
  }

  std::optional<std::string> id(std::string_view key, bool required) {
    auto text = string(key, required, 64);
    if (text && !is_valid_id(*text)) {
      error(key, "must be 1-64 characters of A-Z a-z 0-9 _ -");
      return std::nullopt;
    }
    return text;
  }

  std::optional<std::int64_t> integer(std::string_view key, bool required, std::int64_t min, std::int64_t max) {
    const json* value = find(key, required);
    if (value == nullptr) return std::nullopt;
    if (!value->is_number_integer()) {
      error(key, fmt::format("expected an integer, got {}", json_type_name(*value)));
      return std::nullopt;
    }
    if (value->is_number_unsigned() && value->get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
      error(key, fmt::format("must be between {} and {}", min, max));
      return std::nullopt;
    }
    const auto number = value->get<std::int64_t>();
    if (number < min || number > max) {
      error(key, fmt::format("must be between {} and {}", min, max));
      return std::nullopt;
    }
    return number;
  }

  std::optional<double> number(std::string_view key, bool required, double min, double max) {
    const json* value = find(key, required);
    if (value == nullptr) return std::nullopt;
    if (!value->is_number()) {
      error(key, fmt::format("expected a number, got {}", json_type_name(*value)));
      return std::nullopt;
    }
    const auto number = value->get<double>();
    if (!(number >= min && number <= max)) {
      error(key, fmt::format("must be between {} and {}", min, max));
      return std::nullopt;
    }
    return number;
  }

  template <typename Enum, std::size_t N>
  std::optional<Enum> enumeration(std::string_view key, const NameTable<Enum, N>& table) {
    auto text = string(key, true, 32);
    if (!text) return std::nullopt;
    auto value = value_of(table, *text);
    if (!value) error(key, fmt::format("unknown value \"{}\" (allowed: {})", *text, allowed_names(table)));
    return value;
  }

  void finish() {
    for (const auto& item : object_.items()) {
      if (!seen_.count(item.key())) error(item.key(), "unknown field");
    }
  }

 private:
  const json& object_;
  std::string path_;
  FieldErrors& errors_;
  std::set<std::string, std::less<>> seen_;
};

// Parses the payload and checks the envelope shared by every message:
// size, JSON object, schema version and type. Returns nullopt on failure.
std::optional<json> parse_envelope(std::string_view payload, std::string_view expected_type, std::size_t max_bytes,
                                   FieldErrors& errors) {
  if (payload.size() > max_bytes) {
    errors.push_back({"", fmt::format("payload of {} bytes exceeds the {} byte limit", payload.size(), max_bytes)});
    return std::nullopt;
  }
  json document = json::parse(payload, nullptr, false);
  if (document.is_discarded()) {
    errors.push_back({"", "not valid JSON"});
    return std::nullopt;
  }
  if (!document.is_object()) {
    errors.push_back({"", fmt::format("expected a JSON object, got {}", json_type_name(document))});
    return std::nullopt;
  }
  const auto schema = document.find("schema");
  if (schema == document.end()) {
    errors.push_back({"schema", "missing required field"});
    return std::nullopt;
  }
  if (!schema->is_number_integer() || schema->get<std::int64_t>() != kSchemaVersion) {
    errors.push_back({"schema", fmt::format("unsupported schema version {} (this build speaks {})", schema->dump(),
                                            kSchemaVersion)});
    return std::nullopt;
  }
  const auto type = document.find("type");
  if (type == document.end() || !type->is_string()) {
    errors.push_back({"type", "missing required field"});
    return std::nullopt;
  }
  if (type->get<std::string>() != expected_type) {
    errors.push_back({"type", fmt::format("expected \"{}\", got \"{}\"", expected_type, type->get<std::string>())});
    return std::nullopt;
  }
  return document;
}

template <typename T>
Decoded<T> finish_decode(T value, FieldErrors errors) {
  Decoded<T> result;
  if (errors.empty()) {
    result.value = std::move(value);
  } else {
    result.errors = std::move(errors);
  }
  return result;
}

json encode_location(const Location& location) {
  json out{{"lat", location.lat}, {"lon", location.lon}};
  if (location.camera) out["camera"] = *location.camera;
  if (location.zone) out["zone"] = *location.zone;
  if (location.sensor) out["sensor"] = *location.sensor;
  return out;
}

void decode_location(const json& value, Location& out, FieldErrors& errors) {
  if (!value.is_object()) {
    errors.push_back({"location", fmt::format("expected an object, got {}", json_type_name(value))});
    return;
  }
  ObjectReader reader(value, "location", errors);
  out.lat = reader.number("lat", true, -90, 90).value_or(0);
  out.lon = reader.number("lon", true, -180, 180).value_or(0);
  out.camera = reader.id("camera", false);
  out.zone = reader.id("zone", false);
  out.sensor = reader.id("sensor", false);
  reader.finish();
}

void decode_box(const json& value, Box& out, FieldErrors& errors) {
  if (!value.is_array() || value.size() != 4) {
    errors.push_back({"box", "expected [x, y, w, h]"});
    return;
  }
  for (std::size_t i = 0; i < 4; ++i) {
    const auto& element = value[i];
    if (!element.is_number() || element.get<double>() < 0 || element.get<double>() > 1) {
      errors.push_back({fmt::format("box[{}]", i), "expected a normalised number in [0, 1]"});
      return;
    }
    out[i] = element.get<double>();
  }
  if (out[2] <= 0 || out[3] <= 0) errors.push_back({"box", "width and height must be positive"});
}

void decode_health_list(const json* value, std::string_view key, std::vector<DeviceHealth>& out,
                        FieldErrors& errors) {
  if (value == nullptr) return;
  if (!value->is_array()) {
    errors.push_back({std::string(key), "expected an array"});
    return;
  }
  for (std::size_t i = 0; i < value->size(); ++i) {
    const auto& item = (*value)[i];
    const auto path = fmt::format("{}[{}]", key, i);
    if (!item.is_object()) {
      errors.push_back({path, "expected an object"});
      continue;
    }
    ObjectReader reader(item, path, errors);
    DeviceHealth health;
    health.id = reader.id("id", true).value_or("");
    health.state = reader.string("state", true, 16).value_or("");
    health.detail = reader.string("detail", false, 256).value_or("");
    reader.finish();
    out.push_back(std::move(health));
  }
}

void decode_counter_map(const json* value, std::string_view path, std::map<std::string, std::uint64_t>& out,
                        FieldErrors& errors) {
  if (value == nullptr) return;
  if (!value->is_object()) {
    errors.push_back({std::string(path), "expected an object"});
    return;
  }
  for (const auto& item : value->items()) {
    if (!item.value().is_number_unsigned() && !(item.value().is_number_integer() && item.value().get<std::int64_t>() >= 0)) {
      errors.push_back({fmt::format("{}.{}", path, item.key()), "expected a non-negative integer"});
      continue;
    }
    out[item.key()] = item.value().get<std::uint64_t>();
  }
}

}  // namespace

std::string_view to_string(AlertKind kind) { return name_of(kKindNames, kind); }
std::string_view to_string(Phase phase) { return name_of(kPhaseNames, phase); }
std::string_view to_string(Severity severity) { return name_of(kSeverityNames, severity); }
std::string_view to_string(PresenceState state) { return name_of(kPresenceNames, state); }
std::optional<AlertKind> alert_kind_from_string(std::string_view text) { return value_of(kKindNames, text); }
std::optional<Phase> phase_from_string(std::string_view text) { return value_of(kPhaseNames, text); }
std::optional<Severity> severity_from_string(std::string_view text) { return value_of(kSeverityNames, text); }

std::string encode(const Alert& alert) {
  json out{{"schema", kSchemaVersion},
           {"type", "alert"},
           {"alert_id", alert.alert_id},
           {"gateway_id", alert.gateway_id},
           {"seq", alert.seq},
           {"episode_id", alert.episode_id},
           {"phase", to_string(alert.phase)},
           {"kind", to_string(alert.kind)},
           {"severity", to_string(alert.severity)},
           {"confidence", alert.confidence},
           {"detected_at_ms", alert.detected_at_ms},
           {"location", encode_location(alert.location)}};
  if (alert.box) out["box"] = *alert.box;
  if (alert.value) out["value"] = *alert.value;
  if (alert.unit) out["unit"] = *alert.unit;
  if (!alert.evidence.empty()) out["evidence"] = alert.evidence;
  if (!alert.summary.empty()) out["summary"] = alert.summary;
  if (alert.plate) out["plate"] = *alert.plate;
  return out.dump();
}

std::string encode(const Status& status) {
  json out{{"schema", kSchemaVersion},     {"type", "status"},         {"gateway_id", status.gateway_id},
           {"state", to_string(status.state)}, {"boot_id", status.boot_id}, {"ts_ms", status.ts_ms},
           {"version", status.version}};
  if (status.lat && status.lon) {
    out["lat"] = *status.lat;
    out["lon"] = *status.lon;
  }
  return out.dump();
}

std::string encode(const Telemetry& telemetry) {
  auto health = [](const std::vector<DeviceHealth>& devices) {
    json list = json::array();
    for (const auto& device : devices) {
      json item{{"id", device.id}, {"state", device.state}};
      if (!device.detail.empty()) item["detail"] = device.detail;
      list.push_back(std::move(item));
    }
    return list;
  };
  const auto& outbox = telemetry.outbox;
  json document{{"schema", kSchemaVersion},
              {"type", "telemetry"},
              {"gateway_id", telemetry.gateway_id},
              {"boot_id", telemetry.boot_id},
              {"ts_ms", telemetry.ts_ms},
              {"uptime_s", telemetry.uptime_s},
              {"outbox",
               {{"depth", outbox.depth},
                {"dropped", outbox.dropped},
                {"oldest_undelivered_age_s", outbox.oldest_undelivered_age_s},
                {"stored_bytes", outbox.stored_bytes},
                {"quarantined_databases", outbox.quarantined_databases},
                {"store_errors", outbox.store_errors},
                {"awaiting_receipt", outbox.awaiting_receipt}}},
              {"cameras", health(telemetry.cameras)},
              {"sensors", health(telemetry.sensors)}};
  if (!telemetry.config_version.empty()) document["config_version"] = telemetry.config_version;
  return document.dump();
}

std::string encode(const Evidence& evidence) {
  return json{{"schema", kSchemaVersion},
              {"type", "evidence"},
              {"evidence_id", evidence.evidence_id},
              {"alert_id", evidence.alert_id},
              {"gateway_id", evidence.gateway_id},
              {"captured_at_ms", evidence.captured_at_ms},
              {"content_type", evidence.content_type},
              {"data_base64", base64_encode(evidence.data)}}
      .dump();
}

Decoded<Evidence> decode_evidence(std::string_view payload) {
  FieldErrors errors;
  auto document = parse_envelope(payload, "evidence", kMaxEvidencePayloadBytes, errors);
  if (!document) return finish_decode(Evidence{}, std::move(errors));
  Evidence evidence;
  ObjectReader reader(*document, "", errors);
  reader.find("schema", true);
  reader.find("type", true);
  evidence.gateway_id = reader.id("gateway_id", true).value_or("");
  evidence.evidence_id = reader.string("evidence_id", true, 128).value_or("");
  if (!evidence.evidence_id.empty() && !is_valid_message_id(evidence.evidence_id)) {
    reader.error("evidence_id", "must be 1-128 characters of A-Z a-z 0-9 _ . : -");
  }
  evidence.alert_id = reader.string("alert_id", true, 128).value_or("");
  if (!evidence.alert_id.empty() && !evidence.gateway_id.empty() &&
      evidence.alert_id.rfind(evidence.gateway_id + ":", 0) != 0) {
    reader.error("alert_id", "must start with \"{gateway_id}:\"");
  }
  evidence.captured_at_ms = reader.integer("captured_at_ms", true, 1, kLatestPlausibleMs).value_or(0);
  evidence.content_type = reader.string("content_type", true, 32).value_or("");
  if (!evidence.content_type.empty() && evidence.content_type != "image/jpeg") {
    reader.error("content_type", "only image/jpeg is accepted");
  }
  if (auto data = reader.string("data_base64", true, kMaxEvidencePayloadBytes)) {
    auto bytes = base64_decode(*data);
    if (!bytes || bytes->empty()) {
      reader.error("data_base64", "not valid base64");
    } else if (bytes->size() < 3 || static_cast<unsigned char>((*bytes)[0]) != 0xFF ||
               static_cast<unsigned char>((*bytes)[1]) != 0xD8) {
      reader.error("data_base64", "not a JPEG (missing the FF D8 start-of-image marker)");
    } else {
      evidence.data = std::move(*bytes);
    }
  }
  reader.finish();
  return finish_decode(std::move(evidence), std::move(errors));
}

Decoded<Alert> decode_alert(std::string_view payload) {
  FieldErrors errors;
  auto document = parse_envelope(payload, "alert", kMaxPayloadBytes, errors);
  if (!document) return finish_decode(Alert{}, std::move(errors));

  Alert alert;
  ObjectReader reader(*document, "", errors);
  reader.find("schema", true);
  reader.find("type", true);
  alert.gateway_id = reader.id("gateway_id", true).value_or("");
  alert.alert_id = reader.string("alert_id", true, 128).value_or("");
  if (!alert.alert_id.empty()) {
    if (!is_valid_message_id(alert.alert_id)) {
      reader.error("alert_id", "must be 1-128 characters of A-Z a-z 0-9 _ . : -");
    } else if (!alert.gateway_id.empty() && alert.alert_id.rfind(alert.gateway_id + ":", 0) != 0) {
      // The gateway id prefix keeps ids unique across the fleet and stops
      // one gateway from colliding with another's ids.
      reader.error("alert_id", "must start with \"{gateway_id}:\"");
    }
  }
  alert.seq = static_cast<std::uint64_t>(reader.integer("seq", true, 0, INT64_MAX).value_or(0));
  alert.episode_id = reader.string("episode_id", true, 128).value_or("");
  if (!alert.episode_id.empty() && !is_valid_message_id(alert.episode_id)) {
    reader.error("episode_id", "must be 1-128 characters of A-Z a-z 0-9 _ . : -");
  }
  alert.phase = reader.enumeration("phase", kPhaseNames).value_or(Phase::start);
  alert.kind = reader.enumeration("kind", kKindNames).value_or(AlertKind::smoke);
  alert.severity = reader.enumeration("severity", kSeverityNames).value_or(Severity::unknown);
  alert.confidence = reader.number("confidence", true, 0, 1).value_or(0);
  alert.detected_at_ms = reader.integer("detected_at_ms", true, 1, kLatestPlausibleMs).value_or(0);
  if (const json* location = reader.find("location", true)) decode_location(*location, alert.location, errors);
  if (const json* box = reader.find("box", false)) decode_box(*box, alert.box.emplace(), errors);
  alert.value = reader.number("value", false, -1e12, 1e12);
  alert.unit = reader.string("unit", false, 16);
  if (const json* evidence = reader.find("evidence", false)) {
    if (!evidence->is_array() || evidence->size() > 16) {
      reader.error("evidence", "expected an array of at most 16 evidence ids");
    } else {
      for (std::size_t i = 0; i < evidence->size(); ++i) {
        const auto& item = (*evidence)[i];
        if (!item.is_string() || !is_valid_message_id(item.get<std::string>())) {
          errors.push_back({fmt::format("evidence[{}]", i), "expected an evidence id"});
        } else {
          alert.evidence.push_back(item.get<std::string>());
        }
      }
    }
  }
  alert.summary = reader.string("summary", false, 256).value_or("");
  alert.plate = reader.string("plate", false, 16);
  if (alert.plate && alert.plate->empty()) reader.error("plate", "must not be empty when present");
  reader.finish();
  return finish_decode(std::move(alert), std::move(errors));
}

Decoded<Status> decode_status(std::string_view payload) {
  FieldErrors errors;
  auto document = parse_envelope(payload, "status", kMaxPayloadBytes, errors);
  if (!document) return finish_decode(Status{}, std::move(errors));
  Status status;
  ObjectReader reader(*document, "", errors);
  reader.find("schema", true);
  reader.find("type", true);
  status.gateway_id = reader.id("gateway_id", true).value_or("");
  status.state = reader.enumeration("state", kPresenceNames).value_or(PresenceState::offline);
  status.boot_id = reader.string("boot_id", true, 64).value_or("");
  status.ts_ms = reader.integer("ts_ms", true, 0, kLatestPlausibleMs).value_or(0);
  status.version = reader.string("version", true, 64).value_or("");
  status.lat = reader.number("lat", false, -90, 90);
  status.lon = reader.number("lon", false, -180, 180);
  if (status.lat.has_value() != status.lon.has_value()) {
    reader.error(status.lat ? "lon" : "lat", "lat and lon come together: give both or neither");
  }
  reader.finish();
  return finish_decode(std::move(status), std::move(errors));
}

Decoded<Telemetry> decode_telemetry(std::string_view payload) {
  FieldErrors errors;
  auto document = parse_envelope(payload, "telemetry", kMaxPayloadBytes, errors);
  if (!document) return finish_decode(Telemetry{}, std::move(errors));
  Telemetry telemetry;
  ObjectReader reader(*document, "", errors);
  reader.find("schema", true);
  reader.find("type", true);
  telemetry.gateway_id = reader.id("gateway_id", true).value_or("");
  telemetry.boot_id = reader.string("boot_id", true, 64).value_or("");
  telemetry.ts_ms = reader.integer("ts_ms", true, 1, kLatestPlausibleMs).value_or(0);
  telemetry.uptime_s = reader.integer("uptime_s", true, 0, INT64_MAX).value_or(0);
  telemetry.config_version = reader.string("config_version", false, 64).value_or("");
  if (const json* outbox = reader.find("outbox", true)) {
    if (!outbox->is_object()) {
      reader.error("outbox", "expected an object");
    } else {
      ObjectReader outbox_reader(*outbox, "outbox", errors);
      auto& out = telemetry.outbox;
      decode_counter_map(outbox_reader.find("depth", true), "outbox.depth", out.depth, errors);
      decode_counter_map(outbox_reader.find("dropped", true), "outbox.dropped", out.dropped, errors);
      out.oldest_undelivered_age_s = outbox_reader.integer("oldest_undelivered_age_s", true, 0, INT64_MAX).value_or(0);
      out.stored_bytes = static_cast<std::uint64_t>(outbox_reader.integer("stored_bytes", true, 0, INT64_MAX).value_or(0));
      out.quarantined_databases =
          static_cast<std::uint64_t>(outbox_reader.integer("quarantined_databases", false, 0, INT64_MAX).value_or(0));
      out.store_errors = static_cast<std::uint64_t>(outbox_reader.integer("store_errors", false, 0, INT64_MAX).value_or(0));
      out.awaiting_receipt =
          static_cast<std::uint64_t>(outbox_reader.integer("awaiting_receipt", false, 0, INT64_MAX).value_or(0));
      outbox_reader.finish();
    }
  }
  decode_health_list(reader.find("cameras", false), "cameras", telemetry.cameras, errors);
  decode_health_list(reader.find("sensors", false), "sensors", telemetry.sensors, errors);
  reader.finish();
  return finish_decode(std::move(telemetry), std::move(errors));
}

std::string encode(const ConfigPush& push) {
  return json{{"schema", kSchemaVersion},
              {"type", "config_push"},
              {"command_id", push.command_id},
              {"gateway_id", push.gateway_id},
              {"config_version", push.config_version},
              {"cameras", json::parse(push.cameras_json)}}
      .dump();
}

std::string encode(const CommandResult& result) {
  json errors = json::array();
  for (const auto& error : result.errors) errors.push_back({{"field", error.field}, {"message", error.message}});
  return json{{"schema", kSchemaVersion},
              {"type", "cmd_result"},
              {"command_id", result.command_id},
              {"gateway_id", result.gateway_id},
              {"ok", result.ok},
              {"config_version", result.config_version},
              {"errors", errors},
              {"ts_ms", result.ts_ms}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Decoded<ConfigPush> decode_config_push(std::string_view payload) {
  FieldErrors errors;
  auto document = parse_envelope(payload, "config_push", kMaxCommandPayloadBytes, errors);
  if (!document) return finish_decode(ConfigPush{}, std::move(errors));
  ConfigPush push;
  ObjectReader reader(*document, "", errors);
  reader.find("schema", true);
  reader.find("type", true);
  push.command_id = reader.id("command_id", true).value_or("");
  push.gateway_id = reader.id("gateway_id", true).value_or("");
  push.config_version = reader.string("config_version", true, 64).value_or("");
  if (push.config_version.empty() && reader.find("config_version", false) != nullptr) {
    reader.error("config_version", "must not be empty");
  }
  if (const json* cameras = reader.find("cameras", true)) {
    if (cameras->is_array()) {
      push.cameras_json = cameras->dump();
    } else {
      reader.error("cameras", fmt::format("expected a list of cameras, got {}", json_type_name(*cameras)));
    }
  }
  reader.finish();
  return finish_decode(std::move(push), std::move(errors));
}

Decoded<CommandResult> decode_command_result(std::string_view payload) {
  FieldErrors errors;
  auto document = parse_envelope(payload, "cmd_result", kMaxCommandPayloadBytes, errors);
  if (!document) return finish_decode(CommandResult{}, std::move(errors));
  CommandResult result;
  ObjectReader reader(*document, "", errors);
  reader.find("schema", true);
  reader.find("type", true);
  result.command_id = reader.id("command_id", true).value_or("");
  result.gateway_id = reader.id("gateway_id", true).value_or("");
  if (const json* ok = reader.find("ok", true)) {
    if (ok->is_boolean()) {
      result.ok = ok->get<bool>();
    } else {
      reader.error("ok", "expected true or false");
    }
  }
  result.config_version = reader.string("config_version", true, 64).value_or("");
  if (const json* list = reader.find("errors", true)) {
    if (!list->is_array()) reader.error("errors", "expected a list");
    for (std::size_t i = 0; list->is_array() && i < list->size(); ++i) {
      const auto& item = (*list)[i];
      if (!item.is_object() || !item.contains("field") || !item.contains("message") || !item["field"].is_string() ||
          !item["message"].is_string()) {
        reader.error(fmt::format("errors[{}]", i), "expected {\"field\": string, \"message\": string}");
        continue;
      }
      result.errors.push_back({item["field"].get<std::string>(), item["message"].get<std::string>()});
    }
  }
  result.ts_ms = reader.integer("ts_ms", true, 1, kLatestPlausibleMs).value_or(0);
  reader.finish();
  return finish_decode(std::move(result), std::move(errors));
}

std::string encode(const Receipt& receipt) {
  json rejected = json::array();
  for (const auto& item : receipt.rejected) rejected.push_back({{"alert_id", item.alert_id}, {"error", item.error}});
  return json{{"schema", kSchemaVersion},
              {"type", "receipt"},
              {"gateway_id", receipt.gateway_id},
              {"accepted", receipt.accepted},
              {"rejected", rejected},
              {"ts_ms", receipt.ts_ms}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Decoded<Receipt> decode_receipt(std::string_view payload) {
  FieldErrors errors;
  auto document = parse_envelope(payload, "receipt", kMaxCommandPayloadBytes, errors);
  if (!document) return finish_decode(Receipt{}, std::move(errors));
  Receipt receipt;
  ObjectReader reader(*document, "", errors);
  reader.find("schema", true);
  reader.find("type", true);
  receipt.gateway_id = reader.id("gateway_id", true).value_or("");
  std::size_t ids = 0;
  if (const json* list = reader.find("accepted", true)) {
    if (!list->is_array()) reader.error("accepted", "expected a list");
    for (std::size_t i = 0; list->is_array() && i < list->size(); ++i) {
      const auto& item = (*list)[i];
      if (!item.is_string() || !is_valid_message_id(item.get<std::string>())) {
        reader.error(fmt::format("accepted[{}]", i), "expected an alert id");
        continue;
      }
      receipt.accepted.push_back(item.get<std::string>());
    }
    ids += receipt.accepted.size();
  }
  if (const json* list = reader.find("rejected", true)) {
    if (!list->is_array()) reader.error("rejected", "expected a list");
    for (std::size_t i = 0; list->is_array() && i < list->size(); ++i) {
      const auto& item = (*list)[i];
      if (!item.is_object() || item.size() != 2 || !item.contains("alert_id") || !item.contains("error") ||
          !item["alert_id"].is_string() || !item["error"].is_string() ||
          !is_valid_message_id(item["alert_id"].get<std::string>())) {
        reader.error(fmt::format("rejected[{}]", i), "expected {\"alert_id\": alert id, \"error\": string}");
        continue;
      }
      receipt.rejected.push_back({item["alert_id"].get<std::string>(), item["error"].get<std::string>()});
    }
    ids += receipt.rejected.size();
  }
  if (ids > kMaxReceiptIds) reader.error("accepted", fmt::format("more than {} alert ids in one receipt", kMaxReceiptIds));
  receipt.ts_ms = reader.integer("ts_ms", true, 1, kLatestPlausibleMs).value_or(0);
  reader.finish();
  return finish_decode(std::move(receipt), std::move(errors));
}

Decoded<InboundMessage> decode_message(std::string_view topic, std::string_view payload) {
  Decoded<InboundMessage> result;
  const auto parsed = parse_topic(topic);
  if (!parsed) {
    result.errors.push_back({"topic", fmt::format("\"{}\" is not gridwatch/v1/{{gateway_id}}/{{channel}}", topic)});
    return result;
  }
  // Every v1 body names its gateway; it must be the topic's.
  auto accept = [&](auto decoded) {
    if (!decoded.ok()) {
      result.errors = std::move(decoded.errors);
      return;
    }
    if (decoded.value->gateway_id != parsed->gateway_id) {
      result.errors.push_back({"gateway_id", fmt::format("\"{}\" does not match the topic's gateway \"{}\"",
                                                         decoded.value->gateway_id, parsed->gateway_id)});
      return;
    }
    result.value = InboundMessage{*parsed, std::move(*decoded.value)};
  };
  switch (parsed->channel) {
    case Channel::alert:
      accept(decode_alert(payload));
      break;
    case Channel::status:
      accept(decode_status(payload));
      break;
    case Channel::telemetry:
      accept(decode_telemetry(payload));
      break;
    case Channel::evidence:
      accept(decode_evidence(payload));
      break;
    case Channel::cmd:
    case Channel::cmd_result:
      result.errors.push_back({"topic", fmt::format("channel \"{}\" is not consumed here", to_string(parsed->channel))});
      break;
  }
  return result;
}

}  // namespace gridwatch
