// Issue 9: the cmd / cmd_result payloads of remote config (docs/protocol.md).
#include <catch2/catch.hpp>

#include "common/wire.hpp"

using namespace gridwatch;

namespace {

bool has_error(const FieldErrors& errors, const std::string& field, const std::string& text) {
  for (const auto& error : errors) {
    if (error.field == field && error.message.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a config push and its result survive an encode/decode round trip", "[wire][commands]") {
  ConfigPush push{"push-01ab", "gw-1", "2026-11-22a", R"([{"id":"cam1","zones":[]}])"};
  const auto decoded = decode_config_push(encode(push));
  REQUIRE(decoded.ok());
  CHECK(decoded.value->command_id == "push-01ab");
  CHECK(decoded.value->gateway_id == "gw-1");
  CHECK(decoded.value->config_version == "2026-11-22a");
  CHECK(decoded.value->cameras_json == R"([{"id":"cam1","zones":[]}])");

  CommandResult result{"push-01ab", "gw-1", false, "local", {{"cameras[0].id", "duplicate camera id \"cam1\""}},
                       1795336182000};
  const auto back = decode_command_result(encode(result));
  REQUIRE(back.ok());
  CHECK_FALSE(back.value->ok);
  CHECK(back.value->config_version == "local");
  REQUIRE(back.value->errors.size() == 1);
  CHECK(back.value->errors[0].field == "cameras[0].id");
  CHECK(back.value->errors[0].message == "duplicate camera id \"cam1\"");
}

TEST_CASE("a config push with bad fields is rejected field by field", "[wire][commands]") {
  const auto decoded = decode_config_push(
      R"({"schema":1,"type":"config_push","command_id":"a b","gateway_id":"gw-1","config_version":"",)"
      R"("cameras":{"id":"cam1"},"extra":1})");
  CHECK_FALSE(decoded.ok());
  CHECK(has_error(decoded.errors, "command_id", "A-Z a-z 0-9"));
  CHECK(has_error(decoded.errors, "config_version", "must not be empty"));
  CHECK(has_error(decoded.errors, "cameras", "expected a list of cameras"));
  CHECK(has_error(decoded.errors, "extra", "unknown field"));
  CHECK_FALSE(decode_config_push(R"({"schema":1,"type":"alert"})").ok());
  CHECK_FALSE(decode_config_push(std::string(kMaxCommandPayloadBytes + 1, ' ')).ok());
}

TEST_CASE("telemetry carries the config version only when set", "[wire][commands]") {
  Telemetry telemetry;
  telemetry.gateway_id = "gw-1";
  telemetry.boot_id = "b";
  telemetry.ts_ms = 1795336182000;
  CHECK(encode(telemetry).find("config_version") == std::string::npos);
  telemetry.config_version = "v2";
  const auto decoded = decode_telemetry(encode(telemetry));
  REQUIRE(decoded.ok());
  CHECK(decoded.value->config_version == "v2");
}
