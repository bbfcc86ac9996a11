#include "central/http/metrics_text.hpp"

#include <fmt/format.h>

#include <iterator>

namespace gridwatch::central {
namespace {

void append(std::string& out, const char* name, const char* type, const char* help, std::uint64_t value) {
  fmt::format_to(std::back_inserter(out), "# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, value);
}

}  // namespace

std::string prometheus_text(const IngestCounters& counters, const HttpStats& http,
                            const NotificationBacklog* notifications, EpochMs now_ms) {
  std::string out;
  append(out, "gridwatch_central_messages_received_total", "counter",
         "Broker messages handed to ingest (alerts, status, telemetry, and rejected ones).", counters.received);
  append(out, "gridwatch_central_incidents_opened_total", "counter", "Alerts that opened a new incident.",
         counters.incidents_opened);
  append(out, "gridwatch_central_incidents_updated_total", "counter", "Alerts applied to an existing incident.",
         counters.incidents_updated);
  append(out, "gridwatch_central_alerts_duplicate_total", "counter",
         "Alerts whose alert id was stored before (redeliveries); nothing changed.", counters.duplicates);
  append(out, "gridwatch_central_status_messages_total", "counter", "Gateway status messages stored.",
         counters.statuses);
  append(out, "gridwatch_central_telemetry_messages_total", "counter", "Gateway telemetry messages stored.",
         counters.telemetry);
  append(out, "gridwatch_central_evidence_stored_total", "counter", "Evidence snapshots stored (duplicates excluded).",
         counters.evidence);
  append(out, "gridwatch_central_messages_rejected_total", "counter",
         "Messages rejected for an invalid topic or payload.", counters.rejected);
  append(out, "gridwatch_central_store_failures_total", "counter", "Valid messages that could not be stored.",
         counters.store_failures);
  append(out, "gridwatch_central_receipts_published_total", "counter",
         "Receipt messages published to gateways (one per gateway per batch of committed alerts).",
         counters.receipts_published);
  append(out, "gridwatch_central_receipts_unsent_total", "counter",
         "Receipt messages the MQTT client refused (not connected); their alerts are sent again by the gateway.",
         counters.receipts_unsent);
  append(out, "gridwatch_central_http_open_connections", "gauge", "HTTP connections currently open.",
         http.open_connections);
  append(out, "gridwatch_central_http_rejected_connections_total", "counter",
         "HTTP connections turned away because max_connections were open.", http.rejected_connections);
  if (notifications != nullptr) {
    append(out, "gridwatch_central_notifications_pending", "gauge",
           "Notifications in the outbox not delivered yet (webhook, SMS, log).", notifications->pending);
    append(out, "gridwatch_central_notifications_retrying", "gauge",
           "Pending notifications that failed at least once and wait for their next attempt.",
           notifications->retrying);
    append(out, "gridwatch_central_notifications_delivered_total", "counter",
           "Notifications delivered since the store was created.", notifications->delivered);
    const std::uint64_t oldest_age_s =
        notifications->pending > 0 && now_ms > notifications->oldest_pending_created_ms
            ? static_cast<std::uint64_t>((now_ms - notifications->oldest_pending_created_ms) / 1000)
            : 0;
    append(out, "gridwatch_central_notifications_oldest_pending_age_seconds", "gauge",
           "Age of the oldest undelivered notification; 0 when none is pending.", oldest_age_s);
  }
  return out;
}

}  // namespace gridwatch::central
