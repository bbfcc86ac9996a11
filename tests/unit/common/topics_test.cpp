#include <catch2/catch.hpp>

#include "common/ids.hpp"
#include "common/topics.hpp"

using namespace gridwatch;

TEST_CASE("topics are built and parsed symmetrically", "[topics]") {
  for (auto channel : {Channel::alert, Channel::status, Channel::telemetry, Channel::evidence, Channel::cmd,
                       Channel::cmd_result}) {
    const auto topic = make_topic("gw-7", channel);
    const auto parsed = parse_topic(topic);
    REQUIRE(parsed.has_value());
    CHECK(parsed->gateway_id == "gw-7");
    CHECK(parsed->channel == channel);
  }
  CHECK(make_topic("gw-7", Channel::alert) == "gridwatch/v1/gw-7/alert");
  CHECK(all_gateways_filter(Channel::status) == "gridwatch/v1/+/status");
}

TEST_CASE("topic parsing refuses what a per-gateway ACL could not pin down", "[topics]") {
  CHECK_FALSE(parse_topic("gridwatch/v1/+/alert"));
  CHECK_FALSE(parse_topic("gridwatch/v1/gw 1/alert"));
  CHECK_FALSE(parse_topic("gridwatch/v1/gw-1/alert/extra"));
  CHECK_FALSE(parse_topic("gridwatch/v2/gw-1/alert"));
  CHECK_FALSE(parse_topic("gridwatch/v1//alert"));
}

TEST_CASE("only status is retained, and everything is QoS 1", "[topics]") {
  CHECK(policy_for(Channel::status).retain);
  CHECK_FALSE(policy_for(Channel::alert).retain);
  CHECK(policy_for(Channel::alert).qos == 1);
  CHECK(policy_for(Channel::telemetry).qos == 1);
}

TEST_CASE("ids", "[ids]") {
  CHECK(is_valid_id("gw-01_a"));
  CHECK_FALSE(is_valid_id(""));
  CHECK_FALSE(is_valid_id("a/b"));
  CHECK_FALSE(is_valid_id("a+b"));
  CHECK_FALSE(is_valid_id(std::string(65, 'a')));
  CHECK(is_valid_message_id("gw-1:abcd:17"));
  CHECK(random_hex(4).size() == 8);
  CHECK(random_hex(8) != random_hex(8));
}

TEST_CASE("receipts go under the gateway's cmd subtree, which its one subscription covers", "[topics][receipts]") {
  CHECK(receipt_topic("gw-7") == "gridwatch/v1/gw-7/cmd/receipt");
  CHECK(command_filter("gw-7") == "gridwatch/v1/gw-7/cmd/#");
  // Not a v1 channel topic: ingest never takes a receipt for gateway traffic.
  CHECK_FALSE(parse_topic(receipt_topic("gw-7")).has_value());
}
