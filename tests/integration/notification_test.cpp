// Notifiers end to end: a real sensor alarm through a real gateway and
// broker is auto-dispatched by central, which POSTs the order to a real
// HTTP webhook receiver and a real HTTP SMS gateway, retrying through
// failures and across a SIGKILL of central, at least once.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>

#include "tests/integration/daemons.hpp"
#include "tests/support/http_sink.hpp"

using namespace gridwatch;
using namespace std::chrono_literals;

namespace {

std::string dispatch_yaml() {
  return std::string("dispatch:\n  cells_file: ") + GRIDWATCH_SOURCE_DIR +
         "/tests/fixtures/central/grid.geojson\n";
}

std::string notifiers_yaml(const std::string& webhook_url, const std::string& sms_url) {
  return "notifiers:\n"
         "  - {name: log, type: log}\n"
         "  - name: duty-webhook\n"
         "    type: webhook\n"
         "    url: " + webhook_url + "\n"
         "    bearer_token: s3cret\n"
         "    events: [dispatched]\n"
         "    timeout_ms: 1000\n"
         "    retry_min_ms: 200\n"
         "    retry_max_ms: 400\n"
         "  - name: unit-sms\n"
         "    type: sms\n"
         "    url: " + sms_url + "\n"
         "    unit_phones: {county-fire-brigade: \"+8613800000119\"}\n"
         "    retry_min_ms: 200\n"
         "    retry_max_ms: 400\n";
}

}  // namespace

TEST_CASE("an auto-dispatched smoke order reaches the webhook and the duty unit's phone through failures",
          "[integration][notify]") {
  test::MosquittoBroker broker;
  test::Daemons daemons(broker);
  test::HttpSink webhook(/*fail_first=*/2);
  test::HttpSink sms_gateway;
  const int sensor_port = test::free_tcp_port();
  auto sensor = daemons.start_sensor(sensor_port, "flaming", 2.0);
  auto central = daemons.start_central("central", dispatch_yaml() + notifiers_yaml(webhook.url(), sms_gateway.url("/sms/send")));
  test::EdgeOptions edge_options;
  edge_options.sensor_port = sensor_port;
  auto edge = daemons.start_edge(edge_options);

  const bool delivered = test::wait_until([&] { return !webhook.accepted().empty() && !sms_gateway.accepted().empty(); }, 40s);
  INFO("central log:\n" << central->log());
  REQUIRE(delivered);
  const auto incident = daemons.incidents().front();

  // Two 503s, then 200: three attempts at the same notification.
  const auto requests = webhook.requests();
  REQUIRE(requests.size() >= 3);
  CHECK(requests[0].answered == 503);
  CHECK(requests[1].answered == 503);
  CHECK(requests[2].answered == 200);
  CHECK(requests[0].target == "/hook");
  CHECK(requests[0].headers.at("authorization") == "Bearer s3cret");
  CHECK(requests[0].headers.at("content-type") == "application/json");
  CHECK(requests[0].headers.at("idempotency-key") == requests[2].headers.at("idempotency-key"));
  const auto body = nlohmann::json::parse(requests[2].body);
  CHECK(body["event"] == "dispatched");
  CHECK(body["incident_id"] == incident.id);
  CHECK(body["kind"] == "smoke");
  CHECK(body["unit"] == "county-fire-brigade");

  const auto texts = sms_gateway.accepted();
  REQUIRE(texts.size() == 1);
  CHECK(texts[0].target == "/sms/send");
  const auto sms = nlohmann::json::parse(texts[0].body);
  CHECK(sms["to"] == "+8613800000119");
  CHECK(sms["text"].get<std::string>().find("#" + std::to_string(incident.id)) != std::string::npos);
  // Delivered once each: no further attempts after the 200.
  std::this_thread::sleep_for(1s);
  CHECK(webhook.accepted().size() == 1);
  CHECK(sms_gateway.requests().size() == 1);
  CHECK(central->running());
}

TEST_CASE("a notification central could not deliver before it was SIGKILLed is delivered after its restart",
          "[integration][notify]") {
  test::MosquittoBroker broker;
  test::Daemons daemons(broker);
  // Nothing listens on the webhook's port yet: every attempt is refused.
  const int webhook_port = test::free_tcp_port();
  const std::string webhook_url = "http://127.0.0.1:" + std::to_string(webhook_port) + "/hook";
  test::HttpSink sms_gateway;
  const int sensor_port = test::free_tcp_port();
  auto sensor = daemons.start_sensor(sensor_port, "flaming", 2.0);
  const std::string config = dispatch_yaml() + notifiers_yaml(webhook_url, sms_gateway.url("/sms/send"));
  auto central = daemons.start_central("central", config);
  test::EdgeOptions edge_options;
  edge_options.sensor_port = sensor_port;
  auto edge = daemons.start_edge(edge_options);

  const bool failing = test::wait_until(
      [&] { return central->log().find("duty-webhook: notification") != std::string::npos; }, 40s);
  INFO("central log:\n" << central->log());
  REQUIRE(failing);
  central->signal(SIGKILL);
  REQUIRE(central->wait_exit(5s));

  test::HttpSink webhook(0, webhook_port);
  auto restarted = daemons.start_central("central-restarted", config);
  const bool delivered = test::wait_until([&] { return !webhook.accepted().empty(); }, 30s);
  INFO("restarted central log:\n" << restarted->log());
  REQUIRE(delivered);
  const auto body = nlohmann::json::parse(webhook.accepted().front().body);
  CHECK(body["event"] == "dispatched");
  CHECK(body["incident_id"] == daemons.incidents().front().id);
  // Exactly one dispatch order was queued, and it went out once.
  std::this_thread::sleep_for(1s);
  CHECK(webhook.accepted().size() == 1);
}
