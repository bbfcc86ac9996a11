#include "central/gateway_registry.hpp"

#include <fmt/format.h>

#include "common/config_reader.hpp"
#include "common/ids.hpp"

namespace gridwatch::central {
namespace {

std::vector<std::string> id_list(YamlSection& entry, std::string_view key) {
  std::vector<std::string> ids;
  const auto node = entry.raw(key);
  if (!node.IsDefined() || node.IsNull()) return ids;
  if (!node.IsSequence()) {
    entry.error(key, "must be a list of ids, e.g. [cam1, cam2]");
    return ids;
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    const auto path = fmt::format("{}[{}]", key, i);
    if (!node[i].IsScalar() || !is_valid_id(node[i].Scalar())) {
      entry.error_at(node[i], entry.key_path(path), "must be an id (1-64 of A-Z a-z 0-9 _ -)");
      continue;
    }
    ids.push_back(node[i].Scalar());
  }
  return ids;
}

/// Fills `by_id` from the parsed file; throws ConfigInvalid with every
/// problem found (a missing file or YAML syntax error included).
void read_registry(const std::optional<YAML::Node>& root, const std::string& name, ConfigErrors& errors,
                   std::unordered_map<std::string, RegisteredGateway>& by_id) {
  if (root) {
    YamlSection top(*root, "", name, errors);
    for (auto& entry : top.sections("gateways", Need::required)) {
      RegisteredGateway gateway;
      entry.get_id("id", gateway.id, Need::required);
      if (entry.has("lat") != entry.has("lon")) {
        entry.error(entry.has("lat") ? "lat" : "lon", "give both lat and lon, or neither");
      }
      double lat = 0;
      double lon = 0;
      if (entry.get("lat", lat, -90.0, 90.0) && entry.get("lon", lon, -180.0, 180.0)) {
        gateway.lat = lat;
        gateway.lon = lon;
      }
      gateway.cameras = id_list(entry, "cameras");
      gateway.sensors = id_list(entry, "sensors");
      entry.finish();
      if (gateway.id.empty()) continue;
      if (by_id.count(gateway.id) != 0) {
        entry.error("id", fmt::format("gateway {} is listed twice", gateway.id));
        continue;
      }
      by_id.emplace(gateway.id, std::move(gateway));
    }
    top.finish();
  }
  if (!errors.empty()) throw ConfigInvalid(errors);
}

}  // namespace

GatewayRegistry GatewayRegistry::load(const std::string& path) {
  ConfigErrors errors;
  const auto root = load_yaml_file(path, errors);
  GatewayRegistry registry;
  read_registry(root, path, errors, registry.by_id_);
  registry.source_ = path;
  return registry;
}

GatewayRegistry GatewayRegistry::parse(const std::string& yaml_text, const std::string& name) {
  ConfigErrors errors;
  const auto root = load_yaml_text(yaml_text, name, errors);
  GatewayRegistry registry;
  read_registry(root, name, errors, registry.by_id_);
  registry.source_ = name;
  return registry;
}

const RegisteredGateway* GatewayRegistry::find(const std::string& gateway_id) const {
  const auto found = by_id_.find(gateway_id);
  return found == by_id_.end() ? nullptr : &found->second;
}

}  // namespace gridwatch::central
