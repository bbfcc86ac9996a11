#include "simulators/fleet/fleet_scenario.hpp"

#include "common/config_reader.hpp"

namespace gridwatch::sim {
namespace {

const std::vector<std::string> kModes{"poisson", "bursty", "storm"};

class FleetReader {
 public:
  FleetReader(YAML::Node root, std::string file, ConfigErrors& errors) : root_(std::move(root), "", file, errors) {
    spec_.source_file = std::move(file);
  }

  FleetSpec read() {
    root_.get_id("name", spec_.name, Need::required);
    root_.get("purpose", spec_.purpose, Need::required);
    if (root_.has("purpose") && spec_.purpose.empty()) root_.error("purpose", "must not be empty");
    std::int64_t seed = 1;
    if (root_.get("seed", seed, 0, std::int64_t{1} << 53)) spec_.seed = static_cast<std::uint64_t>(seed);
    root_.get("gateways", spec_.gateways, 1, 100'000, Need::required);
    root_.get_id("id_prefix", spec_.id_prefix);
    if (spec_.id_prefix.size() > 50) root_.error("id_prefix", "must be at most 50 characters (gateway ids add a number)");
    root_.get("duration_s", spec_.duration_s, 1, 24 * 3600, Need::required);
    root_.get("connect_rate_per_s", spec_.connect_rate_per_s, 1, 100'000);
    root_.get("heartbeat_s", spec_.heartbeat_s, 0, 3600);
    if (spec_.heartbeat_s > 0 && spec_.heartbeat_s < 1) root_.error("heartbeat_s", "must be 0 (none) or at least 1");
    root_.get("centre_lat", spec_.centre_lat, -89, 89);
    root_.get("centre_lon", spec_.centre_lon, -179, 179);
    if (auto arrival = root_.section("arrival", Need::required)) read_arrival(*arrival);
    if (auto kinds = root_.section("kinds")) read_kinds(*kinds);
    root_.finish();
    return spec_;
  }

 private:
  void read_arrival(YamlSection& arrival) {
    std::string mode = "poisson";
    arrival.get_choice("mode", mode, kModes, Need::required);
    spec_.mode = mode == "bursty" ? ArrivalMode::bursty : mode == "storm" ? ArrivalMode::storm : ArrivalMode::poisson;
    arrival.get("rate_per_gateway_h", spec_.rate_per_gateway_h, 0, 36'000);
    if (auto burst = arrival.section("burst")) {
      if (spec_.mode != ArrivalMode::bursty) arrival.error("burst", "only for mode: bursty");
      burst->get("on_mean_s", spec_.burst_on_mean_s, 0.1, 3600);
      burst->get("off_mean_s", spec_.burst_off_mean_s, 0.1, 24 * 3600);
      burst->get("rate_per_gateway_h", spec_.burst_rate_per_gateway_h, 0, 360'000);
      burst->finish();
    }
    if (auto storm = arrival.section("storm")) {
      if (spec_.mode != ArrivalMode::storm) arrival.error("storm", "only for mode: storm");
      storm->get("at_s", spec_.storm_at_s, 0, spec_.duration_s);
      storm->get("ramp_s", spec_.storm_ramp_s, 0.001, 3600);
      storm->get("fraction", spec_.storm_fraction, 0, 1);
      storm->get("alerts_per_gateway", spec_.storm_alerts_per_gateway, 1, 100);
      storm->finish();
    }
    arrival.finish();
  }

  void read_kinds(YamlSection& kinds) {
    spec_.kinds.clear();
    for (const auto& name : {"smoke", "fire", "parking", "tamper", "sensor_fault", "camera_fault"}) {
      double weight = 0;
      if (kinds.get(name, weight, 0, 1000)) spec_.kinds[name] = weight;
    }
    double total = 0;
    for (const auto& [kind, weight] : spec_.kinds) total += weight;
    if (total <= 0) root_.error("kinds", "at least one kind needs a positive weight");
    kinds.finish();
  }

  YamlSection root_;
  FleetSpec spec_;
};

}  // namespace

std::string to_string(ArrivalMode mode) {
  switch (mode) {
    case ArrivalMode::poisson:
      return "poisson";
    case ArrivalMode::bursty:
      return "bursty";
    case ArrivalMode::storm:
      return "storm";
  }
  return "poisson";
}

FleetSpec load_fleet_scenario(const std::string& path) {
  ConfigErrors errors;
  auto root = load_yaml_file(path, errors);
  if (!root) throw ConfigInvalid(std::move(errors));
  auto spec = FleetReader(*root, path, errors).read();
  if (!errors.empty()) throw ConfigInvalid(std::move(errors));
  return spec;
}

FleetSpec parse_fleet_scenario(const std::string& yaml_text, const std::string& name) {
  ConfigErrors errors;
  auto root = load_yaml_text(yaml_text, name, errors);
  if (!root) throw ConfigInvalid(std::move(errors));
  auto spec = FleetReader(*root, name, errors).read();
  if (!errors.empty()) throw ConfigInvalid(std::move(errors));
  return spec;
}

}  // namespace gridwatch::sim
