#include "central/config_push.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/ids.hpp"
#include "common/mqtt/mqtt_client.hpp"
#include "common/topics.hpp"
#include "common/wire.hpp"

namespace gridwatch::central {
namespace {

using nlohmann::json;

json scalar_to_json(const YAML::Node& node) {
  const auto& text = node.Scalar();
  if (node.Tag() != "?") return text;  // quoted: always a string
  if (text == "null" || text == "~" || text.empty()) return nullptr;
  if (text == "true" || text == "false") return text == "true";
  try {
    std::size_t used = 0;
    const long long integer = std::stoll(text, &used);
    if (used == text.size()) return integer;
    const double number = std::stod(text, &used);
    if (used == text.size()) return number;
  } catch (const std::exception&) {
  }
  return text;
}

json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: {
      json list = json::array();
      for (const auto& item : node) list.push_back(to_json(item));
      return list;
    }
    case YAML::NodeType::Map: {
      json object = json::object();
      for (const auto& entry : node) object[entry.first.Scalar()] = to_json(entry.second);
      return object;
    }
    case YAML::NodeType::Scalar:
      return scalar_to_json(node);
    default:
      return nullptr;
  }
}

}  // namespace

std::string cameras_yaml_to_json(const std::string& yaml_text, const std::string& name) {
  auto root = load_yaml_text_or_throw(yaml_text, name);
  if (root.IsMap() && root["cameras"]) root = root["cameras"];
  if (!root.IsSequence()) {
    ConfigErrors errors;
    errors.add({name, root.Mark().line + 1, root.Mark().column + 1, "cameras",
                "expected a `cameras:` list (the same keys as in edge.yaml)"});
    throw ConfigInvalid(std::move(errors));
  }
  return to_json(root).dump();
}

int push_camera_config(const CentralConfig& config, const ConfigPushRequest& request, std::ostream& out) {
  if (!is_valid_id(request.gateway_id)) {
    out << "--gateway: \"" << request.gateway_id << "\" is not a gateway id\n";
    return 2;
  }
  ConfigPush push;
  push.command_id = "push-" + random_hex(6);
  push.gateway_id = request.gateway_id;
  push.config_version = request.config_version;
  try {
    std::ifstream in(request.cameras_file);
    if (!in) {
      out << request.cameras_file << ": cannot read\n";
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    push.cameras_json = cameras_yaml_to_json(text.str(), request.cameras_file);
  } catch (const ConfigInvalid& invalid) {
    out << invalid.errors().to_string();
    return 2;
  }
  const auto payload = encode(push);
  if (payload.size() > kMaxCommandPayloadBytes) {
    out << request.cameras_file << ": " << payload.size() << " bytes, over the " << kMaxCommandPayloadBytes
        << " byte command limit\n";
    return 2;
  }

  // A short-lived session of its own, beside the running service's.
  auto options = to_client_options(config.mqtt);
  options.client_id = "gridwatch-" + config.instance_id + "-push";
  options.clean_start = true;
  options.session_expiry_s = 0;
  boost::asio::io_context io;
  std::unique_ptr<mqtt::Client> client;
  std::optional<CommandResult> verdict;
  bool sent = false;
  std::string last_problem;
  mqtt::Handlers handlers;
  handlers.on_connected = [&](bool) {
    if (sent) return;
    client->publish({make_topic(push.gateway_id, Channel::cmd), payload, 1, false}, [&](bool delivered) {
      if (!delivered) {
        last_problem = "the broker did not accept the command (not authorised for this gateway's cmd topic?)";
        io.stop();
      }
    });
    sent = true;
  };
  handlers.on_disconnected = [&](const std::string& reason) { last_problem = reason; };
  handlers.on_message = [&](mqtt::Message message) {
    auto decoded = decode_command_result(message.payload);
    if (!decoded.ok()) {
      spdlog::warn("ignoring an invalid cmd_result: {}", join_errors(decoded.errors));
      return;
    }
    if (decoded.value->command_id != push.command_id) return;  // an older command's answer
    verdict = std::move(decoded.value);
    io.stop();
  };
  client = mqtt::make_paho_client(io, options, std::move(handlers));
  client->subscribe(make_topic(push.gateway_id, Channel::cmd_result), 1);
  // Paho's callbacks arrive from its own threads: without the guard the
  // io_context has no work yet and run_for() would return at once.
  const auto keep_running = boost::asio::make_work_guard(io);
  client->start();
  io.run_for(std::chrono::seconds(request.timeout_s));
  client->stop(std::nullopt, 2000);

  if (!verdict) {
    out << fmt::format("no answer from {} within {} s{}\n", push.gateway_id, request.timeout_s,
                       last_problem.empty() ? "" : " (" + last_problem + ")");
    if (sent) out << "command " << push.command_id << " stays queued for the gateway; it applies it when it connects\n";
    return 3;
  }
  if (verdict->ok) {
    out << fmt::format("{}: camera config {} applied (command {})\n", push.gateway_id, verdict->config_version,
                       push.command_id);
    return 0;
  }
  out << fmt::format("{}: config {} refused, still running {} (command {}):\n", push.gateway_id, push.config_version,
                     verdict->config_version, push.command_id);
  for (const auto& error : verdict->errors) out << "  " << (error.field.empty() ? "(config)" : error.field) << ": " << error.message << '\n';
  return 1;
}

}  // namespace gridwatch::central
