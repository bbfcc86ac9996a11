#include <catch2/catch.hpp>

#include "simulators/sensor_model.hpp"

using namespace gridwatch::sim;

namespace {
SensorModel builtin(const std::string& name, std::uint64_t seed = 1, double onset_s = 10.0) {
  auto spec = builtin_sensor_scenario(name, seed, onset_s);
  REQUIRE(spec);
  return SensorModel(*spec);
}

std::vector<double> trace(const std::string& name, std::uint64_t seed, double seconds) {
  const auto model = builtin(name, seed);
  std::vector<double> values;
  for (double t = 0; t <= seconds; t += 0.5) values.push_back(model.at(t).smoke);
  return values;
}

double first_over(const SensorModel& model, double level) {
  for (double t = 0; t < 600; t += 0.1) {
    if (model.at(t).smoke >= level) return t;
  }
  return -1.0;
}
}  // namespace

TEST_CASE("the same seed gives the same readings, another seed differs", "[sensor-sim]") {
  CHECK(trace("smoulder", 3, 120) == trace("smoulder", 3, 120));
  CHECK(trace("smoulder", 3, 120) != trace("smoulder", 4, 120));
}

TEST_CASE("a reading depends only on the time, not on how often it is sampled", "[sensor-sim]") {
  const auto dense = builtin("dust", 7);
  const auto sparse = builtin("dust", 7);
  std::vector<double> every_tenth;
  for (int i = 0; i <= 3000; ++i) {
    const double t = i * 0.1;
    const double value = dense.at(t).smoke;
    if (i % 10 == 0) every_tenth.push_back(value);
  }
  std::vector<double> direct;
  for (int i = 0; i <= 300; ++i) direct.push_back(sparse.at(i).smoke);
  CHECK(every_tenth == direct);
}

TEST_CASE("scenario shapes", "[sensor-sim]") {
  SECTION("clean air stays far below an 8 %/m alarm level") {
    for (double value : trace("clean", 1, 600)) CHECK(value < 1.5);
  }
  SECTION("flaming crosses 8 %/m within seconds of onset; smouldering takes about a minute") {
    CHECK(first_over(builtin("flaming"), 8.0) == Approx(14.0).margin(1.0));
    CHECK(first_over(builtin("smoulder"), 8.0) == Approx(62.0).margin(5.0));
  }
  SECTION("a cooking nuisance spikes above the level for only a few seconds") {
    const auto model = builtin("nuisance");
    double above_s = 0;
    for (double t = 0; t < 60; t += 0.1) above_s += model.at(t).smoke >= 8.0 ? 0.1 : 0.0;
    CHECK(above_s > 1.0);
    CHECK(above_s < 5.0);
  }
  SECTION("dust stays below the alarm level") {
    const auto model = builtin("dust");
    double highest = 0;
    for (double t = 0; t < 600; t += 0.1) highest = std::max(highest, model.at(t).smoke);
    CHECK(highest > 2.0);
    CHECK(highest < 8.0);
  }
  SECTION("faults") {
    const auto stuck = builtin("stuck");
    const double frozen = stuck.at(11).smoke;
    CHECK(stuck.at(50).smoke == frozen);
    CHECK(stuck.at(500).smoke == frozen);
    CHECK(stuck.at(5).smoke != stuck.at(6).smoke);  // alive before the fault
    const auto gone = builtin("disconnect");
    CHECK(gone.at(5).answering);
    CHECK_FALSE(gone.at(11).answering);
    const auto range = builtin("out_of_range");
    CHECK(to_registers(range.at(11), 1).smoke_centi_percent_per_m == 0xFFFF);
    const auto dirty = builtin("contamination");
    CHECK(dirty.at(10 + 2 * 3600).smoke == Approx(2.3).margin(0.3));
    CHECK_FALSE(dirty.at(10 + 3 * 3600).fault);
    CHECK(dirty.at(10 + 5 * 3600).fault);
  }
}

TEST_CASE("a timeline combines events: a smoulder, then a lost link that ends", "[sensor-sim]") {
  auto spec = *builtin_sensor_scenario("smoulder", 2, 30);
  auto link_lost = default_event(SensorEventKind::disconnect, 200);
  link_lost.for_s = 60;
  spec.events.push_back(link_lost);
  const SensorModel model(spec);
  CHECK(model.at(150).smoke > 8.0);
  CHECK(model.at(150).answering);
  CHECK_FALSE(model.at(230).answering);
  CHECK(model.at(261).answering);
  CHECK(model.at(261).smoke > 20.0);  // the fire went on while the link was down
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
  CHECK(builtin_sensor_scenario("flaming", 1, 0));
  CHECK_FALSE(builtin_sensor_scenario("volcano", 1, 0));
}
