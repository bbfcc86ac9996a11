#include "simulators/fleet/fleet_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace gridwatch::sim {
namespace {

double ms(std::int64_t microseconds) { return static_cast<double>(microseconds) / 1000.0; }

std::string latency_line(const char* what, const nlohmann::json& summary) {
  if (summary["count"] == 0) return fmt::format("  {:<22} no samples\n", what);
  return fmt::format("  {:<22} p50 {:.1f}  p90 {:.1f}  p99 {:.1f}  max {:.1f} ms  (n={})\n", what,
                     summary["p50_ms"].get<double>(), summary["p90_ms"].get<double>(),
                     summary["p99_ms"].get<double>(), summary["max_ms"].get<double>(),
                     summary["count"].get<std::uint64_t>());
}

}  // namespace

nlohmann::json LatencySamples::summary() const {
  if (samples_.empty()) {
    return {{"count", 0}, {"p50_ms", nullptr}, {"p90_ms", nullptr}, {"p99_ms", nullptr}, {"max_ms", nullptr}};
  }
  std::sort(samples_.begin(), samples_.end());
  auto at = [&](double quantile) {
    const auto index = static_cast<std::size_t>(quantile * static_cast<double>(samples_.size() - 1) + 0.5);
    return ms(samples_[index]);
  };
  return {{"count", samples_.size()}, {"p50_ms", at(0.50)}, {"p90_ms", at(0.90)},
          {"p99_ms", at(0.99)},       {"max_ms", ms(samples_.back())}};
}

nlohmann::json FleetReport::to_json() const {
  nlohmann::json out{{"scenario", scenario},
                     {"mode", mode},
                     {"gateways", gateways},
                     {"connected", connected},
                     {"connect_failures", connect_failures},
                     {"connect_ramp_s", connect_ramp_s},
                     {"disconnects", disconnects},
                     {"reconnects", reconnects},
                     {"load_s", load_s},
                     {"alerts_planned", alerts_planned},
                     {"alerts_sent", alerts_sent},
                     {"alerts_acked", alerts_acked},
                     {"alerts_skipped_offline", alerts_skipped_offline},
                     {"publish_errors", publish_errors},
                     {"heartbeats_sent", heartbeats_sent},
                     {"status_sent", status_sent},
                     {"connect_latency", connect_latency.summary()},
                     {"ack_latency", ack_latency.summary()},
                     {"max_rss_mib", max_rss_mib}};
  if (verified) {
    out["delivery"] = {{"unique", delivered_unique},
                       {"duplicates", delivered_duplicates},
                       {"unknown", delivered_unknown},
                       {"missing", alerts_acked >= delivered_unique ? alerts_acked - delivered_unique : 0},
                       {"latency", delivery_latency.summary()}};
  }
  return out;
}

std::string FleetReport::to_text() const {
  const auto summary = to_json();
  std::string text = fmt::format(
      "fleet {} ({}): {} gateways, {} connected in {:.1f} s, {} failed, {} unexpected disconnects\n", scenario,
      mode, gateways, connected, connect_ramp_s, connect_failures, disconnects);
  text += fmt::format("  alerts: planned {}, sent {}, acked {}, skipped (gateway offline) {}, errors {}\n",
                      alerts_planned, alerts_sent, alerts_acked, alerts_skipped_offline, publish_errors);
  text += fmt::format("  heartbeats {}, status messages {}, load phase {:.1f} s, peak RSS {:.1f} MiB\n",
                      heartbeats_sent, status_sent, load_s, max_rss_mib);
  text += latency_line("connect -> CONNACK", summary["connect_latency"]);
  text += latency_line("alert -> PUBACK", summary["ack_latency"]);
  if (verified) {
    const auto& delivery = summary["delivery"];
    text += fmt::format("  delivered to subscriber: {} unique, {} duplicates, {} unknown, {} missing\n",
                        delivered_unique, delivered_duplicates, delivered_unknown,
                        delivery["missing"].get<std::uint64_t>());
    text += latency_line("alert -> subscriber", delivery["latency"]);
  }
  return text;
}

}  // namespace gridwatch::sim
