// Corrupt sensor input. MQTT JSON: thousands of mutated frames (seeded, so
// a failure reproduces) through the parser and the alarm logic; every one
// is a value or an error naming the sensor, never an exception. Modbus TCP:
// a raw socket server answers the real poller (libmodbus) with broken
// frames; each poll ends in an error naming the register, the poller keeps
// polling and reads again once the device answers properly.
#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <random>
#include <thread>

#include "edge/core/sensor_monitor.hpp"
#include "edge/modbus_poller.hpp"
#include "edge/mqtt_sensor_input.hpp"
#include "tests/support/test_env.hpp"

using namespace gridwatch;
using namespace gridwatch::edge;
using namespace std::chrono_literals;

namespace {

std::string mutate(std::string frame, std::mt19937& random) {
  std::uniform_int_distribution<int> what(0, 5);
  std::uniform_int_distribution<int> byte(0, 255);
  const int edits = 1 + static_cast<int>(random() % 4);
  for (int i = 0; i < edits; ++i) {
    const std::size_t at = frame.empty() ? 0 : random() % frame.size();
    switch (what(random)) {
      case 0: if (!frame.empty()) frame[at] = static_cast<char>(byte(random)); break;  // flip a byte
      case 1: frame = frame.substr(0, at); break;                                     // truncate
      case 2: frame.insert(at, 1, static_cast<char>(byte(random))); break;            // insert
      case 3: if (!frame.empty()) frame.erase(at, 1); break;                           // delete
      case 4: frame.insert(at, "\"smoke\":"); break;                                   // duplicate key
      default: frame.insert(at, std::string(1 + random() % 3, '{')); break;            // nesting
    }
  }
  return frame;
}

}  // namespace

TEST_CASE("mutated MQTT JSON frames give a value or an error naming the sensor", "[fuzz][sensor][mqtt]") {
  SensorSettings sensor;
  sensor.id = "fuzzed";
  sensor.type = "mqtt_json";
  sensor.mqtt.topic = "sensors/fuzzed/state";
  SensorMonitorSettings settings;
  settings.alarm = {8, 4, 1000, {3, 30'000, 15'000}};
  settings.drift = {3, 4};
  SensorMonitor monitor(settings, 0);
  const std::vector<std::string> seeds{
      R"({"sensor":"smoke1","seq":42,"t_s":41.0,"ts_ms":1795326379123,"smoke":1.23,"unit":"%/m","temperature_c":20.1,"status":"ok"})",
      R"({"smoke":null,"status":"out_of_range"})", R"({"smoke":9.5,"status":"fault"})"};
  std::mt19937 random(20261122);
  int values = 0;
  int errors = 0;
  for (int i = 0; i < 20'000; ++i) {
    const auto frame = mutate(seeds[static_cast<std::size_t>(i) % seeds.size()], random);
    SensorSample sample;
    REQUIRE_NOTHROW(sample = parse_sensor_message(sensor, frame, i * 100));
    if (sample.value) {
      ++values;
    } else {
      ++errors;
      INFO(frame);
      REQUIRE(sample.error.find("sensor fuzzed") != std::string::npos);
      REQUIRE(sample.error.size() < 300);
    }
    REQUIRE_NOTHROW(monitor.update(sample));
  }
  CHECK(values > 100);   // the mutations leave some frames valid...
  CHECK(errors > 5000);  // ...and break most
}

namespace {

/// Answers every Modbus TCP request with the next broken reply, cycling;
/// after `broken_rounds` cycles it answers correctly with register = 1234.
class BrokenModbusServer {
 public:
  explicit BrokenModbusServer(int broken_rounds) : broken_rounds_(broken_rounds) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    int yes = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(listener_, 8) != 0) {
      throw std::runtime_error("cannot listen");
    }
    socklen_t length = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~BrokenModbusServer() {
    stopping_ = true;
    thread_.join();
    close(listener_);
  }
  int port() const { return port_; }
  int replies() const { return replies_; }

