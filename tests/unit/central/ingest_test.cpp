#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "central/ingest.hpp"
#include "central/sqlite_store.hpp"
#include "tests/support/test_env.hpp"
#include "tests/unit/central/alert_builder.hpp"

using namespace gridwatch;
using namespace gridwatch::central;

TEST_CASE("ingest stores valid messages and counts outcomes", "[ingest]") {
  test::TempDir dir;
  SqliteStore store(dir.file("central.db"));
  Ingest ingest(store);
  const auto alert = test::make_alert("gw-1", 1, Phase::start);
  ingest.handle({"gridwatch/v1/gw-1/alert", encode(alert), 1, false}, 100);
  ingest.handle({"gridwatch/v1/gw-1/alert", encode(alert), 1, false}, 110);
  ingest.handle({"gridwatch/v1/gw-1/status", encode(Status{"gw-1", PresenceState::online, "b", 1, "v", std::nullopt, std::nullopt}), 1, true},
                120);
  const auto& counters = ingest.counters();
  CHECK(counters.received == 3);
  CHECK(counters.incidents_opened == 1);
  CHECK(counters.duplicates == 1);
  CHECK(counters.statuses == 1);
  CHECK(counters.rejected == 0);
  CHECK(ingest.take_rejection_summary().empty());
}

