#include "central/receipt_publisher.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "common/topics.hpp"

namespace gridwatch::central {
namespace {
// How long receipts are collected before they go out: long enough that a
// burst from one gateway costs one receipt per batch, short enough that
// the gateway's outbox frees its rows almost at once.
constexpr auto kCollectDelay = std::chrono::milliseconds(20);
}  // namespace

ReceiptPublisher::ReceiptPublisher(boost::asio::io_context& io, mqtt::Client& client) : client_(client), timer_(io) {}

ReceiptPublisher::~ReceiptPublisher() { timer_.cancel(); }

Receipt& ReceiptPublisher::pending_for(const std::string& gateway_id) {
  auto& receipt = pending_[gateway_id];
  receipt.gateway_id = gateway_id;
  return receipt;
}

void ReceiptPublisher::accepted(const std::string& gateway_id, const std::string& alert_id) {
  auto& receipt = pending_for(gateway_id);
  receipt.accepted.push_back(alert_id);
  if (receipt.accepted.size() + receipt.rejected.size() >= kMaxReceiptIds) publish(receipt);
  schedule_flush();
}

void ReceiptPublisher::rejected(const std::string& gateway_id, const std::string& alert_id, std::string error) {
  auto& receipt = pending_for(gateway_id);
  // Validation errors can be long; the gateway logs this text.
  if (error.size() > 1000) error = error.substr(0, 1000) + "...";
  receipt.rejected.push_back({alert_id, std::move(error)});
  if (receipt.accepted.size() + receipt.rejected.size() >= kMaxReceiptIds) publish(receipt);
  schedule_flush();
}

void ReceiptPublisher::publish(Receipt& receipt) {
  if (receipt.accepted.empty() && receipt.rejected.empty()) return;
  receipt.ts_ms = wall_clock_ms();
  const auto ids = receipt.accepted.size() + receipt.rejected.size();
  if (client_.publish({receipt_topic(receipt.gateway_id), encode(receipt), 1, false}, nullptr)) {
    counters_.published += 1;
    counters_.alert_ids += ids;
  } else {
    // Harmless: the gateway sends these alerts again after its receipt
    // timeout, and they come back as duplicates, receipted then.
    counters_.unsent += 1;
    if (counters_.unsent <= 5 || counters_.unsent % 100 == 0) {
      spdlog::warn("receipts: could not publish a receipt for {} alert(s) of {} (broker not connected; {} so far); "
                   "the gateway will send them again",
                   ids, receipt.gateway_id, counters_.unsent);
    }
  }
  receipt.accepted.clear();
  receipt.rejected.clear();
}

void ReceiptPublisher::flush() {
  for (auto& [gateway_id, receipt] : pending_) publish(receipt);
  pending_.clear();
}

void ReceiptPublisher::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  timer_.expires_after(kCollectDelay);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error == boost::asio::error::operation_aborted) return;  // being destroyed
    flush_scheduled_ = false;
    flush();
  });
}

}  // namespace gridwatch::central
