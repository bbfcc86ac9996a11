#include <catch2/catch.hpp>

#include "simulators/sensor_model.hpp"

using namespace gridwatch::sim;

namespace {
std::vector<double> trace(SensorScenario scenario, std::uint64_t seed, double seconds) {
  SensorModel model(scenario, seed, 10.0);
  std::vector<double> values;
  for (double t = 0; t <= seconds; t += 0.5) values.push_back(model.sample(t).smoke);
  return values;
}
}  // namespace

TEST_CASE("the same seed gives the same readings, another seed differs", "[sensor-sim]") {
  CHECK(trace(SensorScenario::smoulder, 3, 120) == trace(SensorScenario::smoulder, 3, 120));
  CHECK(trace(SensorScenario::smoulder, 3, 120) != trace(SensorScenario::smoulder, 4, 120));
}

TEST_CASE("scenario shapes", "[sensor-sim]") {
  SECTION("clean air stays far below an 8 %/m alarm level") {
    for (double value : trace(SensorScenario::clean, 1, 600)) CHECK(value < 1.5);
  }
  SECTION("flaming crosses 8 %/m within seconds of onset; smouldering takes about a minute") {
    auto first_over = [](SensorScenario scenario) {
      SensorModel model(scenario, 1, 10.0);
      for (double t = 0; t < 600; t += 0.1) {
        if (model.sample(t).smoke >= 8.0) return t;
      }
      return -1.0;
    };
    CHECK(first_over(SensorScenario::flaming) == Approx(14.0).margin(1.0));
    CHECK(first_over(SensorScenario::smoulder) == Approx(62.0).margin(5.0));
  }
  SECTION("a cooking nuisance spikes above the level for only a few seconds") {
    SensorModel model(SensorScenario::nuisance, 1, 10.0);
    double above_s = 0;
    for (double t = 0; t < 60; t += 0.1) above_s += model.sample(t).smoke >= 8.0 ? 0.1 : 0.0;
    CHECK(above_s > 1.0);
    CHECK(above_s < 5.0);
  }
  SECTION("faults") {
    SensorModel stuck(SensorScenario::stuck, 1, 10.0);
    stuck.sample(5);
    const double frozen = stuck.sample(11).smoke;
    CHECK(stuck.sample(50).smoke == frozen);
    SensorModel gone(SensorScenario::disconnect, 1, 10.0);
    CHECK(gone.sample(5).answering);
    CHECK_FALSE(gone.sample(11).answering);
    SensorModel range(SensorScenario::out_of_range, 1, 10.0);
    CHECK(to_registers(range.sample(11), 1).smoke_centi_percent_per_m == 0xFFFF);
  }
}

TEST_CASE("register encoding", "[sensor-sim]") {
  SensorSample sample;
  sample.smoke = 12.345;
  sample.temperature = -4.2;
  sample.fault = true;
  const auto image = to_registers(sample, 77);
  CHECK(image.smoke_centi_percent_per_m == 1235);
  CHECK(static_cast<std::int16_t>(image.temperature_deci_c) == -42);
  CHECK(image.status_bits == 1);
  CHECK(image.sample_counter == 77);
  CHECK(sensor_scenario_from_string("flaming") == SensorScenario::flaming);
  CHECK_FALSE(sensor_scenario_from_string("volcano"));
}
