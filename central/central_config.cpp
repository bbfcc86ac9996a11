#include "central/central_config.hpp"

#include <vector>

#include "common/logging.hpp"

namespace gridwatch::central {
namespace {

CentralConfig read_root(YAML::Node root, const std::string& name) {
  ConfigErrors errors;
  CentralConfig config;
  config.source_file = name;
  YamlSection top(std::move(root), "", name, errors);
  top.get_id("instance_id", config.instance_id);
  std::vector<std::string> levels;
  for (auto level = log_level_names(); *level != nullptr; ++level) levels.emplace_back(*level);
  top.get_choice("log_level", config.log_level, levels);
  if (auto mqtt = top.section("mqtt")) {
    read_mqtt_settings(*mqtt, config.mqtt);
    if (mqtt->has("shared_group")) mqtt->get_id("shared_group", config.shared_group);
    mqtt->finish();
  }
  if (auto store = top.section("store")) {
    store->get_choice("backend", config.store.backend, {"sqlite"});
    store->get("sqlite_path", config.store.sqlite_path);
    store->finish();
  }
  if (auto http = top.section("http")) {
    http->get("enabled", config.http.enabled);
    http->get("listen_address", config.http.listen_address);
    http->get("port", config.http.port, 0, 65535);
    http->get("max_connections", config.http.max_connections, 1, 100'000);
    http->finish();
  }
  top.get("stats_log_interval_s", config.stats_log_interval_s, 1, 86'400);
  top.finish();
  if (config.mqtt.client_id.empty()) config.mqtt.client_id = "gridwatch-" + config.instance_id;
  if (!errors.empty()) throw ConfigInvalid(std::move(errors));
  return config;
}

}  // namespace

CentralConfig load_central_config(const std::string& path) { return read_root(load_yaml_file_or_throw(path), path); }

CentralConfig parse_central_config(const std::string& yaml_text, const std::string& name) {
  return read_root(load_yaml_text_or_throw(yaml_text, name), name);
}

}  // namespace gridwatch::central
