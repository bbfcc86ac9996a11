#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "common/config_reader.hpp"
#include "simulators/fleet/fleet_plan.hpp"

using namespace gridwatch::sim;

namespace {

std::string errors_of(const std::string& yaml) {
  try {
    parse_fleet_scenario(yaml, "fleet.yaml");
  } catch (const gridwatch::ConfigInvalid& invalid) {
    return invalid.errors().to_string();
  }
  return "";
}

FleetSpec spec_of(ArrivalMode mode, int gateways, double duration_s) {
  FleetSpec spec;
  spec.mode = mode;
  spec.gateways = gateways;
  spec.duration_s = duration_s;
  return spec;
}

}  // namespace

TEST_CASE("fleet scenario files parse, and bad ones get every error at file:line", "[fleet]") {
  const auto spec = parse_fleet_scenario(R"(name: storm
purpose: a storm
gateways: 500
duration_s: 60
arrival:
  mode: storm
  storm:
    at_s: 10
    fraction: 0.25
kinds:
  tamper: 1
)", "ok.yaml");
  CHECK(spec.gateways == 500);
  CHECK(spec.mode == ArrivalMode::storm);
  CHECK(spec.storm_at_s == 10);
  CHECK(spec.storm_fraction == 0.25);
  CHECK(spec.kinds == std::map<std::string, double>{{"tamper", 1.0}});

  const auto errors = errors_of(R"(name: bad
purpose: bad
gateways: 0
duration_s: 60
speed: 3
arrival:
  mode: hurricane
  burst:
    on_mean_s: 5
kinds:
  volcano: 1
)");
  CHECK_THAT(errors, Catch::Contains("fleet.yaml:3:11: gateways"));
  CHECK_THAT(errors, Catch::Contains("fleet.yaml:5:1: speed: unknown key"));
  CHECK_THAT(errors, Catch::Contains("fleet.yaml:7:"));
  CHECK_THAT(errors, Catch::Contains("arrival.mode"));
  CHECK_THAT(errors, Catch::Contains("arrival.burst: only for mode: bursty"));
  CHECK_THAT(errors, Catch::Contains("fleet.yaml:11:3: kinds.volcano: unknown key"));
  CHECK_THAT(errors_of("name: x\n"), Catch::Contains("gateways: missing required key"));
}

TEST_CASE("every fleet scenario in the library parses", "[fleet]") {
  int files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(GRIDWATCH_SOURCE_DIR "/simulators/fleet_scenarios")) {
    INFO(entry.path().string());
    const auto spec = load_fleet_scenario(entry.path().string());
    CHECK(spec.name == entry.path().stem().string());
    ++files;
  }
  CHECK(files >= 4);
}

TEST_CASE("the same seed plans the same alerts byte for byte, another seed does not", "[fleet]") {
  auto spec = spec_of(ArrivalMode::bursty, 300, 600);
  const auto first = plan_truth(spec, plan_fleet(spec)).dump();
  CHECK(first == plan_truth(spec, plan_fleet(spec)).dump());
  spec.seed = 2;
  CHECK(first != plan_truth(spec, plan_fleet(spec)).dump());
}

TEST_CASE("a fleet plan has unique, valid, time-ordered alerts", "[fleet]") {
  const auto spec = spec_of(ArrivalMode::storm, 1000, 120);
  const auto plan = plan_fleet(spec);
  REQUIRE(plan.gateways.size() == 1000);
  CHECK(plan.gateways.front().id == "fleet-00001");
  std::set<std::string> ids;
  std::map<std::uint32_t, std::uint64_t> last_seq;
  double last_t = 0;
  for (const auto& planned : plan.alerts) {
    CHECK(planned.at_s >= last_t);
    last_t = planned.at_s;
    CHECK(planned.seq == ++last_seq[planned.gateway]);  // per gateway, 1, 2, 3 in time order
    const auto alert = plan.make_alert(planned, 1'700'000'000'000);
    ids.insert(alert.alert_id);
    // What the wire decoder (and so central) accepts.
    const auto decoded = gridwatch::decode_alert(gridwatch::encode(alert));
    INFO(gridwatch::join_errors(decoded.errors));
    CHECK(decoded.ok());
  }
  CHECK(ids.size() == plan.alerts.size());
}

TEST_CASE("arrival modes have the statistics they claim", "[fleet]") {
  SECTION("Poisson: the count is close to the rate, and gaps look exponential") {
    auto spec = spec_of(ArrivalMode::poisson, 2000, 3600);
    spec.rate_per_gateway_h = 6;
    const auto plan = plan_fleet(spec);
    CHECK(static_cast<double>(plan.alerts.size()) == Approx(12000).epsilon(0.03));
  }
  SECTION("storm: the chosen share of gateways alert inside the storm window") {
    auto spec = spec_of(ArrivalMode::storm, 2000, 120);
    spec.rate_per_gateway_h = 0;
    spec.storm_at_s = 30;
    spec.storm_ramp_s = 10;
    spec.storm_fraction = 0.5;
    spec.storm_alerts_per_gateway = 2;
    const auto plan = plan_fleet(spec);
    CHECK(static_cast<double>(plan.alerts.size()) == Approx(2000).epsilon(0.08));
    for (const auto& alert : plan.alerts) {
      CHECK(alert.storm);
      CHECK(alert.at_s >= 30.0);
      CHECK(alert.at_s < 40.0);
    }
  }
  SECTION("bursty: the same mean load arrives far more unevenly than Poisson") {
    // Index of dispersion (variance / mean) of per-minute counts: about 1
    // for Poisson, much larger for bursts.
    auto dispersion = [](const FleetPlan& plan, double duration_s) {
      std::vector<double> minutes(static_cast<std::size_t>(duration_s / 60), 0.0);
      for (const auto& alert : plan.alerts) minutes[static_cast<std::size_t>(alert.at_s / 60)] += 1;
      double mean = 0;
      for (double count : minutes) mean += count;
      mean /= static_cast<double>(minutes.size());
      double variance = 0;
      for (double count : minutes) variance += (count - mean) * (count - mean);
      variance /= static_cast<double>(minutes.size() - 1);
      return variance / mean;
    };
    auto bursty = spec_of(ArrivalMode::bursty, 50, 6 * 3600);
    bursty.rate_per_gateway_h = 0;
    const auto poisson_spec = [&] {
      auto spec = spec_of(ArrivalMode::poisson, 50, 6 * 3600);
      spec.rate_per_gateway_h = bursty.burst_rate_per_gateway_h * bursty.burst_on_mean_s /
                                (bursty.burst_on_mean_s + bursty.burst_off_mean_s);
      return spec;
    }();
    const auto bursty_plan = plan_fleet(bursty);
    const auto poisson_plan = plan_fleet(poisson_spec);
    CHECK(static_cast<double>(bursty_plan.alerts.size()) ==
          Approx(static_cast<double>(poisson_plan.alerts.size())).epsilon(0.25));
    CHECK(dispersion(poisson_plan, 6 * 3600) < 1.5);
    CHECK(dispersion(bursty_plan, 6 * 3600) > 3.0);
  }
}
