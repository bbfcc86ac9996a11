#include "central/gateway_registry.hpp"

#include <fmt/format.h>
#include <malloc.h>

#include <unordered_set>

#include "common/config_reader.hpp"
#include "common/ids.hpp"

namespace gridwatch::central {
namespace {

/// The gateways of the parsed file, in file order; throws ConfigInvalid
/// with every problem found (a missing file or YAML syntax error included).
std::vector<RegisteredGateway> read_registry(const std::optional<YAML::Node>& root, const std::string& name,
                                             ConfigErrors& errors) {
  std::vector<RegisteredGateway> gateways;
  std::unordered_set<std::string> seen;
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
      entry.get_list("cameras", gateway.cameras, YamlSection::an_id());
      entry.get_list("sensors", gateway.sensors, YamlSection::an_id());
      entry.finish();
      if (gateway.id.empty()) continue;
      if (!seen.insert(gateway.id).second) {
        entry.error("id", fmt::format("gateway {} is listed twice", gateway.id));
        continue;
      }
      gateways.push_back(std::move(gateway));
    }
    top.finish();
  }
  if (!errors.empty()) throw ConfigInvalid(errors);
  return gateways;
}

}  // namespace

GatewayRegistry GatewayRegistry::load(const std::string& path) {
  std::vector<RegisteredGateway> gateways;
  {
    ConfigErrors errors;
    const auto root = load_yaml_file(path, errors);
    gateways = read_registry(root, path, errors);
  }
  // yaml-cpp's node graph takes a few KiB per entry. Built while it lived,
  // the map's nodes would sit scattered among its freed pages and pin them
  // (~50 MiB resident for 10,000 gateways); built now, after the graph is
  // gone and its pages handed back, the registry stays compact.
  ::malloc_trim(0);
  return GatewayRegistry(std::move(gateways), path);
}

GatewayRegistry GatewayRegistry::parse(const std::string& yaml_text, const std::string& name) {
  ConfigErrors errors;
  const auto root = load_yaml_text(yaml_text, name, errors);
  return GatewayRegistry(read_registry(root, name, errors), name);
}

GatewayRegistry::GatewayRegistry(std::vector<RegisteredGateway> gateways, std::string source)
    : source_(std::move(source)) {
  by_id_.reserve(gateways.size());
  for (auto& gateway : gateways) {
    auto id = gateway.id;
    by_id_.emplace(std::move(id), std::move(gateway));
  }
}

const RegisteredGateway* GatewayRegistry::find(const std::string& gateway_id) const {
  const auto found = by_id_.find(gateway_id);
  return found == by_id_.end() ? nullptr : &found->second;
}

}  // namespace gridwatch::central