 private:
  using Frame = std::vector<std::uint8_t>;

  /// The reply to `request` (MBAP + read holding registers) for round `n`.
  Frame reply(const std::uint8_t* request, int n) const {
    const std::uint8_t tid_hi = request[0];
    const std::uint8_t tid_lo = request[1];
    const std::uint8_t unit = request[6];
    const std::vector<Frame> broken{
        {static_cast<std::uint8_t>(tid_hi ^ 0xFF), tid_lo, 0, 0, 0, 5, unit, 3, 2, 0x04, 0xD2},  // wrong transaction
        {tid_hi, tid_lo, 0, 0, 0, 3, unit, 0x83, 2},                                            // exception: bad address
        {tid_hi, tid_lo, 0, 0, 0, 5, unit, 3, 4, 0x04, 0xD2},                                   // byte count lies
        {tid_hi, tid_lo, 0, 0, 0, 5, unit, 4, 2, 0x04, 0xD2},                                   // wrong function
        {tid_hi, tid_lo, 0, 0},                                                                 // truncated, then closed
        {0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x01, 0x02},                                             // noise
    };
    if (n < broken_rounds_ * static_cast<int>(broken.size())) return broken[static_cast<std::size_t>(n) % broken.size()];
    return {tid_hi, tid_lo, 0, 0, 0, 5, unit, 3, 2, 0x04, 0xD2};
  }

  void serve() {
    int client = -1;
    int n = 0;
    while (!stopping_) {
      pollfd fds[2] = {{listener_, POLLIN, 0}, {client, POLLIN, 0}};
      if (::poll(fds, static_cast<nfds_t>(client >= 0 ? 2 : 1), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        if (client >= 0) close(client);
        client = accept(listener_, nullptr, nullptr);
        continue;
      }
      std::uint8_t request[260];
      const auto got = client >= 0 ? read(client, request, sizeof request) : -1;
      if (got < 12) {
        if (client >= 0) close(client);
        client = -1;
        continue;
      }
      const auto frame = reply(request, n++);
      if (write(client, frame.data(), frame.size()) < 0) {
        close(client);
        client = -1;
      }
      replies_ = n;
    }
    if (client >= 0) close(client);
  }

  int listener_ = -1;
  int port_ = 0;
  int broken_rounds_;
  std::atomic<int> replies_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("broken Modbus TCP replies are errors naming the register, and the poller recovers", "[fuzz][sensor][modbus]") {
  BrokenModbusServer server(2);
  SensorSettings sensor;
  sensor.id = "fuzzed";
  sensor.port = server.port();
  sensor.map.scale = 0.01;
  sensor.poll_ms = 50;
  sensor.timeout_ms = 150;
  std::mutex mutex;
  std::vector<SensorReading> readings;
  ModbusPoller poller(sensor, [&](SensorReading reading) {
    std::lock_guard lock(mutex);
    readings.push_back(std::move(reading));
  });
  poller.start();
  const bool recovered = test::wait_until(
      [&] {
        std::lock_guard lock(mutex);
        return server.replies() > 12 && !readings.empty() && readings.back().sample.value.has_value();
      },
      30s);
  poller.stop();
  std::lock_guard lock(mutex);
  std::string errors;
  int failed = 0;
  for (const auto& reading : readings) {
    CHECK(reading.sensor_id == "fuzzed");
    if (reading.sample.value) {
      errors += "value\n";
      continue;
    }
    ++failed;
    errors += reading.sample.error + "\n";
    CHECK((reading.sample.error.find("read holding register 0 (unit 1)") != std::string::npos ||
           reading.sample.error.find("connect 127.0.0.1:") != std::string::npos));
  }
  INFO(errors);
  REQUIRE(recovered);
  CHECK(failed == 12);  // each of the 6 broken replies, twice, was an error; nothing else
  CHECK(*readings.back().sample.value == Approx(12.34));
}
