#pragma once
// Turns broker messages into store writes. Never throws: a bad message or
// a failed write is counted, summarised in the periodic log line, and the
// next message is handled as usual.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "central/gateway_registry.hpp"
#include "central/store.hpp"
#include "common/mqtt/mqtt_client.hpp"

namespace gridwatch::central {

struct IngestCounters {
  std::uint64_t received = 0;
  std::uint64_t incidents_opened = 0;
  std::uint64_t incidents_updated = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t statuses = 0;
  std::uint64_t telemetry = 0;
  std::uint64_t evidence = 0;
  std::uint64_t rejected = 0;       ///< invalid topic or payload
  std::uint64_t store_failures = 0; ///< valid but not stored
  std::uint64_t receipts_published = 0;  ///< receipt messages sent to gateways (filled in by CentralService)
  std::uint64_t receipts_unsent = 0;     ///< receipt messages the MQTT client refused (filled in by CentralService)
};

class Ingest {
 public:
  /// Called after an alert opened (`opened`) or updated an incident, with
  /// the alert's episode id. May be empty.
  using IncidentHook = std::function<void(const std::string& episode_id, bool opened, EpochMs now)>;

  explicit Ingest(Store& store, IncidentHook on_incident = {});

  /// What the fleet registry hears after a message was stored; each may be empty.
  struct GatewayHooks {
    std::function<void(const std::string& gateway_id)> on_status;
    std::function<void(const std::string& gateway_id)> on_telemetry;
    std::function<void(const std::string& gateway_id, double lat, double lon)> on_alert;
  };
  void set_gateway_hooks(GatewayHooks hooks) { gateway_hooks_ = std::move(hooks); }
  /// Only gateways in `registry` are accepted; nullptr (the default) is
  /// open registration. The registry must outlive its use here.
  void set_registry(const GatewayRegistry* registry) { registry_ = registry; }

  /// What the receipts hear (ReceiptPublisher): an alert committed, now or
  /// before (`rejection` null), or one that central will never take
  /// (`rejection` says why). Called only after the store's commit
  /// returned; never for an alert that failed to store (the gateway
  /// sends it again).
  using ReceiptHook =
      std::function<void(const std::string& gateway_id, const std::string& alert_id, const std::string* rejection)>;
  void set_receipt_hook(ReceiptHook hook) { receipt_hook_ = std::move(hook); }

  /// Handles `messages` in order as one store batch (one commit), then
  /// hands the receipts of the committed alerts to the receipt hook: a
  /// gateway hears that an alert is stored only after the commit returned.
  /// A message that fails alone is counted and skipped; a failed commit
  /// counts the batch's alerts as store failures and receipts none of
  /// them, so their gateways send them again.
  void handle_batch(const std::vector<mqtt::Message>& messages, EpochMs received_ms);
  void handle(const mqtt::Message& message, EpochMs received_ms);

  const IngestCounters& counters() const { return counters_; }
  /// Rejections since the last call, by reason, with the latest example;
  /// empty when there were none. Resets the per-interval tallies.
  std::string take_rejection_summary();

 private:
  /// One message inside the open batch; receipts go to receipts_due_.
  void handle_one(const mqtt::Message& message, EpochMs received_ms);
  void reject(const std::string& reason, const std::string& example);
  /// An alert that failed validation: when its topic names a gateway and
  /// its payload a readable alert id of that gateway, the gateway is told
  /// to stop sending it.
  void reject_alert(const mqtt::Message& message, const std::string& errors);

  Store& store_;
  IncidentHook on_incident_;
  GatewayHooks gateway_hooks_;
  const GatewayRegistry* registry_ = nullptr;
  ReceiptHook receipt_hook_;
  IngestCounters counters_;
  /// Alerts stored in the open batch, receipted once it commits.
  std::vector<std::pair<std::string, std::string>> receipts_due_;  // gateway id, alert id
  std::map<std::string, std::uint64_t> rejections_;
  std::string last_rejection_;
};

}  // namespace gridwatch::central