TEST_CASE("ingest never throws on garbage and summarises rejections", "[ingest]") {
  test::TempDir dir;
  SqliteStore store(dir.file("central.db"));
  Ingest ingest(store);
  const auto alert = test::make_alert("gw-1", 1, Phase::start);
  const std::vector<mqtt::Message> garbage{
      {"gridwatch/v1/gw-1/alert", "", 1, false},
      {"gridwatch/v1/gw-1/alert", "\xff\xfe binary", 1, false},
      {"gridwatch/v1/gw-1/alert", "[1,2,3]", 1, false},
      {"gridwatch/v1/gw-2/alert", encode(alert), 1, false},  // speaks for gw-1
      {"gridwatch/v1/gw-1/alert", std::string(100'000, '{'), 1, false},
      {"not/ours", "{}", 1, false},
  };
  for (const auto& message : garbage) REQUIRE_NOTHROW(ingest.handle(message, 100));
  CHECK(ingest.counters().rejected == garbage.size());
  CHECK(store.incidents({}).empty());
  const auto summary = ingest.take_rejection_summary();
  CHECK(summary.find("5 invalid payload") != std::string::npos);
  CHECK(summary.find("1 bad topic") != std::string::npos);
  CHECK(ingest.take_rejection_summary().empty());  // reset per interval
}

TEST_CASE("with a registry, ingest rejects every message of an unregistered gateway and stores nothing of it",
          "[ingest][registry]") {
  test::TempDir dir;
  SqliteStore store(dir.file("central.db"));
  const auto registry = GatewayRegistry::parse("gateways:\n  - {id: gw-1}\n", "gateways.yaml");
  Ingest ingest(store);
  ingest.set_registry(&registry);
  ingest.handle({"gridwatch/v1/gw-1/alert", encode(test::make_alert("gw-1", 1, Phase::start)), 1, false}, 100);
  ingest.handle({"gridwatch/v1/gw-9/alert", encode(test::make_alert("gw-9", 1, Phase::start)), 1, false}, 110);
  ingest.handle({"gridwatch/v1/gw-9/status",
                 encode(Status{"gw-9", PresenceState::online, "b", 1, "v", std::nullopt, std::nullopt}), 1, true},
                120);
  CHECK(ingest.counters().incidents_opened == 1);
  CHECK(ingest.counters().rejected == 2);
  CHECK(ingest.counters().statuses == 0);
  const auto incidents = store.incidents({});
  REQUIRE(incidents.size() == 1);
  CHECK(incidents.front().gateway_id == "gw-1");
  const auto summary = ingest.take_rejection_summary();
  CHECK(summary.find("2 unregistered gateway") != std::string::npos);
  CHECK(summary.find("gateway gw-9 is not in gateways.yaml") != std::string::npos);

  // Without a registry (open registration) the same message is accepted.
  ingest.set_registry(nullptr);
  ingest.handle({"gridwatch/v1/gw-9/alert", encode(test::make_alert("gw-9", 1, Phase::start)), 1, false}, 130);
  CHECK(ingest.counters().incidents_opened == 2);
}

TEST_CASE("ingest receipts committed alerts, duplicates included, and rejected ones with their errors",
          "[ingest][receipts]") {
  test::TempDir dir;
  SqliteStore store(dir.file("central.db"));
  Ingest ingest(store);
  struct Heard {
    std::string gateway_id;
    std::string alert_id;
    std::string rejection;  // empty: accepted
  };
  std::vector<Heard> heard;
  ingest.set_receipt_hook([&](const std::string& gateway_id, const std::string& alert_id, const std::string* rejection) {
    // Called after the commit: the alert is already in the store.
    if (rejection == nullptr) CHECK(store.incident_by_episode(alert_id).has_value());
    heard.push_back({gateway_id, alert_id, rejection != nullptr ? *rejection : ""});
  });
  const auto alert = test::make_alert("gw-1", 1, Phase::start);
  ingest.handle({"gridwatch/v1/gw-1/alert", encode(alert), 1, false}, 100);
  ingest.handle({"gridwatch/v1/gw-1/alert", encode(alert), 1, false}, 110);  // duplicate
  auto bad = nlohmann::json::parse(encode(test::make_alert("gw-1", 2, Phase::start)));
  bad["confidence"] = 7;
  ingest.handle({"gridwatch/v1/gw-1/alert", bad.dump(), 1, false}, 120);
  // Not receipted: no readable id, another gateway's id, or not an alert.
  ingest.handle({"gridwatch/v1/gw-1/alert", "not json", 1, false}, 130);
  ingest.handle({"gridwatch/v1/gw-2/alert", encode(test::make_alert("gw-1", 3, Phase::start)), 1, false}, 140);
  ingest.handle({"gridwatch/v1/gw-1/status", "{}", 1, false}, 150);
  REQUIRE(heard.size() == 3);
  CHECK(heard[0].gateway_id == "gw-1");
  CHECK(heard[0].alert_id == alert.alert_id);
  CHECK(heard[0].rejection.empty());
  CHECK(heard[1].alert_id == alert.alert_id);
  CHECK(heard[1].rejection.empty());
  CHECK(heard[2].alert_id == bad["alert_id"].get<std::string>());
  CHECK(heard[2].rejection.find("confidence") != std::string::npos);
}

namespace {

std::vector<mqtt::Message> alert_messages(const std::string& gateway, std::uint64_t first, std::uint64_t count) {
  std::vector<mqtt::Message> messages;
  for (auto seq = first; seq < first + count; ++seq) {
    messages.push_back({"gridwatch/v1/" + gateway + "/alert", encode(test::make_alert(gateway, seq, Phase::start)), 1,
                        false});
  }
  return messages;
}

}  // namespace

TEST_CASE("a batch is one commit: its alerts are receipted only once another connection can read them",
          "[ingest][receipts]") {
  test::TempDir dir;
  const auto path = dir.file("central.db");
  SqliteStore store(path);
  SqliteStore reader(path, SqliteStore::Access::read_only);
  Ingest ingest(store);
  std::vector<std::string> receipted;
  ingest.set_receipt_hook([&](const std::string&, const std::string& alert_id, const std::string* rejection) {
    REQUIRE(rejection == nullptr);
    // The whole batch is committed before the first receipt goes out.
    CHECK(reader.incidents({}).size() == 5);
    receipted.push_back(alert_id);
  });
  ingest.handle_batch(alert_messages("gw-1", 1, 5), 100);
  CHECK(receipted.size() == 5);
  CHECK(ingest.counters().incidents_opened == 5);
  CHECK(ingest.counters().store_failures == 0);
}

// A store whose alerts table refuses seq 2 the way `trigger_action`
// says, through a real SQLite trigger, and the receipts ingest gives.
struct RefusingStore {
  explicit RefusingStore(const std::string& trigger_action) : store(path), admin(path) {
    admin.exec("CREATE TRIGGER refuse_seq_2 BEFORE INSERT ON alerts WHEN NEW.seq = 2 BEGIN SELECT " + trigger_action +
               "; END");
    ingest.set_receipt_hook([this](const std::string&, const std::string& alert_id, const std::string*) {
      receipted.push_back(alert_id);
    });
  }
  test::TempDir dir;
  std::string path = dir.file("central.db");
  SqliteStore store;
  sqlite::Database admin;
  Ingest ingest{store};
  std::vector<std::string> receipted;
};

TEST_CASE("a message that fails to store is skipped alone, and the rest of its batch is stored and receipted",
          "[ingest][receipts]") {
  RefusingStore refusing("RAISE(ABORT, 'refused by test trigger')");
  refusing.ingest.handle_batch(alert_messages("gw-1", 1, 3), 100);
  CHECK(refusing.ingest.counters().store_failures == 1);
  CHECK(refusing.receipted == std::vector<std::string>{"gw-1:e0e0e0e0:1", "gw-1:e0e0e0e0:3"});
  CHECK(refusing.store.incidents({}).size() == 2);
}

TEST_CASE("when SQLite rolls a batch back, none of it is receipted and a resend stores each alert once",
          "[ingest][receipts]") {
  // RAISE(ROLLBACK) ends the whole transaction, as a full disk or an I/O
  // error does: the batch's first alert is undone, and the third then
  // commits on its own.
  RefusingStore refusing("RAISE(ROLLBACK, 'rolled back by test trigger')");
  const auto batch = alert_messages("gw-1", 1, 3);
  REQUIRE_NOTHROW(refusing.ingest.handle_batch(batch, 100));
  CHECK(refusing.receipted.empty());
  CHECK(refusing.ingest.counters().store_failures == 3);  // the refused one, and the two the batch cannot vouch for

  // The gateway sends the unreceipted alerts again.
  refusing.admin.exec("DROP TRIGGER refuse_seq_2");
  refusing.ingest.handle_batch(batch, 200);
  CHECK(refusing.receipted.size() == 3);
  const auto incidents = refusing.store.incidents({});
  CHECK(incidents.size() == 3);
  for (const auto& incident : incidents) CHECK(incident.alert_count == 1);
}
