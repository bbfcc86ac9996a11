#include "central/central_service.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "common/config_reader.hpp"
#include "common/topics.hpp"

namespace gridwatch::central {

std::vector<std::string> central_subscriptions(const std::string& shared_group) {
  std::vector<std::string> filters;
  for (auto channel : {Channel::alert, Channel::status, Channel::telemetry, Channel::evidence}) {
    filters.push_back(shared_group.empty() ? all_gateways_filter(channel)
                                           : fmt::format("$share/{}/{}", shared_group, all_gateways_filter(channel)));
  }
  return filters;
}


CentralService::CentralService(boost::asio::io_context& io, CentralConfig config, Store& store,
                               std::optional<GridMap> cells, std::optional<GatewayRegistry> registry)
    : config_(std::move(config)),
      grid_map_(std::move(cells)),
      registry_(std::move(registry)),
      dispatcher_(store, grid_map_ ? &*grid_map_ : nullptr, config_.dispatch, config_.notifiers),
      sender_(io, store, config_.notifiers),
      fleet_(store, grid_map_ ? &*grid_map_ : nullptr, config_.fleet),
      ingest_(store, [this](const std::string& episode_id, bool opened, EpochMs now) { on_incident(episode_id, opened, now); }),
      store_(store),
      stats_timer_(io),
      sweep_timer_(io),
      fleet_timer_(io) {
  ingest_.set_gateway_hooks({[this](const std::string& id) { fleet_.on_status(id); },
                             [this](const std::string& id) { fleet_.on_telemetry(id); },
                             [this](const std::string& id, double lat, double lon) { fleet_.on_alert(id, lat, lon); }});
  ingest_.set_registry(registry_ ? &*registry_ : nullptr);
  if (registry_) {
    spdlog::info("fleet: {} registered gateway(s) from {}; messages from any other gateway are rejected",
                 registry_->size(), registry_->source());
  } else {
    spdlog::warn("fleet.gateways_file is not set: registration is open, every gateway the broker admits is accepted");
  }
  mqtt::Handlers handlers;
  handlers.on_messages = [this](std::vector<mqtt::Message>& messages) {
    ingest_.handle_batch(messages, wall_clock_ms());
  };
  client_ = mqtt::make_paho_client(io, to_client_options(config_.mqtt), std::move(handlers));
  receipts_ = std::make_unique<ReceiptPublisher>(io, *client_);
  ingest_.set_receipt_hook([this](const std::string& gateway_id, const std::string& alert_id, const std::string* rejection) {
    if (rejection != nullptr) {
      receipts_->rejected(gateway_id, alert_id, *rejection);
    } else {
      receipts_->accepted(gateway_id, alert_id);
    }
  });
  for (const auto& filter : central_subscriptions(config_.shared_group)) client_->subscribe(filter, 1);
  dispatcher_.set_notifications_listener([this] { sender_.kick(); });
  store_.set_correlation(config_.correlation);
}

CentralService::~CentralService() { stop(); }

bool CentralService::reload_registry() {
  if (config_.fleet.gateways_file.empty()) {
    spdlog::info("fleet: reload asked, but fleet.gateways_file is not set (open registration)");
    return false;
  }
  try {
    auto fresh = GatewayRegistry::load(config_.fleet.gateways_file);
    const std::size_t before = registry_ ? registry_->size() : 0;
    registry_ = std::move(fresh);
    ingest_.set_registry(&*registry_);
    spdlog::info("fleet: reloaded {}: {} registered gateway(s), {} before", registry_->source(), registry_->size(),
                 before);
    return true;
  } catch (const ConfigInvalid& invalid) {
    spdlog::error("fleet: {} not reloaded, keeping the {} registered gateway(s) in use:\n{}",
                  config_.fleet.gateways_file, registry_ ? registry_->size() : 0, invalid.errors().to_string());
    return false;
  } catch (const std::exception& failure) {
    spdlog::error("fleet: {} not reloaded, keeping the registry in use: {}", config_.fleet.gateways_file,
                  failure.what());
    return false;
  }
}

IngestCounters CentralService::counters() const {
  auto counters = ingest_.counters();
  counters.receipts_published = receipts_->counters().published;
  counters.receipts_unsent = receipts_->counters().unsent;
  return counters;
}

void CentralService::on_incident(const std::string& episode_id, bool opened, EpochMs now) {
  // Routing writes the incident, which already tells the listener.
  if (opened) dispatcher_.on_incident_opened(episode_id, now);
  if (opened || !listener_ || !listener_wanted_()) return;
  if (const auto incident = store_.incident_by_episode(episode_id)) listener_(*incident);
}

void CentralService::set_incident_listener(std::function<bool()> wanted,
                                           std::function<void(const IncidentRecord&)> listener) {
  listener_wanted_ = std::move(wanted);
  listener_ = std::move(listener);
  dispatcher_.set_change_listener([this](const IncidentRecord& incident) {
    if (listener_ && listener_wanted_()) listener_(incident);
  });
}

void CentralService::start() {
  spdlog::info("central {} starting: broker {}, store {}", config_.instance_id, config_.mqtt.broker,
               store_location(config_.store));
  client_->start();
  sender_.start();
  schedule_stats();
  schedule_sweep();
  schedule_fleet_check();
}

void CentralService::stop() {
  if (stopped_) return;
  stopped_ = true;
  stats_timer_.cancel();
  sweep_timer_.cancel();
  sender_.stop();
  fleet_timer_.cancel();
  receipts_->flush();  // what was committed is receipted before we go
  client_->stop(std::nullopt, 2000);
  const auto& c = ingest_.counters();
  spdlog::info("central stopped: {} received, {} incidents opened, {} duplicates, {} rejected", c.received,
               c.incidents_opened, c.duplicates, c.rejected);
}

// The SLA clocks: every sweep_interval_ms, look at the incidents whose
// next deadline has passed. A failing store is logged, never thrown into
// the io_context.
void CentralService::schedule_sweep() {
  sweep_timer_.expires_after(std::chrono::milliseconds(config_.dispatch.sweep_interval_ms));
  sweep_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopped_) return;
    try {
      dispatcher_.sweep(wall_clock_ms());
    } catch (const std::exception& failure) {
      spdlog::error("sla sweep failed: {}", failure.what());
    }
    schedule_sweep();
  });
}

