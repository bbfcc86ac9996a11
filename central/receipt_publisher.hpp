#pragma once
// End-to-end receipts (docs/outbox.md, "Receipts"): after central has
// committed an alert (a new one or a duplicate), it tells the gateway on
// gridwatch/v1/{gateway_id}/cmd/receipt, and only then does the gateway
// delete the alert from its outbox. The broker's PUBACK to the gateway
// cannot mean that: Paho acknowledges a message to the broker before
// central's handler has even seen it.
//
// Receipts are collected per gateway for a short delay and published as
// one message per gateway (QoS1, not retained). Publishing never blocks
// ingest: a receipt that cannot be sent is counted and forgotten, and the
// gateway sends those alerts again after its receipt timeout, which the
// store absorbs by alert id.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "common/mqtt/mqtt_client.hpp"
#include "common/wire.hpp"

namespace gridwatch::central {

struct ReceiptCounters {
  std::uint64_t published = 0;  ///< receipt messages handed to the client
  std::uint64_t unsent = 0;     ///< receipt messages the client refused (not connected)
  std::uint64_t alert_ids = 0;  ///< alert ids in published receipts (accepted and rejected)
};

class ReceiptPublisher {
 public:
  ReceiptPublisher(boost::asio::io_context& io, mqtt::Client& client);
  ~ReceiptPublisher();
  ReceiptPublisher(const ReceiptPublisher&) = delete;
  ReceiptPublisher& operator=(const ReceiptPublisher&) = delete;

  /// The alert is committed (now, or earlier: a duplicate). Call only after the commit.
  void accepted(const std::string& gateway_id, const std::string& alert_id);
  /// Central will never take this alert; `error` says why.
  void rejected(const std::string& gateway_id, const std::string& alert_id, std::string error);
  /// Publishes every pending receipt now.
  void flush();

  const ReceiptCounters& counters() const { return counters_; }

 private:
  Receipt& pending_for(const std::string& gateway_id);
  void publish(Receipt& receipt);
  void schedule_flush();

  mqtt::Client& client_;
  boost::asio::steady_timer timer_;
  bool flush_scheduled_ = false;
  std::map<std::string, Receipt> pending_;
  ReceiptCounters counters_;
};

}  // namespace gridwatch::central
