#pragma once
// The MQTT topic tree of wire contract v1 (docs/protocol.md):
//   gridwatch/v1/{gateway_id}/{channel}
// The gateway id is a topic level so a broker ACL can pin each gateway to
// its own subtree (pattern write gridwatch/v1/%u/#).
#include <optional>
#include <string>
#include <string_view>

namespace gridwatch {

enum class Channel { alert, status, telemetry, evidence, cmd, cmd_result };

inline constexpr std::string_view kTopicRoot = "gridwatch/v1";

std::string_view to_string(Channel channel);
std::optional<Channel> channel_from_string(std::string_view text);

/// QoS and retain flag that wire contract v1 fixes for each channel.
struct ChannelPolicy {
  int qos;
  bool retain;
};
ChannelPolicy policy_for(Channel channel);

std::string make_topic(std::string_view gateway_id, Channel channel);

struct ParsedTopic {
  std::string gateway_id;
  Channel channel;
};

/// nullopt when the topic is not a v1 GridWatch topic with a valid gateway id.
std::optional<ParsedTopic> parse_topic(std::string_view topic);

/// Filter matching every gateway's messages on one channel, e.g. gridwatch/v1/+/alert.
std::string all_gateways_filter(Channel channel);

/// Central -> gateway: delivery receipts for committed alerts,
/// gridwatch/v1/{gateway_id}/cmd/receipt (docs/protocol.md, "Receipts").
/// A sub-level of cmd, so that the one cmd subscription and ACL grant
/// cover config pushes and receipts alike.
std::string receipt_topic(std::string_view gateway_id);
/// What a gateway subscribes to: its cmd topic and every level below it
/// (gridwatch/v1/{gateway_id}/cmd/#, which MQTT matches to .../cmd too).
std::string command_filter(std::string_view gateway_id);

}  // namespace gridwatch
