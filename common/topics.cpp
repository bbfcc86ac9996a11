#include "common/topics.hpp"

#include <array>
#include <utility>

#include "common/ids.hpp"

namespace gridwatch {
namespace {

constexpr std::array<std::pair<Channel, std::string_view>, 6> kChannelNames{{
    {Channel::alert, "alert"},
    {Channel::status, "status"},
    {Channel::telemetry, "telemetry"},
    {Channel::evidence, "evidence"},
    {Channel::cmd, "cmd"},
    {Channel::cmd_result, "cmd_result"},
}};

}  // namespace

std::string_view to_string(Channel channel) {
  for (const auto& [value, name] : kChannelNames) {
    if (value == channel) return name;
  }
  return "unknown";
}

std::optional<Channel> channel_from_string(std::string_view text) {
  for (const auto& [value, name] : kChannelNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

ChannelPolicy policy_for(Channel channel) {
  switch (channel) {
    case Channel::status:
      // Retained so central (and an installer with mosquitto_sub) sees the
      // last known presence at once; the Last Will carries "offline".
      return {1, true};
    case Channel::alert:
    case Channel::telemetry:
    case Channel::evidence:
    case Channel::cmd:
    case Channel::cmd_result:
      return {1, false};
  }
  return {1, false};
}

std::string make_topic(std::string_view gateway_id, Channel channel) {
  std::string topic(kTopicRoot);
  topic += '/';
  topic += gateway_id;
  topic += '/';
  topic += to_string(channel);
  return topic;
}

std::optional<ParsedTopic> parse_topic(std::string_view topic) {
  const std::string prefix = std::string(kTopicRoot) + "/";
  if (topic.substr(0, prefix.size()) != prefix) return std::nullopt;
  topic.remove_prefix(prefix.size());
  const auto slash = topic.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto gateway = topic.substr(0, slash);
  const auto channel = channel_from_string(topic.substr(slash + 1));
  if (!is_valid_id(gateway) || !channel) return std::nullopt;
  return ParsedTopic{std::string(gateway), *channel};
}

std::string all_gateways_filter(Channel channel) {
  return std::string(kTopicRoot) + "/+/" + std::string(to_string(channel));
}

std::string receipt_topic(std::string_view gateway_id) { return make_topic(gateway_id, Channel::cmd) + "/receipt"; }

std::string command_filter(std::string_view gateway_id) { return make_topic(gateway_id, Channel::cmd) + "/#"; }

}  // namespace gridwatch
