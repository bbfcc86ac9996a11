// The uplink's ordering, window and retry rules, against a scripted
// mqtt::Client (the narrow interface; the integration suite runs the same
// code against a real Mosquitto).
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <map>

#include "edge/uplink.hpp"
#include "tests/support/test_env.hpp"

using namespace gridwatch;
using namespace gridwatch::edge;

namespace {

constexpr EpochMs kNow = 1'795'000'000'000;

class ScriptedClient final : public mqtt::Client {
 public:
  void start() override {}
  void stop(std::optional<mqtt::Message>, int) override { connected_ = false; }
  bool connected() const override { return connected_; }
  bool publish(const mqtt::Message& message, mqtt::DeliveryHandler done) override {
    if (!connected_) return false;
    sent.push_back(message.payload);
    pending[message.payload] = std::move(done);
    return true;
  }
  void subscribe(const std::string&, int) override {}

  void ack(const std::string& payload, bool ok = true) {
    auto handler = std::move(pending.at(payload));
    pending.erase(payload);
    handler(ok);
  }
  void drop_connection() {
    connected_ = false;
    auto all = std::move(pending);
    pending.clear();
    for (auto& [payload, handler] : all) handler(false);
  }

  bool connected_ = true;
  std::vector<std::string> sent;
  std::map<std::string, mqtt::DeliveryHandler> pending;
};

}  // namespace

TEST_CASE("uplink sends by priority, oldest first, within the window", "[uplink]") {
  test::TempDir dir;
  boost::asio::io_context io;
  Outbox outbox(dir.file("outbox.db"), {}, kNow);
  ScriptedClient client;
  Uplink uplink(io, outbox, client, 3);
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

TEST_CASE("a row is deleted only after its PUBACK, failures are re-sent first, in order", "[uplink]") {
  test::TempDir dir;
  boost::asio::io_context io;
  Outbox outbox(dir.file("outbox.db"), {}, kNow);
  ScriptedClient client;
  Uplink uplink(io, outbox, client, 2);
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

TEST_CASE("nothing is sent while disconnected, and a backlog drains after reconnect", "[uplink]") {
  test::TempDir dir;
  boost::asio::io_context io;
  Outbox outbox(dir.file("outbox.db"), {}, kNow);
  ScriptedClient client;
  client.connected_ = false;
  Uplink uplink(io, outbox, client, 4);
  for (int i = 0; i < 10; ++i) outbox.append(Priority::parking, "t", "p" + std::to_string(i), kNow);
  uplink.pump();
  CHECK(client.sent.empty());
  client.connected_ = true;
  uplink.pump();
  while (!client.pending.empty()) client.ack(client.pending.begin()->first);
  CHECK(client.sent.size() == 10);
  for (int i = 0; i < 10; ++i) CHECK(client.sent[static_cast<std::size_t>(i)] == "p" + std::to_string(i));
}
