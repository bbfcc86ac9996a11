#pragma once
// The running aggregator: MQTT (persistent session, shared subscription)
// -> Ingest -> Store -> Dispatcher (routing, auto-dispatch, SLA clocks and
// escalation) -> notification outbox -> NotificationSender, on one
// io_context, plus periodic counter logging.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>

#include "central/central_config.hpp"
#include "central/core/grid_map.hpp"
#include "central/dispatcher.hpp"
#include "central/notification_sender.hpp"
#include "central/fleet_monitor.hpp"
#include "central/gateway_registry.hpp"
#include "central/ingest.hpp"
#include "central/receipt_publisher.hpp"
#include "central/store.hpp"
#include "common/mqtt/mqtt_client.hpp"

namespace gridwatch::central {

class CentralService {
 public:
  /// `cells` is the parsed dispatch.cells_file, `registry` the parsed
  /// fleet.gateways_file (each nullopt when none is set).
  CentralService(boost::asio::io_context& io, CentralConfig config, Store& store, std::optional<GridMap> cells,
                 std::optional<GatewayRegistry> registry = std::nullopt);
  ~CentralService();
  CentralService(const CentralService&) = delete;
  CentralService& operator=(const CentralService&) = delete;

  void start();
  void stop();
  /// Ingest's counters, with the receipts' filled in.
  IngestCounters counters() const;
  Dispatcher& dispatcher() { return dispatcher_; }
  const NotificationSender& notification_sender() const { return sender_; }
  /// Live feed: `listener` sees every incident that an alert opened or
  /// updated or the workflow changed, while `wanted()` says someone is
  /// listening (the lookup is skipped otherwise).
  void set_incident_listener(std::function<bool()> wanted, std::function<void(const IncidentRecord&)> listener);
  FleetMonitor& fleet() { return fleet_; }
  const GridMap* grid_map() const { return grid_map_ ? &*grid_map_ : nullptr; }
  /// Re-reads fleet.gateways_file (SIGHUP): parse, validate, then swap. A
  /// file with problems is logged with every one of them and the registry
  /// in use stays. Returns whether the new registry is in use.
  bool reload_registry();

 private:
  void schedule_stats();
  void schedule_sweep();
  void schedule_fleet_check();
  void on_incident(const std::string& episode_id, bool opened, EpochMs now);

  CentralConfig config_;
  std::optional<GridMap> grid_map_;
  std::optional<GatewayRegistry> registry_;
  Dispatcher dispatcher_;
  NotificationSender sender_;
  FleetMonitor fleet_;
  Ingest ingest_;
  Store& store_;
  std::function<bool()> listener_wanted_;
  std::function<void(const IncidentRecord&)> listener_;
  std::unique_ptr<mqtt::Client> client_;
  std::unique_ptr<ReceiptPublisher> receipts_;
  boost::asio::steady_timer stats_timer_;
  boost::asio::steady_timer sweep_timer_;
  boost::asio::steady_timer fleet_timer_;
  bool stopped_ = false;
};

/// The subscriptions central needs: alerts, status, telemetry and evidence
/// of every gateway; through the shared group when one is configured.
std::vector<std::string> central_subscriptions(const std::string& shared_group);

}  // namespace gridwatch::central
