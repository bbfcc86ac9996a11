// The request -> reply logic without sockets: query decoding, the JSON
// mapping of records, and the Prometheus text.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "central/http/api_router.hpp"
#include "central/http/metrics_text.hpp"
#include "central/http/records_json.hpp"
#include "central/sqlite_store.hpp"
#include "tests/support/test_env.hpp"

using gridwatch::central::GatewayRecord;
using gridwatch::central::IncidentRecord;
using gridwatch::central::parse_query;

TEST_CASE("parse_query decodes names and values in order", "[http]") {
  const auto params = parse_query("limit=5&gateway=gw%2D1&&note=a+b%20c&flag");
  REQUIRE(params.size() == 4);
  CHECK(params[0] == std::pair<std::string, std::string>{"limit", "5"});
  CHECK(params[1] == std::pair<std::string, std::string>{"gateway", "gw-1"});
  CHECK(params[2] == std::pair<std::string, std::string>{"note", "a b c"});
  CHECK(params[3] == std::pair<std::string, std::string>{"flag", ""});
  CHECK(parse_query("").empty());
}

TEST_CASE("parse_query rejects malformed escapes, naming the parameter", "[http]") {
  for (const char* query : {"limit=%", "limit=%4", "limit=%zz", "limit=1%g1"}) {
    INFO(query);
    try {
      parse_query(query);
      FAIL("no exception");
    } catch (const std::invalid_argument& error) {
      CHECK(std::string(error.what()).rfind("limit: ", 0) == 0);
    }
  }
  CHECK_THROWS_AS(parse_query("%=1"), std::invalid_argument);
}

TEST_CASE("to_json(IncidentRecord) maps every field, episode_ended_ms null while open", "[http]") {
  IncidentRecord incident;
  incident.id = 7;
  incident.episode_id = "gw-1:ep";
  incident.gateway_id = "gw-1";
  incident.kind = "smoke";
  incident.severity = "severe";
  incident.urgency = "immediate";
  incident.certainty = "likely";
  incident.confidence = 0.75;
  incident.state = "new";
  incident.detected_at_ms = 1000;
  incident.created_ms = 1100;
  incident.updated_ms = 1200;
  incident.lat = 30.5;
  incident.lon = 114.25;
  incident.camera = "cam-1";
  incident.zone = "z1";
  incident.sensor = "";
  incident.summary = "smoke near the shed";
  incident.alert_count = 3;

  auto json = gridwatch::central::to_json(incident);
  CHECK(json.size() == 21);
  CHECK(json["dispatch"]["level"] == "grid");
  CHECK(json["dispatch"]["dispatched_ms"].is_null());
  CHECK(json["dispatch"]["light"] == "none");
  CHECK(json["id"] == 7);
  CHECK(json["episode_id"] == "gw-1:ep");
  CHECK(json["kind"] == "smoke");
  CHECK(json["confidence"] == 0.75);
  CHECK(json["detected_at_ms"] == 1000);
  CHECK(json["episode_ended_ms"].is_null());
  CHECK(json["lat"] == 30.5);
  CHECK(json["summary"] == "smoke near the shed");
  CHECK(json["alert_count"] == 3);

  incident.episode_ended_ms = 5000;
  CHECK(gridwatch::central::to_json(incident)["episode_ended_ms"] == 5000);
}

TEST_CASE("to_json(GatewayRecord) parses telemetry back into an object, else null", "[http]") {
  GatewayRecord gateway;
  gateway.gateway_id = "gw-1";
  gateway.presence = "online";
  gateway.boot_id = "boot-1";
  gateway.version = "0.1.0";
  gateway.last_seen_ms = 123;
  gateway.telemetry_json = R"({"uptime_s":5,"outbox":{"stored_bytes":10}})";
  auto json = gridwatch::central::to_json(gateway);
  CHECK(json["gateway_id"] == "gw-1");
  CHECK(json["presence"] == "online");
  CHECK(json["boot_id"] == "boot-1");
  CHECK(json["version"] == "0.1.0");
  CHECK(json["last_seen_ms"] == 123);
  REQUIRE(json["telemetry"].is_object());
  CHECK(json["telemetry"]["outbox"]["stored_bytes"] == 10);

  for (const char* stored : {"", "{not json", "[1,2]", "42"}) {
    INFO(stored);
    gateway.telemetry_json = stored;
    CHECK(gridwatch::central::to_json(gateway)["telemetry"].is_null());
  }
}

