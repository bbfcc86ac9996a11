#include <catch2/catch.hpp>

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
