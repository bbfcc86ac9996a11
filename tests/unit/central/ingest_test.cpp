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