// Presence: a gateway silent past fleet.heartbeat_timeout_s goes offline;
// one offline past fleet.maintenance_after_s gets a maintenance incident,
// routed like any other.
void CentralService::schedule_fleet_check() {
  fleet_timer_.expires_after(std::chrono::milliseconds(config_.fleet.check_interval_ms));
  fleet_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopped_) return;
    try {
      const auto now = wall_clock_ms();
      for (const auto& episode_id : fleet_.check(now)) {
        dispatcher_.on_incident_opened(episode_id, now);
      }
    } catch (const std::exception& failure) {
      spdlog::error("fleet check failed: {}", failure.what());
    }
    schedule_fleet_check();
  });
}

void CentralService::schedule_stats() {
  stats_timer_.expires_after(std::chrono::seconds(config_.stats_log_interval_s));
  stats_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopped_) return;
    const auto& c = ingest_.counters();
    spdlog::info("ingest: {} received, {} incidents opened, {} updated, {} duplicates, {} rejected, {} store failures",
                 c.received, c.incidents_opened, c.incidents_updated, c.duplicates, c.rejected, c.store_failures);
    const auto& d = dispatcher_.counters();
    spdlog::info("dispatch: {} routed, {} unrouted, {} auto-dispatched, {} transitions, {} SLA breaches, {} escalations",
                 d.routed, d.unrouted, d.auto_dispatched, d.transitions, d.sla_breaches, d.escalations);
    const auto& n = sender_.counters();
    spdlog::info("notifications: {} delivered, {} failed attempts, {} in flight", n.delivered, n.failed_attempts,
                 n.in_flight);
    const auto& r = receipts_->counters();
    spdlog::info("receipts: {} published for {} alert id(s), {} unsent", r.published, r.alert_ids, r.unsent);
    const auto rejections = ingest_.take_rejection_summary();
    if (!rejections.empty()) {
      spdlog::warn("rejected in the last {} s: {}", config_.stats_log_interval_s, rejections);
    }
    schedule_stats();
  });
}

}  // namespace gridwatch::central
