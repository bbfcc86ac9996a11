#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/wire.hpp"

using namespace gridwatch;
using nlohmann::json;

namespace {

Alert sample_alert() {
  Alert alert;
  alert.gateway_id = "gw-1";
  alert.seq = 42;
  alert.alert_id = "gw-1:0a1b2c3d:42";
  alert.episode_id = "gw-1:0a1b2c3d:40";
  alert.phase = Phase::update;
  alert.kind = AlertKind::parking;
  alert.severity = Severity::moderate;
  alert.confidence = 0.93;
  alert.detected_at_ms = 1'795'000'000'123;
  alert.location = {30.5, 104.25, std::string("cam1"), std::string("Z1"), std::nullopt};
  alert.box = Box{0.51, 0.42, 0.09, 0.08};
  alert.evidence = {"gw-1:0a1b2c3d:42:jpg"};
  alert.summary = "Vehicle parked in Z1";
  alert.plate = "A12345";
  return alert;
}

// Decodes `document` as an alert and returns its field errors.
FieldErrors alert_errors(const json& document) { return decode_alert(document.dump()).errors; }

bool has_error_on(const FieldErrors& errors, const std::string& field) {
  for (const auto& error : errors) {
    if (error.field == field) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("alert survives an encode/decode round trip", "[wire]") {
  const auto original = sample_alert();
  const auto decoded = decode_alert(encode(original));
  REQUIRE(decoded.ok());
  const auto& alert = *decoded.value;
  CHECK(alert.alert_id == original.alert_id);
  CHECK(alert.gateway_id == original.gateway_id);
  CHECK(alert.seq == 42);
  CHECK(alert.episode_id == original.episode_id);
  CHECK(alert.phase == Phase::update);
  CHECK(alert.kind == AlertKind::parking);
  CHECK(alert.severity == Severity::moderate);
  CHECK(alert.confidence == Approx(0.93));
  CHECK(alert.detected_at_ms == original.detected_at_ms);
  CHECK(alert.location.camera == std::optional<std::string>("cam1"));
  CHECK(alert.location.zone == std::optional<std::string>("Z1"));
  CHECK_FALSE(alert.location.sensor.has_value());
  REQUIRE(alert.box.has_value());
  CHECK((*alert.box)[2] == Approx(0.09));
  CHECK(alert.evidence == original.evidence);
  CHECK(alert.summary == original.summary);
  CHECK(alert.plate == std::optional<std::string>("A12345"));
  CHECK(encode(alert) == encode(original));
}

TEST_CASE("status and telemetry round trip", "[wire]") {
  Status status{"gw-1", PresenceState::offline, "b00t", 1'795'000'000'000, "0.1.0", std::nullopt, std::nullopt};
  auto decoded_status = decode_status(encode(status));
  REQUIRE(decoded_status.ok());
  CHECK(decoded_status.value->state == PresenceState::offline);
  CHECK(decoded_status.value->boot_id == "b00t");
  CHECK_FALSE(decoded_status.value->lat);
  CHECK(encode(status).find("lat") == std::string::npos);

  // The gateway's position travels with its status (both or neither).
  status.lat = 30.6598;
  status.lon = 104.0633;
  decoded_status = decode_status(encode(status));
  REQUIRE(decoded_status.ok());
  CHECK(decoded_status.value->lat == Approx(30.6598));
  CHECK(decoded_status.value->lon == Approx(104.0633));
  const auto half = decode_status(
      R"({"schema":1,"type":"status","gateway_id":"gw-1","state":"online","boot_id":"b","ts_ms":1,"version":"v",)"
      R"("lat":30.5})");
  REQUIRE_FALSE(half.ok());
  CHECK(join_errors(half.errors).find("lon: lat and lon come together") != std::string::npos);
  CHECK_FALSE(decode_status(
                  R"({"schema":1,"type":"status","gateway_id":"gw-1","state":"online","boot_id":"b","ts_ms":1,)"
                  R"("version":"v","lat":91,"lon":0})")
                  .ok());

  Telemetry telemetry;
  telemetry.gateway_id = "gw-1";
  telemetry.boot_id = "b00t";
  telemetry.ts_ms = 1'795'000'000'000;
  telemetry.uptime_s = 77;
  telemetry.outbox.depth = {{"alarm", 3}, {"telemetry", 9}};
  telemetry.outbox.dropped = {{"telemetry", 2}};
  telemetry.outbox.oldest_undelivered_age_s = 12;
  telemetry.outbox.stored_bytes = 4096;
  telemetry.sensors = {{"smoke-1", "ok", ""}};
  auto decoded = decode_telemetry(encode(telemetry));
  REQUIRE(decoded.ok());
  CHECK(decoded.value->outbox.depth.at("alarm") == 3);
  CHECK(decoded.value->outbox.dropped.at("telemetry") == 2);
  CHECK(decoded.value->sensors.at(0).id == "smoke-1");
}

TEST_CASE("alert decoding rejects bad input with field-level errors", "[wire]") {
  const json valid = json::parse(encode(sample_alert()));

  SECTION("missing field") {
    auto doc = valid;
    doc.erase("detected_at_ms");
    CHECK(has_error_on(alert_errors(doc), "detected_at_ms"));
  }
  SECTION("wrong type") {
    auto doc = valid;
    doc["confidence"] = "high";
    const auto errors = alert_errors(doc);
    REQUIRE(has_error_on(errors, "confidence"));
    CHECK(errors.front().message.find("expected a number") != std::string::npos);
  }
  SECTION("nested wrong type names the nested path") {
    auto doc = valid;
    doc["location"]["lat"] = 123.0;
    CHECK(has_error_on(alert_errors(doc), "location.lat"));
  }
  SECTION("every problem is reported, not only the first") {
    auto doc = valid;
    doc["confidence"] = 7;
    doc["kind"] = "ufo";
    doc.erase("seq");
    const auto errors = alert_errors(doc);
    CHECK(has_error_on(errors, "confidence"));
    CHECK(has_error_on(errors, "kind"));
    CHECK(has_error_on(errors, "seq"));
  }
  SECTION("unknown field") {
    auto doc = valid;
    doc["colour"] = "red";
    CHECK(has_error_on(alert_errors(doc), "colour"));
  }
  SECTION("plate empty or too long") {
    auto doc = valid;
    doc["plate"] = "";
    CHECK(has_error_on(alert_errors(doc), "plate"));
    doc["plate"] = std::string(17, 'A');
    CHECK(has_error_on(alert_errors(doc), "plate"));
    doc["plate"] = 12345;
    CHECK(has_error_on(alert_errors(doc), "plate"));
  }
  SECTION("unknown schema version") {
    auto doc = valid;
    doc["schema"] = 2;
    const auto errors = alert_errors(doc);
    REQUIRE(has_error_on(errors, "schema"));
    CHECK(errors.front().message.find("unsupported schema version 2") != std::string::npos);
  }
  SECTION("oversized payload") {
    auto doc = valid;
    doc["summary"] = std::string(kMaxPayloadBytes, 'x');
    const auto errors = alert_errors(doc);
    REQUIRE(errors.size() == 1);
    CHECK(errors.front().message.find("exceeds") != std::string::npos);
  }
  SECTION("not JSON at all") {
    const auto errors = decode_alert("{not json").errors;
    REQUIRE(errors.size() == 1);
    CHECK(errors.front().message == "not valid JSON");
  }
  SECTION("alert id must carry the gateway id") {
    auto doc = valid;
    doc["alert_id"] = "gw-2:0a1b2c3d:42";
    CHECK(has_error_on(alert_errors(doc), "alert_id"));
  }
  SECTION("box outside the frame") {
    auto doc = valid;
    doc["box"] = {0.5, 0.5, 1.5, 0.1};
    CHECK(has_error_on(alert_errors(doc), "box[2]"));
  }
  SECTION("timestamp in microseconds is caught") {
    auto doc = valid;
    doc["detected_at_ms"] = 1'795'000'000'123'000LL;
    CHECK(has_error_on(alert_errors(doc), "detected_at_ms"));
  }
  SECTION("wrong message type for the decoder") {
    auto doc = valid;
    doc["type"] = "status";
    CHECK(has_error_on(alert_errors(doc), "type"));
  }
}

TEST_CASE("decode_message checks the topic against the payload", "[wire]") {
  const auto payload = encode(sample_alert());

  SECTION("matching topic decodes to an alert") {
    auto decoded = decode_message("gridwatch/v1/gw-1/alert", payload);
    REQUIRE(decoded.ok());
    CHECK(std::holds_alternative<Alert>(decoded.value->body));
    CHECK(decoded.value->topic.gateway_id == "gw-1");
  }
  SECTION("a gateway publishing for another is rejected") {
    auto decoded = decode_message("gridwatch/v1/gw-2/alert", payload);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.errors.front().field == "gateway_id");
  }
  SECTION("payload decoded by its channel: an alert on the status channel fails") {
    auto decoded = decode_message("gridwatch/v1/gw-1/status", payload);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.errors.front().field == "type");
  }
  SECTION("foreign topics are rejected") {
    CHECK_FALSE(decode_message("other/v1/gw-1/alert", payload).ok());
    CHECK_FALSE(decode_message("gridwatch/v1/gw-1/bogus", payload).ok());
    CHECK_FALSE(decode_message("gridwatch/v1/gw-1/evidence", payload).ok());
  }
}

TEST_CASE("receipts round trip, and bad ones are refused with field errors", "[wire][receipts]") {
  Receipt receipt;
  receipt.gateway_id = "gw-1";
  receipt.accepted = {"gw-1:abcd0123:1", "gw-1:abcd0123:2"};
  receipt.rejected = {{"gw-1:abcd0123:3", "confidence: must be between 0 and 1"}};
  receipt.ts_ms = 1'795'000'000'000;
  const auto decoded = decode_receipt(encode(receipt));
  REQUIRE(decoded.ok());
  CHECK(decoded.value->gateway_id == "gw-1");
  CHECK(decoded.value->accepted == receipt.accepted);
  REQUIRE(decoded.value->rejected.size() == 1);
  CHECK(decoded.value->rejected[0].alert_id == "gw-1:abcd0123:3");
  CHECK(decoded.value->rejected[0].error == "confidence: must be between 0 and 1");
  CHECK(decoded.value->ts_ms == receipt.ts_ms);

  auto errors_of = [](const std::string& payload) { return join_errors(decode_receipt(payload).errors); };
  CHECK(errors_of("[]").find("expected a JSON object") != std::string::npos);
  CHECK(errors_of(R"({"schema":1,"type":"receipt","gateway_id":"gw-1","accepted":[1],"rejected":[],"ts_ms":1})")
            .find("accepted[0]") != std::string::npos);
  CHECK(errors_of(R"({"schema":1,"type":"receipt","gateway_id":"gw-1","accepted":[],"rejected":[{"alert_id":"a b"}],"ts_ms":1})")
            .find("rejected[0]") != std::string::npos);
  CHECK(errors_of(R"({"schema":1,"type":"receipt","gateway_id":"gw-1","accepted":[],"rejected":[],"ts_ms":1,"x":2})")
            .find("x: unknown field") != std::string::npos);
  Receipt huge;
  huge.gateway_id = "gw-1";
  huge.ts_ms = 1;
  huge.accepted.assign(kMaxReceiptIds + 1, "gw-1:abcd0123:1");
  CHECK(errors_of(encode(huge)).find("more than") != std::string::npos);
}
