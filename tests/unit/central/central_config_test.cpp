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
