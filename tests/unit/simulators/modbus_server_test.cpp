#include <catch2/catch.hpp>
#include <modbus.h>

#include <atomic>
#include <thread>

#include "simulators/modbus_server.hpp"
#include "tests/support/test_env.hpp"

using namespace gridwatch::sim;

namespace {

// A simulated sensor served on a free port on its own thread, at 100
// simulated seconds per wall second; `last_t` follows the simulated time.
class RunningSensor {
 public:
  RunningSensor(const std::string& scenario, double onset_s) : model_(*builtin_sensor_scenario(scenario, 1, onset_s)) {
    settings_.port = gridwatch::test::free_tcp_port();
    settings_.speed = 100.0;
    thread_ = std::thread([this] { serve_modbus(settings_, model_, stop_, [this](double t, const SensorSample&) { last_t = t; }); });
    REQUIRE(gridwatch::test::wait_until([this] { return gridwatch::test::port_accepts(settings_.port); },
                                        std::chrono::seconds(5)));
  }
  ~RunningSensor() {
    stop_ = true;
    thread_.join();
  }
  RunningSensor(const RunningSensor&) = delete;
  RunningSensor& operator=(const RunningSensor&) = delete;
  int port() const { return settings_.port; }
  bool reached(double t_s) {
    return gridwatch::test::wait_until([&] { return last_t > t_s; }, std::chrono::seconds(5));
  }
  std::atomic<double> last_t{0};

 private:
  ModbusServerSettings settings_;
  SensorModel model_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("the Modbus simulator answers a real libmodbus client", "[sensor-sim][modbus]") {
  RunningSensor sensor("flaming", 5.0);
  modbus_t* client = modbus_new_tcp("127.0.0.1", sensor.port());
  REQUIRE(client != nullptr);
  REQUIRE(modbus_connect(client) == 0);
  REQUIRE(sensor.reached(30.0));  // the simulated fire is well under way
  std::uint16_t registers[4] = {};
  REQUIRE(modbus_read_registers(client, 0, 4, registers) == 4);
  CHECK(registers[0] > 3000);  // > 30 %/m obscuration
  CHECK(static_cast<std::int16_t>(registers[1]) > 250);  // hotter than 25 C
  CHECK(registers[2] == 0);
  const auto counter = registers[3];
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  REQUIRE(modbus_read_registers(client, 3, 1, registers) == 1);
  CHECK(registers[0] != counter);  // the device is alive
  modbus_close(client);
  modbus_free(client);
}

TEST_CASE("the disconnect scenario stops answering", "[sensor-sim][modbus]") {
  RunningSensor sensor("disconnect", 20.0);
  modbus_t* client = modbus_new_tcp("127.0.0.1", sensor.port());
  modbus_set_response_timeout(client, 0, 300'000);
  REQUIRE(modbus_connect(client) == 0);
  std::uint16_t value = 0;
  CHECK(modbus_read_registers(client, 0, 1, &value) == 1);
  REQUIRE(sensor.reached(25.0));
  CHECK(modbus_read_registers(client, 0, 1, &value) == -1);
  modbus_close(client);
  modbus_free(client);
}
