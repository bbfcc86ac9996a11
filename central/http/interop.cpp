#include "central/http/interop.hpp"

#include <fmt/format.h>

#include <array>
#include <ctime>

namespace gridwatch::central {
namespace {

struct KindInfo {
  const char* kind;
  const char* cap_category;  ///< CAP 1.2 <category>
  const char* event;         ///< human name, also the Open311 service name
  const char* response;      ///< CAP <responseType>
  const char* description;
};

constexpr std::array<KindInfo, 7> kKinds{{
    {"smoke", "Fire", "Smoke detected", "Execute", "Smoke seen by a camera or a smoke sensor on a pole"},
    {"fire", "Fire", "Fire detected", "Execute", "Fire confirmed by camera and sensor together"},
    {"parking", "Transport", "Illegal parking", "Execute", "A vehicle parked in a no-parking zone past its allowed time"},
    {"tamper", "Security", "Camera tampering", "Monitor", "A camera covered, defocused, turned away or frozen"},
    {"sensor_fault", "Infra", "Sensor fault", "Monitor", "A smoke sensor reports a fault or stopped answering"},
    {"camera_fault", "Infra", "Camera fault", "Monitor", "A camera stream is lost"},
    {"maintenance", "Infra", "Gateway offline", "Monitor", "A gateway has been offline too long (central's fleet registry)"},
}};

const KindInfo& info_of(const std::string& kind) {
  for (const auto& info : kKinds) {
    if (kind == info.kind) return info;
  }
  static const KindInfo unknown{"other", "Other", "Incident", "Monitor", "Other incident"};
  return unknown;
}

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 forbids most control characters even when escaped.
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n' || c == '\r') out += c;
    }
  }
  return out;
}

std::string capitalised(std::string text) {
  if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') text[0] = static_cast<char>(text[0] - 'a' + 'A');
  return text;
}

bool is_closed(const std::string& state) {
  return state == "resolved" || state == "closed" || state == "cancelled" || state == "false_alarm";
}

}  // namespace

std::string iso8601_utc(EpochMs ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec);
}

std::string to_cap_xml(const IncidentRecord& incident, const std::string& sender) {
  const auto& info = info_of(incident.kind);
  // A cancelled case or a false alarm withdraws the alert; a case that
  // has had more than its first alert, or has moved on, is an update.
  const char* message_type = incident.state == "cancelled" || incident.state == "false_alarm" ? "Cancel"
                             : incident.alert_count > 1 || incident.state != "new"         ? "Update"
                                                                                            : "Alert";
  std::string parameters;
  auto parameter = [&](const char* name, const std::string& value) {
    if (value.empty()) return;
    parameters += fmt::format("    <parameter>\n      <valueName>{}</valueName>\n      <value>{}</value>\n    </parameter>\n",
                              name, xml_escape(value));
  };
  parameter("gridwatch:gateway", incident.gateway_id);
  parameter("gridwatch:camera", incident.camera);
  parameter("gridwatch:zone", incident.zone);
  parameter("gridwatch:sensor", incident.sensor);
  parameter("gridwatch:state", incident.state);
  parameter("gridwatch:cell", incident.cell_id);
  parameter("gridwatch:unit", incident.unit);
  parameter("gridwatch:level", incident.level);
  const std::string area = incident.cell_id.empty() ? "near gateway " + incident.gateway_id
                                                    : "grid cell " + incident.cell_id + " (gateway " + incident.gateway_id + ")";
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n"
      "  <identifier>{sender}-incident-{id}</identifier>\n"
      "  <sender>{sender}</sender>\n"
      "  <sent>{sent}</sent>\n"
      "  <status>Actual</status>\n"
      "  <msgType>{msg_type}</msgType>\n"
      "  <scope>Restricted</scope>\n"
      "  <restriction>social-governance command centre staff</restriction>\n"
      "  <info>\n"
      "    <language>en</language>\n"
      "    <category>{category}</category>\n"
      "    <event>{event}</event>\n"
      "    <responseType>{response}</responseType>\n"
      "    <urgency>{urgency}</urgency>\n"
      "    <severity>{severity}</severity>\n"
      "    <certainty>{certainty}</certainty>\n"
      "    <onset>{onset}</onset>\n"
      "    <senderName>GridWatch central</senderName>\n"
      "    <headline>{headline}</headline>\n"
      "    <description>{description}</description>\n"
      "{parameters}"
      "    <area>\n"
      "      <areaDesc>{area}</areaDesc>\n"
      "      <circle>{lat:.6f},{lon:.6f} 0.1</circle>\n"
      "    </area>\n"
      "  </info>\n"
      "</alert>\n",
      fmt::arg("sender", xml_escape(sender)), fmt::arg("id", incident.id),
      fmt::arg("sent", iso8601_utc(incident.updated_ms)), fmt::arg("msg_type", message_type),
      fmt::arg("category", info.cap_category), fmt::arg("event", info.event), fmt::arg("response", info.response),
      fmt::arg("urgency", xml_escape(incident.urgency.empty() ? "Unknown" : incident.urgency)),
      fmt::arg("severity", xml_escape(capitalised(incident.severity.empty() ? "unknown" : incident.severity))),
      fmt::arg("certainty", xml_escape(incident.certainty.empty() ? "Unknown" : incident.certainty)),
      fmt::arg("onset", iso8601_utc(incident.detected_at_ms)),
      fmt::arg("headline", xml_escape(fmt::format("{} at {}", info.event, incident.gateway_id))),
      fmt::arg("description", xml_escape(incident.summary.empty() ? info.description : incident.summary)),
      fmt::arg("parameters", parameters), fmt::arg("area", xml_escape(area)), fmt::arg("lat", incident.lat),
      fmt::arg("lon", incident.lon));
}

nlohmann::json to_open311(const IncidentRecord& incident) {
  const auto& info = info_of(incident.kind);
  std::string notes = "state: " + incident.state;
  if (!incident.unit.empty()) notes += "; unit: " + incident.unit;
  if (!incident.breaches.empty()) notes += "; SLA breached: " + incident.breaches;
  return {{"service_request_id", std::to_string(incident.id)},
          {"status", is_closed(incident.state) ? "closed" : "open"},
          {"status_notes", notes},
          {"service_name", info.event},
          {"service_code", incident.kind},
          {"description", incident.summary},
          {"agency_responsible", incident.department},
          {"service_notice", ""},
          {"requested_datetime", iso8601_utc(incident.detected_at_ms)},
          {"updated_datetime", iso8601_utc(incident.updated_ms)},
          {"expected_datetime", nullptr},
          {"address", incident.cell_id.empty() ? "" : "grid cell " + incident.cell_id},
          {"address_id", incident.cell_id},
          {"zipcode", ""},
          {"lat", incident.lat},
          {"long", incident.lon},
          {"media_url", ""}};
}

nlohmann::json open311_services() {
  auto list = nlohmann::json::array();
  for (const auto& info : kKinds) {
    list.push_back({{"service_code", info.kind},
                    {"service_name", info.event},
                    {"description", info.description},
                    {"metadata", false},
                    {"type", "realtime"},
                    {"keywords", info.kind},
                    {"group", info.cap_category}});
  }
  return list;
}

}  // namespace gridwatch::central
