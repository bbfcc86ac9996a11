#pragma once
// Who hears about an incident, and what they are sent. Central's notifier
// channels (a log, HTTP webhooks, an SMS gateway over HTTP) each get a row
// in a persisted outbox, written in the same transaction as the workflow
// change that caused it; a sender delivers the rows at least once
// (central/notification_sender.hpp). This file is the pure part: which
// channels take a notification, to which target, with which body, and how
// long to wait before retrying a failed delivery.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gridwatch::central {

/// One configured channel (`notifiers:` in the central config).
struct NotifierSettings {
  std::string name;             ///< unique; stored with each outbox row
  std::string type = "log";     ///< log, webhook, sms
  std::string url;              ///< webhook / sms: http://host[:port]/path
  std::string bearer_token;     ///< sent as "Authorization: Bearer ..." when set
  std::vector<std::string> events;  ///< empty = every event
  std::vector<std::string> kinds;   ///< empty = every alert kind
  /// sms: the duty unit's phone number, by unit id. A notification for a
  /// unit with no number is not sent through this channel.
  std::map<std::string, std::string> unit_phones;
  /// sms: also text the registered owner of a vehicle in a parking
  /// incident (the incident's plate looked up in `owner_phones`).
  bool text_vehicle_owner = false;
  std::map<std::string, std::string> owner_phones;  ///< plate -> phone
  int timeout_ms = 5000;                 ///< one delivery attempt
  std::int64_t retry_min_ms = 1000;      ///< first retry after this
  std::int64_t retry_max_ms = 300'000;   ///< never wait longer than this
};

/// With no `notifiers:` in the config: one log channel called "log".
std::vector<NotifierSettings> default_notifiers();

/// What happened, as the dispatcher tells it.
struct Notification {
  std::int64_t incident_id = 0;
  std::string event;       ///< dispatched, escalated, sla_breach
  std::string kind;        ///< alert kind of the incident
  std::string level;       ///< grid, village, town, county
  std::string department;
  std::string unit;
  std::string plate;       ///< vehicle plate, when the incident has one
  std::string text;        ///< one human-readable line
  std::int64_t at_ms = 0;
};

/// One delivery to make: an outbox row before it has an id.
struct PlannedNotification {
  std::string channel;  ///< NotifierSettings::name
  std::string target;   ///< the URL, the phone number, or "log"
  std::string body;     ///< JSON, exactly as it will be sent
};

/// The deliveries `notification` needs on `channels`, in channel order.
std::vector<PlannedNotification> plan_notifications(const std::vector<NotifierSettings>& channels,
                                                    const Notification& notification);

/// How long to wait after failed attempt number `attempts` (1-based):
/// retry_min_ms doubling per attempt, capped at retry_max_ms. No jitter:
/// rows already spread over time, and tests need fixed schedules.
std::int64_t retry_delay_ms(const NotifierSettings& channel, int attempts);

/// http://host[:port]/path, split; `error` says what is wrong otherwise.
struct HttpUrl {
  std::string host;
  std::string port = "80";
  std::string target = "/";
};
std::optional<HttpUrl> parse_http_url(const std::string& url, std::string& error);

}  // namespace gridwatch::central
