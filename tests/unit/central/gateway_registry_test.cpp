// fleet.gateways_file: the registered gateways, read like every config
// (every problem with file:line, unknown keys are errors).
#include <catch2/catch.hpp>

#include "central/gateway_registry.hpp"
#include "common/config_reader.hpp"
#include "tests/support/test_env.hpp"

using namespace gridwatch;
using namespace gridwatch::central;

namespace {

std::string problems_of(const std::string& yaml) {
  try {
    GatewayRegistry::parse(yaml, "gateways.yaml");
  } catch (const ConfigInvalid& invalid) {
    return invalid.errors().to_string();
  }
  return "";
}

}  // namespace

TEST_CASE("the registry lists gateways with position, cameras and sensors", "[registry]") {
  const auto registry = GatewayRegistry::parse(
      "gateways:\n"
      "  - id: gw-ashford-017\n"
      "    lat: 51.1482\n"
      "    lon: 0.8731\n"
      "    cameras: [cam1, cam2]\n"
      "    sensors: [smoke-1]\n"
      "  - id: gw-ashford-018\n",
      "gateways.yaml");
  CHECK(registry.size() == 2);
  CHECK(registry.contains("gw-ashford-017"));
  CHECK_FALSE(registry.contains("gw-ashford-019"));
  const auto* gateway = registry.find("gw-ashford-017");
  REQUIRE(gateway != nullptr);
  CHECK(gateway->lat == Approx(51.1482));
  CHECK(gateway->lon == Approx(0.8731));
  CHECK(gateway->cameras == std::vector<std::string>{"cam1", "cam2"});
  CHECK(gateway->sensors == std::vector<std::string>{"smoke-1"});
  const auto* bare = registry.find("gw-ashford-018");
  REQUIRE(bare != nullptr);
  CHECK_FALSE(bare->lat);
  CHECK(bare->cameras.empty());
  // A deployment with no gateway yet is valid and accepts nobody.
  CHECK(GatewayRegistry::parse("gateways: []\n", "gateways.yaml").size() == 0);
}

TEST_CASE("every problem of the registry is reported with its line", "[registry]") {
  const auto problems = problems_of(
      "gateways:\n"
      "  - id: gw-1\n"          // line 2
      "  - id: gw-1\n"          // 3: twice
      "  - id: gw.bad\n"        // 4: not an id
      "  - id: gw-3\n"
      "    lat: 51.0\n"         // 6: lat without lon
      "  - id: gw-4\n"
      "    camera: [cam1]\n"    // 8: unknown key (typo of cameras)
      "  - id: gw-5\n"
      "    sensors: [ok, \"no good\"]\n"  // 10
      "owner: someone\n");      // 11: unknown top-level key
  INFO(problems);
  CHECK(problems.find("gateways.yaml:3:") != std::string::npos);
  CHECK(problems.find("gateway gw-1 is listed twice") != std::string::npos);
  CHECK(problems.find("gateways.yaml:4:") != std::string::npos);
  CHECK(problems.find("gateways.yaml:6:") != std::string::npos);
  CHECK(problems.find("give both lat and lon, or neither") != std::string::npos);
  CHECK(problems.find("gateways.yaml:8:") != std::string::npos);
  CHECK(problems.find("gateways.yaml:10:") != std::string::npos);
  CHECK(problems.find("gateways.yaml:11:") != std::string::npos);

  CHECK(problems_of("{}\n").find("gateways") != std::string::npos);  // required
}

TEST_CASE("a missing registry file is an error that names it", "[registry]") {
  test::TempDir dir;
  try {
    GatewayRegistry::load(dir.file("gateways.yaml"));
    FAIL("a missing file loaded");
  } catch (const ConfigInvalid& invalid) {
    CHECK(invalid.errors().to_string().find("gateways.yaml") != std::string::npos);
  }
}
