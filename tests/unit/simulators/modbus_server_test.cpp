#include <catch2/catch.hpp>
#include <modbus.h>

#include <atomic>
#include <thread>

#include "simulators/modbus_server.hpp"
#include "tests/support/test_env.hpp"

using namespace gridwatch::sim;

TEST_CASE("the Modbus simulator answers a real libmodbus client", "[sensor-sim][modbus]") {
  ModbusServerSettings settings;
  settings.port = gridwatch::test::free_tcp_port();
  settings.speed = 100.0;  // 100 simulated seconds per wall second
  SensorModel model(SensorScenario::flaming, 1, 5.0);
  std::atomic<bool> stop{false};
  std::atomic<double> last_t{0};
  std::thread server([&] { serve_modbus(settings, model, stop, [&](double t, const SensorSample&) { last_t = t; }); });
  REQUIRE(gridwatch::test::wait_until([&] { return gridwatch::test::port_accepts(settings.port); },
                                      std::chrono::seconds(5)));

  modbus_t* client = modbus_new_tcp("127.0.0.1", settings.port);
  REQUIRE(client != nullptr);
  REQUIRE(modbus_connect(client) == 0);
  // Wait until the simulated fire is well under way (t > 30 s).
  REQUIRE(gridwatch::test::wait_until([&] { return last_t > 30.0; }, std::chrono::seconds(5)));
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
  stop = true;
  server.join();
}

TEST_CASE("the disconnect scenario stops answering", "[sensor-sim][modbus]") {
  ModbusServerSettings settings;
  settings.port = gridwatch::test::free_tcp_port();
  settings.speed = 100.0;
  SensorModel model(SensorScenario::disconnect, 1, 20.0);
  std::atomic<bool> stop{false};
  std::atomic<double> last_t{0};
  std::thread server([&] { serve_modbus(settings, model, stop, [&](double t, const SensorSample&) { last_t = t; }); });
  REQUIRE(gridwatch::test::wait_until([&] { return gridwatch::test::port_accepts(settings.port); },
                                      std::chrono::seconds(5)));
  modbus_t* client = modbus_new_tcp("127.0.0.1", settings.port);
  modbus_set_response_timeout(client, 0, 300'000);
  REQUIRE(modbus_connect(client) == 0);
  std::uint16_t value = 0;
  CHECK(modbus_read_registers(client, 0, 1, &value) == 1);
  REQUIRE(gridwatch::test::wait_until([&] { return last_t > 25.0; }, std::chrono::seconds(5)));
  CHECK(modbus_read_registers(client, 0, 1, &value) == -1);
  modbus_close(client);
  modbus_free(client);
  stop = true;
  server.join();
}
