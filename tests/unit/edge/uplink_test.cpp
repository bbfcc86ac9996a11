// The uplink's ordering, window and retry rules, against a scripted
// mqtt::Client (the narrow interface; the integration suite runs the same
// code against a real Mosquitto).
#include <catch2/catch.hpp>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "common/wire.hpp"
#include "edge/uplink.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/test_env.hpp"

using namespace gridwatch;
using namespace gridwatch::edge;

namespace {

constexpr EpochMs kNow = 1'795'000'000'000;

// Acks run the io_context's ready handlers afterwards, as the real client
// does (its results arrive as posted handlers): the uplink refills its
// window at the end of the turn.
class ScriptedClient final : public mqtt::Client {
 public:
  explicit ScriptedClient(boost::asio::io_context& io) : io_(io) {}
  void start() override {}
  void stop(std::optional<mqtt::Message>, int) override { connected_ = false; }
  bool connected() const override { return connected_; }
  bool publish(mqtt::Message message, mqtt::DeliveryHandler done) override {
    if (!connected_) return false;
    sent.push_back(message.payload);
    pending[message.payload] = std::move(done);
    return true;
  }
  void subscribe(const std::string&, int) override {}

  void ack(const std::string& payload, bool ok = true) { ack_burst({payload}, ok); }
  /// Several PUBACKs completed in one io_context turn.
  void ack_burst(const std::vector<std::string>& payloads, bool ok = true) {
    for (const auto& payload : payloads) {
      auto handler = std::move(pending.at(payload));
      pending.erase(payload);
      handler(ok);
    }
    settle();
  }
  void drop_connection() {
    connected_ = false;
    auto all = std::move(pending);
    pending.clear();
    for (auto& [payload, handler] : all) handler(false);
    settle();
  }
  void settle() {
    io_.restart();
    io_.poll();
  }

  boost::asio::io_context& io_;
  bool connected_ = true;
  std::vector<std::string> sent;
  std::map<std::string, mqtt::DeliveryHandler> pending;
};

// A fresh outbox, scripted client and io_context per test; make_uplink()
// makes the uplink with the window under test.
class UplinkRig {
 protected:
  Uplink& make_uplink(int window, ReceiptSettings receipts = {}) {
    uplink_ = std::make_unique<Uplink>(io, outbox, client, window, nullptr, std::move(receipts));
    return *uplink_;
  }
  /// Central's receipt for our rows `accepted` (and `rejected`), as alert ids.
  std::string receipt(const std::vector<std::int64_t>& accepted, const std::vector<std::int64_t>& rejected = {},
                      const std::string& epoch = "") {
    Receipt out;
    out.gateway_id = "gw-1";
    out.ts_ms = kNow;
    const auto id = [&](std::int64_t row) { return "gw-1:" + (epoch.empty() ? outbox.epoch() : epoch) + ":" + std::to_string(row); };
    for (auto row : accepted) out.accepted.push_back(id(row));
    for (auto row : rejected) out.rejected.push_back({id(row), "detected_at_ms: missing required field"});
    return encode(out);
  }

  test::TempDir dir;
  boost::asio::io_context io;
  Outbox outbox{dir.file("outbox.db"), {}, kNow};
  ScriptedClient client{io};

 private:
  std::unique_ptr<Uplink> uplink_;
};

}  // namespace

TEST_CASE_METHOD(UplinkRig, "uplink sends by priority, oldest first, within the window", "[uplink]") {
  auto& uplink = make_uplink(3);
  outbox.append(Priority::telemetry, "t", "tele1", kNow);
  outbox.append(Priority::parking, "t", "park1", kNow);
  outbox.append(Priority::alarm, "t", "fire1", kNow);
  outbox.append(Priority::parking, "t", "park2", kNow);
  outbox.append(Priority::alarm, "t", "fire2", kNow);
  uplink.pump();
  CHECK(client.sent == std::vector<std::string>{"fire1", "fire2", "park1"});
  CHECK(uplink.in_flight() == 3);

  // A new alarm while the window is full goes out at the next free slot,
  // ahead of the older parking and telemetry rows.
  outbox.append(Priority::alarm, "t", "fire3", kNow);
  client.ack("fire1");
  CHECK(client.sent.back() == "fire3");
  client.ack("fire2");
  CHECK(client.sent.back() == "park2");
  client.ack("park1");
  client.ack("fire3");
  client.ack("park2");
  CHECK(client.sent.back() == "tele1");
  client.ack("tele1");
  uplink.flush_delivered();
  CHECK(outbox.stats().rows == 0);
  CHECK(uplink.counters().delivered == 6);
}