TEST_CASE("prometheus_text gives HELP and TYPE before every sample", "[http]") {
  gridwatch::central::IngestCounters counters;
  counters.received = 12;
  counters.store_failures = 2;
  counters.receipts_published = 5;
  counters.receipts_unsent = 1;
  const auto text = gridwatch::central::prometheus_text(counters, {3, 4});
  CHECK(text.find("# TYPE gridwatch_central_receipts_published_total counter\n"
                  "gridwatch_central_receipts_published_total 5\n") != std::string::npos);
  CHECK(text.find("\ngridwatch_central_receipts_unsent_total 1\n") != std::string::npos);
  CHECK(text.find("# HELP gridwatch_central_messages_received_total ") != std::string::npos);
  CHECK(text.find("# TYPE gridwatch_central_messages_received_total counter\n"
                  "gridwatch_central_messages_received_total 12\n") != std::string::npos);
  CHECK(text.find("\ngridwatch_central_store_failures_total 2\n") != std::string::npos);
  CHECK(text.find("# TYPE gridwatch_central_http_open_connections gauge\n"
                  "gridwatch_central_http_open_connections 3\n") != std::string::npos);
  CHECK(text.find("\ngridwatch_central_http_rejected_connections_total 4\n") != std::string::npos);
  CHECK(text.find("notifications") == std::string::npos);  // no backlog given
  CHECK(text.back() == '\n');
}

TEST_CASE("/metrics exports the notification backlog of the store", "[http][notify]") {
  gridwatch::central::NotificationBacklog backlog;
  backlog.pending = 5;
  backlog.retrying = 2;
  backlog.delivered = 40;
  backlog.oldest_pending_created_ms = 1'000'000;
  const auto text = gridwatch::central::prometheus_text({}, {}, &backlog, 1'090'500);
  CHECK(text.find("# TYPE gridwatch_central_notifications_pending gauge\n"
                  "gridwatch_central_notifications_pending 5\n") != std::string::npos);
  CHECK(text.find("\ngridwatch_central_notifications_retrying 2\n") != std::string::npos);
  CHECK(text.find("# TYPE gridwatch_central_notifications_delivered_total counter\n"
                  "gridwatch_central_notifications_delivered_total 40\n") != std::string::npos);
  CHECK(text.find("\ngridwatch_central_notifications_oldest_pending_age_seconds 90\n") != std::string::npos);

  backlog.pending = 0;
  backlog.oldest_pending_created_ms = 0;
  const auto idle = gridwatch::central::prometheus_text({}, {}, &backlog, 1'090'500);
  CHECK(idle.find("\ngridwatch_central_notifications_oldest_pending_age_seconds 0\n") != std::string::npos);
}

TEST_CASE("GET /api/v1/evidence/{id} serves the stored JPEG", "[http][evidence]") {
  gridwatch::test::TempDir dir;
  gridwatch::central::SqliteStore store(dir.file("central.db"));
  gridwatch::Evidence evidence;
  evidence.evidence_id = "gw-1:e0e0e0e0:1:jpg";
  evidence.alert_id = "gw-1:e0e0e0e0:1";
  evidence.gateway_id = "gw-1";
  evidence.captured_at_ms = 1000;
  evidence.data = std::string("\xFF\xD8\xFF\xE0 jpeg bytes", 15);
  REQUIRE(store.record_evidence(evidence, 2000));
  CHECK_FALSE(store.record_evidence(evidence, 3000));  // idempotent
  gridwatch::central::ApiRouter router(store, nullptr);
  const gridwatch::central::HttpStats http{};

  const auto found = router.handle("GET", "/api/v1/evidence/gw-1:e0e0e0e0:1:jpg", http);
  CHECK(found.status == 200);
  CHECK(found.content_type == "image/jpeg");
  CHECK(found.body == evidence.data);

  const auto missing = router.handle("GET", "/api/v1/evidence/gw-1:e0e0e0e0:2:jpg", http);
  CHECK(missing.status == 404);
  CHECK(missing.body.find("no such evidence") != std::string::npos);

  const auto bad = router.handle("GET", "/api/v1/evidence/a%20b", http);
  CHECK(bad.status == 400);
  CHECK(router.handle("POST", "/api/v1/evidence/x", http).status == 405);
}
