#include "edge/modbus_poller.hpp"

#include <fmt/format.h>
#include <modbus.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>

namespace gridwatch::edge {
namespace {

struct ModbusContextDeleter {
  void operator()(modbus_t* context) const {
    modbus_close(context);
    modbus_free(context);
  }
};
using ModbusContext = std::unique_ptr<modbus_t, ModbusContextDeleter>;

}  // namespace

ModbusPoller::ModbusPoller(SensorSettings settings, std::function<void(SensorReading)> deliver)
    : settings_(std::move(settings)), deliver_(std::move(deliver)) {}

ModbusPoller::~ModbusPoller() { stop(); }

void ModbusPoller::start() {
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void ModbusPoller::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ModbusPoller::run() {
  ModbusContext context;
  const auto period = std::chrono::milliseconds(settings_.poll_ms);
  auto next_poll = std::chrono::steady_clock::now();
  while (true) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_until(lock, next_poll, [this] { return stopping_; })) return;
    }
    next_poll += period;
    // After a long stall (e.g. a suspended process), do not fire a burst.
    if (next_poll < std::chrono::steady_clock::now()) next_poll = std::chrono::steady_clock::now() + period;

    SensorReading reading;
    reading.sensor_id = settings_.id;
    if (!context) {
      context.reset(modbus_new_tcp(settings_.host.c_str(), settings_.port));
      if (!context) {
        reading.at_ms = wall_clock_ms();
        reading.error = fmt::format("cannot create Modbus context: {}", modbus_strerror(errno));
        deliver_(std::move(reading));
        continue;
      }
      const auto timeout_us = static_cast<std::uint32_t>(settings_.timeout_ms) * 1000U;
      modbus_set_response_timeout(context.get(), timeout_us / 1'000'000U, timeout_us % 1'000'000U);
      modbus_set_slave(context.get(), settings_.unit_id);
      if (modbus_connect(context.get()) != 0) {
        reading.at_ms = wall_clock_ms();
        reading.error = fmt::format("connect {}:{}: {}", settings_.host, settings_.port, modbus_strerror(errno));
        context.reset();
        deliver_(std::move(reading));
        continue;
      }
    }
    std::uint16_t raw = 0;
    const int count = modbus_read_registers(context.get(), settings_.register_address, 1, &raw);
    reading.at_ms = wall_clock_ms();
    if (count != 1) {
      reading.error = fmt::format("read register {}: {}", settings_.register_address, modbus_strerror(errno));
      context.reset();  // reconnect on the next poll
    } else {
      reading.value = static_cast<double>(raw) * settings_.scale;
    }
    deliver_(std::move(reading));
  }
}

}  // namespace gridwatch::edge