TEST_CASE_METHOD(UplinkRig, "a row is deleted only after its PUBACK, failures are re-sent first, in order",
                 "[uplink]") {
  auto& uplink = make_uplink(2);
  for (const char* payload : {"a1", "a2", "a3", "a4"}) outbox.append(Priority::alarm, "t", payload, kNow);
  uplink.pump();
  CHECK(client.sent == std::vector<std::string>{"a1", "a2"});
  client.drop_connection();  // both fail without PUBACK
  uplink.flush_delivered();
  CHECK(outbox.stats().rows == 4);  // nothing deleted
  client.connected_ = true;
  uplink.pump();
  CHECK(client.sent == std::vector<std::string>{"a1", "a2", "a1", "a2"});
  client.ack("a2");
  CHECK(client.sent.back() == "a3");
  client.ack("a1", false);  // failed again: it goes out before a4
  CHECK(client.sent.back() == "a1");
  client.ack("a1");
  CHECK(client.sent.back() == "a4");
  client.ack("a3");
  client.ack("a4");
  uplink.flush_delivered();
  CHECK(outbox.stats().rows == 0);
  CHECK(uplink.counters().failed == 3);
}

TEST_CASE_METHOD(UplinkRig, "nothing is sent while disconnected, and a backlog drains after reconnect", "[uplink]") {
  client.connected_ = false;
  auto& uplink = make_uplink(4);
  for (int i = 0; i < 10; ++i) outbox.append(Priority::parking, "t", "p" + std::to_string(i), kNow);
  uplink.pump();
  CHECK(client.sent.empty());
  client.connected_ = true;
  uplink.pump();
  while (!client.pending.empty()) client.ack(client.pending.begin()->first);
  CHECK(client.sent.size() == 10);
  for (int i = 0; i < 10; ++i) CHECK(client.sent[static_cast<std::size_t>(i)] == "p" + std::to_string(i));
}

TEST_CASE_METHOD(UplinkRig, "uplink: a burst of PUBACKs refills the window once, oldest first, higher priorities first",
                 "[uplink]") {
  auto& uplink = make_uplink(4);
  for (int i = 0; i < 12; ++i) outbox.append(Priority::parking, "t", "p" + std::to_string(i), kNow);
  uplink.pump();
  CHECK(client.sent == std::vector<std::string>{"p0", "p1", "p2", "p3"});
  outbox.append(Priority::alarm, "t", "fire", kNow);
  // Three PUBACKs in one turn: nothing is sent until the turn ends, then
  // the three free slots go to the alarm first and the oldest parking rows.
  client.ack_burst({"p1", "p0", "p3"});
  CHECK(client.sent == std::vector<std::string>{"p0", "p1", "p2", "p3", "fire", "p4", "p5"});
  CHECK(uplink.in_flight() == 4);
  // A failure inside a burst goes out again before newer rows.
  client.ack_burst({"p2", "p4"}, false);
  CHECK(client.sent.back() == "p4");
  CHECK(client.sent.at(client.sent.size() - 2) == "p2");
  while (!client.pending.empty()) {
    std::vector<std::string> all;
    for (const auto& [payload, handler] : client.pending) all.push_back(payload);
    client.ack_burst(all);
  }
  uplink.flush_delivered();
  CHECK(outbox.stats().rows == 0);
  CHECK(uplink.counters().delivered == 13);
  CHECK(uplink.counters().failed == 2);
  CHECK(uplink.counters().published == 15);
}

