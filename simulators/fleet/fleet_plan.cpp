#include "simulators/fleet/fleet_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "simulators/splitmix.hpp"

namespace gridwatch::sim {
namespace {

// Exponential gaps drawn from uniforms by inversion, not through
// std::exponential_distribution, so the plan depends only on mt19937_64
// (fixed by the standard), never on a library's distribution code.
double uniform01(std::mt19937_64& random) { return unit_interval(random()); }
double exponential(std::mt19937_64& random, double mean) { return -mean * std::log1p(-uniform01(random)); }

Severity severity_of(AlertKind kind) {
  switch (kind) {
    case AlertKind::fire:
      return Severity::extreme;
    case AlertKind::smoke:
      return Severity::severe;
    case AlertKind::parking:
      return Severity::minor;
    default:
      return Severity::moderate;
  }
}

class KindPicker {
 public:
  explicit KindPicker(const std::map<std::string, double>& weights) {
    for (const auto& [name, weight] : weights) {
      if (weight <= 0) continue;
      total_ += weight;
      cumulative_.emplace_back(total_, *alert_kind_from_string(name));
    }
  }
  AlertKind pick(std::mt19937_64& random) const {
    const double draw = uniform01(random) * total_;
    for (const auto& [edge, kind] : cumulative_) {
      if (draw < edge) return kind;
    }
    return cumulative_.back().second;
  }

 private:
  double total_ = 0;
  std::vector<std::pair<double, AlertKind>> cumulative_;
};

// Poisson arrivals at `rate_per_h` in [from_s, to_s).
void poisson(std::mt19937_64& random, double rate_per_h, double from_s, double to_s, std::vector<double>& out) {
  if (rate_per_h <= 0) return;
  const double mean_gap = 3600.0 / rate_per_h;
  for (double t = from_s + exponential(random, mean_gap); t < to_s; t += exponential(random, mean_gap)) {
    out.push_back(t);
  }
}

}  // namespace

std::string FleetPlan::alert_id(const PlannedAlert& alert) const {
  return fmt::format("{}:{}:{}", gateways[alert.gateway].id, run_id, alert.seq);
}

Alert FleetPlan::make_alert(const PlannedAlert& planned, EpochMs detected_at_ms) const {
  const auto& gateway = gateways[planned.gateway];
  Alert alert;
  alert.alert_id = alert_id(planned);
  alert.gateway_id = gateway.id;
  alert.seq = planned.seq;
  alert.episode_id = alert.alert_id;
  alert.phase = Phase::start;
  alert.kind = planned.kind;
  alert.severity = severity_of(planned.kind);
  alert.confidence = 0.9;
  alert.detected_at_ms = detected_at_ms;
  alert.location.lat = gateway.lat;
  alert.location.lon = gateway.lon;
  if (planned.kind == AlertKind::smoke || planned.kind == AlertKind::sensor_fault) {
    alert.location.sensor = "smoke1";
  } else {
    alert.location.camera = "cam1";
    if (planned.kind == AlertKind::parking) alert.location.zone = "Z1";
  }
  alert.summary = fmt::format("fleet simulator: {} at {}{}", to_string(planned.kind), gateway.id,
                              planned.storm ? " (storm)" : "");
  return alert;
}

FleetPlan plan_fleet(const FleetSpec& spec) {
  FleetPlan plan;
  plan.run_id = fmt::format("{:08x}", splitmix64(spec.seed) & 0xFFFFFFFFULL);
  const KindPicker kinds(spec.kinds);
  const auto count = static_cast<std::uint32_t>(spec.gateways);
  const auto side = static_cast<std::uint32_t>(std::ceil(std::sqrt(static_cast<double>(count))));
  const int digits = std::max(5, static_cast<int>(std::to_string(count).size()));
  std::vector<double> times;
  for (std::uint32_t index = 0; index < count; ++index) {
    // One generator per gateway: adding gateways never changes the others.
    std::mt19937_64 random(splitmix64(spec.seed ^ splitmix64(index + 1)));
    PlannedGateway gateway;
    gateway.id = fmt::format("{}-{:0{}}", spec.id_prefix, index + 1, digits);
    // About 300 m between poles, on a square grid around the centre.
    gateway.lat = spec.centre_lat + (static_cast<double>(index / side) - side / 2.0) * 0.0027;
    gateway.lon = spec.centre_lon + (static_cast<double>(index % side) - side / 2.0) * 0.0031;
    gateway.heartbeat_phase_s = spec.heartbeat_s > 0 ? uniform01(random) * spec.heartbeat_s : 0;
    plan.gateways.push_back(gateway);

    times.clear();
    poisson(random, spec.rate_per_gateway_h, 0, spec.duration_s, times);
    std::vector<bool> storm(times.size(), false);
    if (spec.mode == ArrivalMode::bursty) {
      // Alternate quiet and burst periods, starting at a random point of a quiet one.
      double t = -uniform01(random) * spec.burst_off_mean_s;
      while (t < spec.duration_s) {
        t += exponential(random, spec.burst_off_mean_s);
        const double end = t + exponential(random, spec.burst_on_mean_s);
        poisson(random, spec.burst_rate_per_gateway_h, std::max(0.0, t), std::min(end, spec.duration_s), times);
        t = end;
      }
      storm.resize(times.size(), false);
    } else if (spec.mode == ArrivalMode::storm && uniform01(random) < spec.storm_fraction) {
      for (int i = 0; i < spec.storm_alerts_per_gateway; ++i) {
        const double t = spec.storm_at_s + uniform01(random) * spec.storm_ramp_s;
        if (t < spec.duration_s) {
          times.push_back(t);
          storm.push_back(true);
        }
      }
    }
    // Sequence numbers follow time per gateway.
    std::vector<std::size_t> order(times.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return times[a] < times[b]; });
    std::uint64_t seq = 0;
    for (const auto i : order) {
      plan.alerts.push_back({times[i], index, ++seq, kinds.pick(random), storm[i]});
    }
  }
  std::sort(plan.alerts.begin(), plan.alerts.end(), [](const PlannedAlert& a, const PlannedAlert& b) {
    return a.at_s != b.at_s ? a.at_s < b.at_s : a.gateway < b.gateway;
  });
  return plan;
}

nlohmann::json plan_truth(const FleetSpec& spec, const FleetPlan& plan) {
  nlohmann::json alerts = nlohmann::json::array();
  for (const auto& alert : plan.alerts) {
    alerts.push_back({{"alert_id", plan.alert_id(alert)},
                      {"gateway", plan.gateways[alert.gateway].id},
                      {"at_s", std::round(alert.at_s * 1000.0) / 1000.0},
                      {"kind", to_string(alert.kind)},
                      {"storm", alert.storm}});
  }
  std::size_t storm = 0;
  for (const auto& alert : plan.alerts) storm += alert.storm ? 1 : 0;
  return {{"scenario", spec.name},
          {"purpose", spec.purpose},
          {"seed", spec.seed},
          {"mode", to_string(spec.mode)},
          {"gateways", spec.gateways},
          {"duration_s", spec.duration_s},
          {"run_id", plan.run_id},
          {"alert_count", plan.alerts.size()},
          {"storm_alert_count", storm},
          {"alerts", std::move(alerts)}};
}

}  // namespace gridwatch::sim
