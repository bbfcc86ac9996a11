#include <catch2/catch.hpp>

#include "central/central_config.hpp"
#include "central/central_service.hpp"

using namespace gridwatch;
using namespace gridwatch::central;

TEST_CASE("the shipped central example config is valid", "[central-config]") {
  const auto config = load_central_config(std::string(GRIDWATCH_SOURCE_DIR) + "/config/central.example.yaml");
  CHECK(config.instance_id == "central-1");
  CHECK(config.mqtt.client_id == "gridwatch-central-1");
  CHECK(config.shared_group.empty());  // one instance: plain subscriptions
  CHECK(config.fleet.gateways_file == "/etc/gridwatch/gateways.yaml");
}

TEST_CASE("the shipped gateways example is a valid registry", "[central-config][registry]") {
  const auto registry = GatewayRegistry::load(std::string(GRIDWATCH_SOURCE_DIR) + "/config/gateways.example.yaml");
  CHECK(registry.contains("gw-demo-01"));
}

TEST_CASE("central config errors list every problem", "[central-config]") {
  try {
    parse_central_config("store: {backend: oracle}\nmqtt: {shared_group: a/b}\nbogus: 1\n", "central.yaml");
    FAIL("expected ConfigInvalid");
  } catch (const ConfigInvalid& invalid) {
    const auto text = invalid.errors().to_string();
    CHECK(invalid.errors().size() == 3);
    CHECK(text.find("central.yaml:1:18: store.backend: \"oracle\" is not one of: sqlite, postgres") != std::string::npos);
    CHECK(text.find("mqtt.shared_group") != std::string::npos);
    CHECK(text.find("central.yaml:3:1: bogus: unknown key") != std::string::npos);
  }
}

TEST_CASE("a single central subscribes plainly", "[central-config]") {
  const auto filters = central_subscriptions("");
  REQUIRE(filters.size() == 4);
  CHECK(filters[0] == "gridwatch/v1/+/alert");
  CHECK(filters[3] == "gridwatch/v1/+/evidence");
}

TEST_CASE("several centrals split the stream through an MQTT v5 shared subscription", "[central-config]") {
  const auto filters = central_subscriptions("g1");
  REQUIRE(filters.size() == 4);
  CHECK(filters[0] == "$share/g1/gridwatch/v1/+/alert");
  CHECK(filters[1] == "$share/g1/gridwatch/v1/+/status");
  CHECK(filters[2] == "$share/g1/gridwatch/v1/+/telemetry");
  CHECK(filters[3] == "$share/g1/gridwatch/v1/+/evidence");
}

TEST_CASE("the postgres store needs a conninfo libpq can parse", "[central-config]") {
  const auto config = parse_central_config(
      "store:\n  backend: postgres\n  postgres_conninfo: \"host=db1 dbname=gridwatch password=s3cret\"\n", "c.yaml");
  CHECK(config.store.backend == "postgres");
  CHECK(config.store.postgres_conninfo == "host=db1 dbname=gridwatch password=s3cret");
  CHECK(store_location(config.store).find("s3cret") == std::string::npos);
  CHECK(store_location(config.store).find("host=db1") != std::string::npos);
  CHECK(store_location(StoreSettings{}) == "SQLite /var/lib/gridwatch/central.db");
  try {
    parse_central_config("store:\n  backend: postgres\n", "a.yaml");
    FAIL("expected ConfigInvalid");
  } catch (const ConfigInvalid& invalid) {
    CHECK_THAT(invalid.errors().to_string(),
               Catch::Contains("a.yaml:2:3: store.backend: postgres needs store.postgres_conninfo"));
  }
  try {
    parse_central_config("store:\n  backend: postgres\n  postgres_conninfo: \"hots=db1\"\n", "b.yaml");
    FAIL("expected ConfigInvalid");
  } catch (const ConfigInvalid& invalid) {
    CHECK(invalid.errors().size() == 1);
    CHECK_THAT(invalid.errors().to_string(),
               Catch::Contains("b.yaml:3:3: store.postgres_conninfo: not a libpq connection string") &&
                   Catch::Contains("hots"));
  }
}

TEST_CASE("notifiers default to the log and are checked key by key", "[central-config][notify]") {
  CHECK(parse_central_config("", "empty.yaml").notifiers.size() == 1);
  CHECK(parse_central_config("", "empty.yaml").notifiers[0].type == "log");
  const auto config = parse_central_config(
      "notifiers:\n"
      "  - name: hook\n"
      "    type: webhook\n"
      "    url: http://127.0.0.1:8088/gridwatch\n"
      "    events: [dispatched, escalated]\n"
      "    kinds: [smoke, fire]\n"
      "  - name: sms\n"
      "    type: sms\n"
      "    url: http://10.0.0.9/send\n"
      "    unit_phones: {traffic-1: \"+8613800000001\"}\n"
      "    text_vehicle_owner: true\n"
      "    owner_phones: {A12345: \"13900000002\"}\n",
      "good.yaml");
  REQUIRE(config.notifiers.size() == 2);  // the default log is replaced
  CHECK(config.notifiers[0].events == std::vector<std::string>{"dispatched", "escalated"});
  CHECK(config.notifiers[1].unit_phones.at("traffic-1") == "+8613800000001");
  CHECK(config.notifiers[1].owner_phones.at("A12345") == "13900000002");

  try {
    parse_central_config(
        "notifiers:\n"
        "  - name: hook\n"
        "    type: webhook\n"
        "    url: https://example.org/hook\n"
        "    events: [dispatched, exploded]\n"
        "  - name: hook\n"
        "    type: pager\n"
        "  - name: sms\n"
        "    type: sms\n"
        "    url: http://10.0.0.9/send\n"
        "    unit_phones: {traffic-1: call-me}\n"
        "    colour: red\n",
        "bad.yaml");
    FAIL("expected ConfigInvalid");
  } catch (const ConfigInvalid& invalid) {
    const auto text = invalid.errors().to_string();
    CHECK(text.find("bad.yaml:4:") != std::string::npos);
    CHECK(text.find("https is not supported") != std::string::npos);
    CHECK(text.find("bad.yaml:5:") != std::string::npos);
    CHECK(text.find("\"exploded\" is not one of") != std::string::npos);
    CHECK(text.find("type: \"pager\" is not one of: log, webhook, sms") != std::string::npos);
    CHECK(text.find("another notifier is already called 'hook'") != std::string::npos);
    CHECK(text.find("notifiers[2].unit_phones.traffic-1") != std::string::npos);
    CHECK(text.find("bad.yaml:12:") != std::string::npos);  // colour: unknown key
  }
}

TEST_CASE("cross-cue correlation is on by default and its limits are checked", "[central-config][correlation]") {
  const auto defaults = parse_central_config("", "empty.yaml").correlation;
  CHECK(defaults.enabled);
  CHECK(defaults.radius_m == 300);
  CHECK(defaults.window_ms == 300'000);
  CHECK(parse_central_config("correlation: {radius_m: 500, window_ms: 60000}\n", "c.yaml").correlation.radius_m == 500);
  try {
    parse_central_config("correlation:\n  radius_m: 0\n", "c.yaml");
    FAIL("expected ConfigInvalid");
  } catch (const ConfigInvalid& invalid) {
    CHECK(invalid.errors().to_string().find("c.yaml:2:") != std::string::npos);
    CHECK(invalid.errors().to_string().find("correlation.radius_m") != std::string::npos);
  }
}
