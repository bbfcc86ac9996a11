#include "central/core/notification_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/time.hpp"

namespace gridwatch::central {
namespace {

bool accepts(const std::vector<std::string>& allowed, const std::string& value) {
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

nlohmann::json describe(const Notification& notification) {
  nlohmann::json out{{"event", notification.event},
                     {"incident_id", notification.incident_id},
                     {"kind", notification.kind},
                     {"level", notification.level},
                     {"department", notification.department},
                     {"unit", notification.unit},
                     {"text", notification.text},
                     {"at", format_utc(notification.at_ms)}};
  if (!notification.plate.empty()) out["plate"] = notification.plate;
  return out;
}

PlannedNotification sms(const NotifierSettings& channel, const std::string& phone, const std::string& text) {
  return {channel.name, phone, nlohmann::json{{"to", phone}, {"text", text}}.dump()};
}

}  // namespace

std::vector<NotifierSettings> default_notifiers() {
  NotifierSettings log;
  log.name = "log";
  log.type = "log";
  return {log};
}

std::vector<PlannedNotification> plan_notifications(const std::vector<NotifierSettings>& channels,
                                                    const Notification& notification) {
  std::vector<PlannedNotification> out;
  for (const auto& channel : channels) {
    if (!accepts(channel.events, notification.event) || !accepts(channel.kinds, notification.kind)) continue;
    if (channel.type == "log") {
      out.push_back({channel.name, "log", describe(notification).dump()});
    } else if (channel.type == "webhook") {
      out.push_back({channel.name, channel.url, describe(notification).dump()});
    } else if (channel.type == "sms") {
      const std::string text = fmt::format("[GridWatch] #{} {}: {}", notification.incident_id, notification.event,
                                           notification.text);
      if (const auto unit = channel.unit_phones.find(notification.unit); unit != channel.unit_phones.end()) {
        out.push_back(sms(channel, unit->second, text));
      }
      // The owner hears once, when the case is first dispatched, and only
      // about the vehicle: never the unit's internal routing.
      if (channel.text_vehicle_owner && notification.kind == "parking" && notification.event == "dispatched" &&
          !notification.plate.empty()) {
        if (const auto owner = channel.owner_phones.find(notification.plate); owner != channel.owner_phones.end()) {
          out.push_back(sms(channel, owner->second,
                            fmt::format("[GridWatch] Your vehicle {} is parked in a no-parking area. "
                                        "Please move it now. (case #{})",
                                        notification.plate, notification.incident_id)));
        }
      }
    }
  }
  return out;
}

std::int64_t retry_delay_ms(const NotifierSettings& channel, int attempts) {
  std::int64_t delay = std::max<std::int64_t>(1, channel.retry_min_ms);
  for (int i = 1; i < attempts && delay < channel.retry_max_ms; ++i) delay *= 2;
  return std::min(delay, std::max(channel.retry_max_ms, channel.retry_min_ms));
}

std::optional<HttpUrl> parse_http_url(const std::string& url, std::string& error) {
  constexpr std::string_view scheme = "http://";
  if (url.rfind("https://", 0) == 0) {
    error = "https is not supported; point it at an http:// endpoint (a local TLS relay if the receiver needs TLS)";
    return std::nullopt;
  }
  if (url.rfind(scheme, 0) != 0) {
    error = "must start with http://";
    return std::nullopt;
  }
  const std::string rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  HttpUrl out;
  if (slash != std::string::npos) out.target = rest.substr(slash);
  const auto colon = authority.rfind(':');
  out.host = authority.substr(0, colon);
  if (colon != std::string::npos) {
    out.port = authority.substr(colon + 1);
    const bool numeric = !out.port.empty() && out.port.size() <= 5 &&
                         std::all_of(out.port.begin(), out.port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!numeric || std::stoi(out.port) == 0 || std::stoi(out.port) > 65535) {
      error = "port '" + out.port + "' is not a number from 1 to 65535";
      return std::nullopt;
    }
  }
  if (out.host.empty() || out.host.find_first_of(" @") != std::string::npos) {
    error = "has no valid host";
    return std::nullopt;
  }
  return out;
}

}  // namespace gridwatch::central