namespace {

// Records, in arrival order, every payload published under test/uplink/.
class RecordingSubscriber {
 public:
  explicit RecordingSubscriber(const std::string& uri) : guard_(boost::asio::make_work_guard(io_)) {
    mqtt::Options options;
    options.server_uri = uri;
    options.client_id = "uplink-test-subscriber";
    options.clean_start = true;
    mqtt::Handlers handlers;
    handlers.on_message = [this](mqtt::Message message) {
      const std::lock_guard lock(mutex_);
      received_.push_back(std::move(message.payload));
    };
    client_ = mqtt::make_paho_client(io_, options, handlers);
    client_->subscribe("test/uplink/#", 1);
    client_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~RecordingSubscriber() {
    boost::asio::post(io_, [this] { client_->stop(std::nullopt, 1000); });
    guard_.reset();
    thread_.join();
  }
  RecordingSubscriber(const RecordingSubscriber&) = delete;
  RecordingSubscriber& operator=(const RecordingSubscriber&) = delete;

  /// Publishes probes until one comes back: the subscription is live.
  bool ready() {
    return test::wait_until(
        [this] {
          boost::asio::post(io_, [this] {
            if (client_->connected()) client_->publish({"test/uplink/probe", "probe", 1, false}, nullptr);
          });
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          return !received().empty();
        },
        std::chrono::seconds(30));
  }
  std::vector<std::string> received() {
    const std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::unique_ptr<mqtt::Client> client_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> received_;
};

}  // namespace

TEST_CASE("uplink over the Paho adapter and a real broker: a backlog arrives complete, by priority, oldest first",
          "[uplink][broker]") {
  constexpr int kRows = 1200;
  constexpr int kWindow = 8;
  test::MosquittoBroker broker;
  RecordingSubscriber subscriber(broker.uri());
  REQUIRE(subscriber.ready());

  test::TempDir dir;
  Outbox outbox(dir.file("outbox.db"), {}, kNow);
  std::array<std::vector<std::string>, kAllPriorities.size()> by_priority;
  for (int i = 0; i < kRows; ++i) {
    const auto priority = i % 10 == 0 ? Priority::alarm : i % 10 < 3 ? Priority::fault : Priority::parking;
    const auto payload = "row " + std::to_string(i);
    REQUIRE(outbox.append(priority, "test/uplink/a", payload, kNow).status == AppendStatus::stored);
    by_priority[static_cast<std::size_t>(priority)].push_back(payload);
  }
  std::vector<std::string> expected;
  for (const auto& rows : by_priority) expected.insert(expected.end(), rows.begin(), rows.end());

  // The gateway side, as edge::Gateway wires it.
  boost::asio::io_context io;
  std::unique_ptr<Uplink> uplink;
  mqtt::Options options;
  options.server_uri = broker.uri();
  options.client_id = "uplink-test-gateway";
  options.max_inflight = kWindow;
  mqtt::Handlers handlers;
  handlers.on_connected = [&](bool) { uplink->pump(); };
  auto client = mqtt::make_paho_client(io, options, handlers);
  uplink = std::make_unique<Uplink>(io, outbox, *client, kWindow);
  client->start();
  boost::asio::steady_timer poll(io);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::function<void()> check = [&] {
    if ((uplink->counters().delivered >= static_cast<std::uint64_t>(kRows) && uplink->in_flight() == 0) ||
        std::chrono::steady_clock::now() > deadline) {
      uplink->flush_delivered();
      client->stop(std::nullopt, 1000);
      return;
    }
    poll.expires_after(std::chrono::milliseconds(10));
    poll.async_wait([&](const boost::system::error_code& error) {
      if (!error) check();
    });
  };
  check();
  io.run();

  CHECK(uplink->counters().delivered == static_cast<std::uint64_t>(kRows));
  CHECK(uplink->counters().failed == 0);
  CHECK(outbox.stats().rows == 0);
  REQUIRE(test::wait_until([&] { return subscriber.received().size() >= expected.size() + 1; },
                           std::chrono::seconds(30)));
  auto received = subscriber.received();
  received.erase(std::remove(received.begin(), received.end(), "probe"), received.end());
  // One publisher connection, QoS 1, no reconnect: the broker forwards in
  // publish order, so this is the order the uplink handed rows to Paho.
  CHECK(received == expected);
}

TEST_CASE_METHOD(UplinkRig, "receipts on: an acknowledged alert waits for central's receipt, telemetry does not",
                 "[uplink][receipts]") {
  auto& uplink = make_uplink(4, {true, 60'000, "gw-1"});
  outbox.append(Priority::alarm, "t", "fire1", kNow);     // row 1
  outbox.append(Priority::parking, "t", "park1", kNow);   // row 2
  outbox.append(Priority::telemetry, "t", "tele1", kNow); // row 3
  uplink.pump();
  client.ack_burst({"fire1", "park1", "tele1"});
  uplink.flush_delivered();
  CHECK(outbox.stats().rows == 2);
  CHECK(outbox.stats().awaiting_receipt_rows == 2);
  CHECK(outbox.depth(Priority::alarm) == 1);
  uplink.pump();
  CHECK(client.sent.size() == 3);  // an awaiting alert is not sent again

  // Another epoch's id (a quarantined outbox's) names no row of ours.
  uplink.on_receipt(receipt({1}, {}, "0badbeef"));
  CHECK(uplink.counters().foreign_ids == 1);
  CHECK(outbox.stats().rows == 2);

  uplink.on_receipt(receipt({1, 2}));
  CHECK(outbox.stats().rows == 0);
  CHECK(outbox.stats().awaiting_receipt_rows == 0);
  CHECK(uplink.counters().receipts == 2);
  CHECK(uplink.counters().receipted == 2);
}

TEST_CASE_METHOD(UplinkRig, "receipts: a receipt that beats the delete flush does not let a lower priority jump ahead",
                 "[uplink][receipts]") {
  auto& uplink = make_uplink(2, {true, 60'000, "gw-1"});
  for (int i = 1; i <= 4; ++i) outbox.append(Priority::fault, "t", "fault" + std::to_string(i), kNow);  // rows 1-4
  outbox.append(Priority::parking, "t", "park1", kNow);
  uplink.pump();
  client.ack("fault1");  // refills with fault3; row 1 waits for the flush
  uplink.on_receipt(receipt({1}));  // central committed row 1 before the flush timer fired
  client.settle();
  client.ack("fault2");
  CHECK(client.sent == std::vector<std::string>{"fault1", "fault2", "fault3", "fault4"});
  client.ack_burst({"fault3", "fault4"});
  CHECK(client.sent.back() == "park1");
  uplink.on_receipt(receipt({2, 3, 4}));
  CHECK(outbox.depth(Priority::fault) == 0);
  CHECK(outbox.stats().awaiting_receipt_rows == 0);
}

TEST_CASE_METHOD(UplinkRig, "receipts: a rejected alert is dropped, a bad receipt is counted and changes nothing",
                 "[uplink][receipts]") {
  auto& uplink = make_uplink(4, {true, 60'000, "gw-1"});
  outbox.append(Priority::alarm, "t", "fire1", kNow);
  outbox.append(Priority::alarm, "t", "fire2", kNow);
  uplink.pump();
  client.ack_burst({"fire1", "fire2"});
  uplink.flush_delivered();
  for (const std::string bad : {"", "not json", R"({"schema":1,"type":"receipt"})",
                                R"({"schema":1,"type":"receipt","gateway_id":"gw-2","accepted":[],"rejected":[],"ts_ms":1})"}) {
    uplink.on_receipt(bad);
  }
  CHECK(uplink.counters().bad_receipts == 4);
  CHECK(outbox.stats().rows == 2);
  uplink.on_receipt(receipt({}, {2}));
  CHECK(uplink.counters().rejected_by_central == 1);
  CHECK(outbox.stats().rows == 1);
  CHECK(outbox.next_rows(Priority::alarm, 0, 10).empty());  // row 1 still awaits its receipt
}

TEST_CASE_METHOD(UplinkRig, "receipts: an alert without a receipt in time is sent again", "[uplink][receipts]") {
  auto& uplink = make_uplink(4, {true, 1, "gw-1"});
  outbox.append(Priority::alarm, "t", "fire1", kNow);
  uplink.pump();
  client.ack("fire1");
  uplink.flush_delivered();
  CHECK(outbox.stats().awaiting_receipt_rows == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  uplink.requeue_unreceipted();
  client.settle();
  CHECK(uplink.counters().receipt_timeouts == 1);
  CHECK(client.sent == std::vector<std::string>{"fire1", "fire1"});
  client.ack("fire1");
  uplink.flush_delivered();
  uplink.on_receipt(receipt({1}));
  CHECK(outbox.stats().rows == 0);
}

TEST_CASE_METHOD(UplinkRig, "receipts off: an alert is deleted on PUBACK (a broker without central)", "[uplink][receipts]") {
  auto& uplink = make_uplink(4, {false, 60'000, "gw-1"});
  outbox.append(Priority::alarm, "t", "fire1", kNow);
  uplink.pump();
  client.ack("fire1");
  uplink.flush_delivered();
  CHECK(outbox.stats().rows == 0);
  CHECK(outbox.stats().awaiting_receipt_rows == 0);
}
