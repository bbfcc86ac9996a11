// Which channels take a notification, with which target and body; the
// retry schedule; webhook URL checks.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "central/core/notification_plan.hpp"

using namespace gridwatch::central;

namespace {

NotifierSettings channel(const std::string& name, const std::string& type) {
  NotifierSettings out;
  out.name = name;
  out.type = type;
  out.url = "http://127.0.0.1:9/hook";
  return out;
}

Notification dispatched_parking() {
  Notification n;
  n.incident_id = 42;
  n.event = "dispatched";
  n.kind = "parking";
  n.level = "grid";
  n.department = "traffic";
  n.unit = "market-grid-warden";
  n.text = "parking at 30.61000,104.01000 (minor)";
  n.at_ms = 1'700'000'000'000;
  return n;
}

}  // namespace

TEST_CASE("every matching channel gets one delivery, filtered by event and kind", "[notify]") {
  auto fire_only = channel("fire-hook", "webhook");
  fire_only.kinds = {"smoke", "fire"};
  auto escalations = channel("escalations", "webhook");
  escalations.events = {"escalated"};
  const std::vector<NotifierSettings> channels{channel("log", "log"), channel("all-hook", "webhook"), fire_only,
                                               escalations};
  const auto planned = plan_notifications(channels, dispatched_parking());
  REQUIRE(planned.size() == 2);
  CHECK(planned[0].channel == "log");
  CHECK(planned[0].target == "log");
  CHECK(planned[1].channel == "all-hook");
  CHECK(planned[1].target == "http://127.0.0.1:9/hook");
  const auto body = nlohmann::json::parse(planned[1].body);
  CHECK(body["event"] == "dispatched");
  CHECK(body["incident_id"] == 42);
  CHECK(body["unit"] == "market-grid-warden");
  CHECK(body["at"] == "2023-11-14T22:13:20.000Z");
  CHECK_FALSE(body.contains("plate"));
}

TEST_CASE("sms goes to the duty unit's phone, and to a registered vehicle owner once", "[notify]") {
  auto sms = channel("sms", "sms");
  sms.unit_phones = {{"market-grid-warden", "+8613800000001"}};
  sms.text_vehicle_owner = true;
  sms.owner_phones = {{"A12345", "+8613900000002"}};
  auto notification = dispatched_parking();

  SECTION("no plate: the unit only") {
    const auto planned = plan_notifications({sms}, notification);
    REQUIRE(planned.size() == 1);
    CHECK(planned[0].target == "+8613800000001");
    CHECK(nlohmann::json::parse(planned[0].body)["to"] == "+8613800000001");
  }
  SECTION("a registered plate: the unit and the owner") {
    notification.plate = "A12345";
    const auto planned = plan_notifications({sms}, notification);
    REQUIRE(planned.size() == 2);
    CHECK(planned[1].target == "+8613900000002");
    const auto text = nlohmann::json::parse(planned[1].body)["text"].get<std::string>();
    CHECK(text.find("A12345") != std::string::npos);
    CHECK(text.find("market-grid-warden") == std::string::npos);  // no internal routing to the public
  }
  SECTION("an unregistered plate, or a later event: no owner text") {
    notification.plate = "B99999";
    CHECK(plan_notifications({sms}, notification).size() == 1);
    notification.plate = "A12345";
    notification.event = "escalated";
    notification.unit = "east-village-committee";  // no phone for it
    CHECK(plan_notifications({sms}, notification).empty());
  }
  SECTION("owner texting off") {
    sms.text_vehicle_owner = false;
    notification.plate = "A12345";
    CHECK(plan_notifications({sms}, notification).size() == 1);
  }
}

TEST_CASE("retries back off by doubling up to the cap", "[notify]") {
  auto hook = channel("hook", "webhook");
  hook.retry_min_ms = 1000;
  hook.retry_max_ms = 5000;
  CHECK(retry_delay_ms(hook, 1) == 1000);
  CHECK(retry_delay_ms(hook, 2) == 2000);
  CHECK(retry_delay_ms(hook, 3) == 4000);
  CHECK(retry_delay_ms(hook, 4) == 5000);
  CHECK(retry_delay_ms(hook, 400) == 5000);
}

TEST_CASE("webhook URLs are http://host[:port]/path", "[notify]") {
  std::string error;
  auto url = parse_http_url("http://relay.local:8088/gridwatch/hook?x=1", error);
  REQUIRE(url);
  CHECK(url->host == "relay.local");
  CHECK(url->port == "8088");
  CHECK(url->target == "/gridwatch/hook?x=1");
  url = parse_http_url("http://10.0.0.5", error);
  REQUIRE(url);
  CHECK(url->port == "80");
  CHECK(url->target == "/");
  CHECK_FALSE(parse_http_url("https://x/", error));
  CHECK(error.find("https") != std::string::npos);
  CHECK_FALSE(parse_http_url("ftp://x/", error));
  CHECK_FALSE(parse_http_url("http://x:99999/", error));
  CHECK(error.find("99999") != std::string::npos);
  CHECK_FALSE(parse_http_url("http://:80/", error));
}
