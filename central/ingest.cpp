#include "central/ingest.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <exception>
#include <variant>

#include <nlohmann/json.hpp>

#include "common/ids.hpp"
#include "common/topics.hpp"
#include "common/wire.hpp"

namespace gridwatch::central {

Ingest::Ingest(Store& store, IncidentHook on_incident) : store_(store), on_incident_(std::move(on_incident)) {}

void Ingest::handle(const mqtt::Message& message, EpochMs received_ms) {
  handle_batch(std::vector<mqtt::Message>{message}, received_ms);
}

void Ingest::handle_batch(const std::vector<mqtt::Message>& messages, EpochMs received_ms) {
  receipts_due_.clear();
  try {
    StoreBatch batch(store_);
    for (const auto& message : messages) handle_one(message, received_ms);
    batch.commit();
  } catch (const std::exception& error) {
    // Begin or commit failed: nothing of the batch may be taken as
    // stored, and none of its alerts is receipted, so their gateways send
    // them again (a failed begin never got as far as reading them).
    counters_.store_failures += receipts_due_.size();
    spdlog::error("store: a batch of {} message(s) was not committed; its alerts get no receipt and will be sent "
                  "again: {}",
                  messages.size(), error.what());
    receipts_due_.clear();
    return;
  }
  if (receipt_hook_) {
    for (const auto& [gateway_id, alert_id] : receipts_due_) receipt_hook_(gateway_id, alert_id, nullptr);
  }
  receipts_due_.clear();
}

void Ingest::handle_one(const mqtt::Message& message, EpochMs received_ms) {
  counters_.received += 1;
  auto decoded = decode_message(message.topic, message.payload);
  if (!decoded.ok()) {
    const bool topic_problem = !decoded.errors.empty() && decoded.errors.front().field == "topic";
    const auto errors = join_errors(decoded.errors);
    reject(topic_problem ? "bad topic" : "invalid payload", fmt::format("{}: {}", message.topic, errors));
    if (!topic_problem) reject_alert(message, errors);
    return;
  }
  if (registry_ != nullptr) {
    const auto& gateway_id = std::visit([](const auto& body) -> const std::string& { return body.gateway_id; },
                                        decoded.value->body);
    if (!registry_->contains(gateway_id)) {
      // No receipt, not even a rejection: the gateway may be registered
      // by the next reload (SIGHUP), and its outbox keeps the alerts until
      // then, resending them every uplink.receipt_timeout_s.
      reject("unregistered gateway", fmt::format("{}: gateway {} is not in {}", message.topic, gateway_id,
                                                 registry_->source()));
      return;
    }
  }
  try {
    std::visit(
        [&](const auto& body) {
          using Body = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<Body, Alert>) {
            const auto outcome = store_.record_alert(body, message.payload, received_ms);
            // Stored (or a duplicate of a stored one): once the batch has
            // committed, the gateway may forget it.
            receipts_due_.emplace_back(body.gateway_id, body.alert_id);
            switch (outcome) {
              case AlertOutcome::opened_incident:
                counters_.incidents_opened += 1;
                // Debug: at fleet rates this is thousands of lines a
                // minute; the periodic ingest line counts them.
                spdlog::debug("incident opened: {} {} from {} ({})", to_string(body.kind), to_string(body.severity),
                              body.gateway_id, body.alert_id);
                if (on_incident_) on_incident_(body.episode_id, true, received_ms);
                break;
              case AlertOutcome::updated_incident:
                counters_.incidents_updated += 1;
                if (on_incident_) on_incident_(body.episode_id, false, received_ms);
                break;
              case AlertOutcome::duplicate:
                counters_.duplicates += 1;
                return;
            }
            if (gateway_hooks_.on_alert) gateway_hooks_.on_alert(body.gateway_id, body.location.lat, body.location.lon);
          } else if constexpr (std::is_same_v<Body, Status>) {
            store_.record_status(body, received_ms);
            counters_.statuses += 1;
            spdlog::info("gateway {} is {} (boot {})", body.gateway_id, to_string(body.state), body.boot_id);
            if (gateway_hooks_.on_status) gateway_hooks_.on_status(body.gateway_id);
          } else if constexpr (std::is_same_v<Body, Telemetry>) {
            store_.record_telemetry(body, message.payload, received_ms);
            counters_.telemetry += 1;
            if (gateway_hooks_.on_telemetry) gateway_hooks_.on_telemetry(body.gateway_id);
          } else {
            if (store_.record_evidence(body, received_ms)) counters_.evidence += 1;
          }
        },
        decoded.value->body);
  } catch (const std::exception& error) {
    counters_.store_failures += 1;
    spdlog::error("store: cannot record message from {}: {}", message.topic, error.what());
  }
}

void Ingest::reject(const std::string& reason, const std::string& example) {
  counters_.rejected += 1;
  rejections_[reason] += 1;
  last_rejection_ = example;
  spdlog::debug("rejected ({}): {}", reason, example);
}

void Ingest::reject_alert(const mqtt::Message& message, const std::string& errors) {
  if (!receipt_hook_) return;
  const auto topic = parse_topic(message.topic);
  if (!topic || topic->channel != Channel::alert) return;
  const auto document = nlohmann::json::parse(message.payload, nullptr, false);
  if (!document.is_object()) return;
  const auto found = document.find("alert_id");
  if (found == document.end() || !found->is_string()) return;
  const auto alert_id = found->get<std::string>();
  // Only the topic's gateway (the ACL pins it to its own topics) hears
  // about its own alert ids.
  if (!is_valid_message_id(alert_id) || alert_id.rfind(topic->gateway_id + ":", 0) != 0) return;
  receipt_hook_(topic->gateway_id, alert_id, &errors);
}

std::string Ingest::take_rejection_summary() {
  if (rejections_.empty()) return {};
  std::string parts;
  for (const auto& [reason, count] : rejections_) {
    if (!parts.empty()) parts += ", ";
    parts += fmt::format("{} {}", count, reason);
  }
  auto summary = fmt::format("{}; latest: {}", parts, last_rejection_);
  rejections_.clear();
  return summary;
}

}  // namespace gridwatch::central
