#include "edge/modbus_poller.hpp"

#include <fmt/format.h>
#include <modbus.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <limits>
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

char parity_letter(const std::string& parity) {
  if (parity == "even") return 'E';
  if (parity == "odd") return 'O';
  return 'N';
}

std::string endpoint(const SensorSettings& settings) {
  if (settings.type == "modbus_rtu") {
    return fmt::format("{} ({} baud {}{}{})", settings.serial.device, settings.serial.baud,
                       settings.serial.data_bits, parity_letter(settings.serial.parity), settings.serial.stop_bits);
  }
  return fmt::format("{}:{}", settings.host, settings.port);
}

modbus_t* new_context(const SensorSettings& settings) {
  if (settings.type == "modbus_rtu") {
    return modbus_new_rtu(settings.serial.device.c_str(), settings.serial.baud, parity_letter(settings.serial.parity),
                          settings.serial.data_bits, settings.serial.stop_bits);
  }
  return modbus_new_tcp(settings.host.c_str(), settings.port);
}

int read_word(modbus_t* context, const std::string& kind, int address, std::uint16_t& out) {
  return kind == "input" ? modbus_read_input_registers(context, address, 1, &out)
                         : modbus_read_registers(context, address, 1, &out);
}

}  // namespace

SensorSample decode_registers(const RegisterMap& map, std::uint16_t raw, std::optional<std::uint16_t> status,
                              EpochMs at_ms) {
  SensorSample sample;
  sample.at_ms = at_ms;
  const double word = map.format == "int16" ? static_cast<double>(static_cast<std::int16_t>(raw)) : raw;
  if (map.raw_out_of_range && static_cast<int>(word) == *map.raw_out_of_range) {
    // Past the range check on purpose: the monitor reports out_of_range.
    sample.value = std::numeric_limits<double>::infinity();
  } else {
    sample.value = word * map.scale + map.offset;
  }
  if (status) sample.device_fault = ((static_cast<unsigned>(*status) >> static_cast<unsigned>(map.fault_bit)) & 1U) != 0;
  return sample;
}

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
  auto fail = [this](SensorReading& reading, std::string error) {
    reading.sample.at_ms = wall_clock_ms();
    reading.sample.error = std::move(error);
    deliver_(std::move(reading));
  };
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
      context.reset(new_context(settings_));
      if (!context) {
        fail(reading, fmt::format("cannot create Modbus context for {}: {}", endpoint(settings_), modbus_strerror(errno)));
        continue;
      }
      const auto timeout_us = static_cast<std::uint32_t>(settings_.timeout_ms) * 1000U;
      modbus_set_response_timeout(context.get(), timeout_us / 1'000'000U, timeout_us % 1'000'000U);
      modbus_set_slave(context.get(), settings_.unit_id);
      if (modbus_connect(context.get()) != 0) {
        const std::string why = modbus_strerror(errno);
        context.reset();
        fail(reading, fmt::format("connect {}: {}", endpoint(settings_), why));
        continue;
      }
    }
    std::uint16_t raw = 0;
    std::optional<std::uint16_t> status;
    bool ok = read_word(context.get(), settings_.map.kind, settings_.map.address, raw) == 1;
    std::string error;
    if (!ok) {
      error = fmt::format("read {} register {} (unit {}): {}", settings_.map.kind, settings_.map.address,
                          settings_.unit_id, modbus_strerror(errno));
    } else if (settings_.map.status_register) {
      std::uint16_t word = 0;
      ok = read_word(context.get(), settings_.map.kind, *settings_.map.status_register, word) == 1;
      if (ok) {
        status = word;
      } else {
        error = fmt::format("read status register {} (unit {}): {}", *settings_.map.status_register,
                            settings_.unit_id, modbus_strerror(errno));
      }
    }
    if (!ok) {
      // A corrupt or missing answer: start over with a fresh connection
      // (RTU: flushes the line) on the next poll.
      context.reset();
      fail(reading, std::move(error));
      continue;
    }
    reading.sample = decode_registers(settings_.map, raw, status, wall_clock_ms());
    deliver_(std::move(reading));
  }
}

}  // namespace gridwatch::edge
