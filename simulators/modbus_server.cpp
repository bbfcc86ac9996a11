#include "simulators/modbus_server.hpp"

#include <modbus.h>
#include <spdlog/spdlog.h>
#include <sys/select.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <memory>
#include <vector>

namespace gridwatch::sim {
namespace {

struct ContextDeleter {
  void operator()(modbus_t* context) const { modbus_free(context); }
};
struct MappingDeleter {
  void operator()(modbus_mapping_t* mapping) const { modbus_mapping_free(mapping); }
};

}  // namespace

int serve_modbus(const ModbusServerSettings& settings, SampleSource& source, const std::atomic<bool>& stop,
                 const std::function<void(double, const SensorSample&)>& on_sample) {
  std::unique_ptr<modbus_t, ContextDeleter> context(modbus_new_tcp(settings.bind_address.c_str(), settings.port));
  std::unique_ptr<modbus_mapping_t, MappingDeleter> mapping(modbus_mapping_new(0, 0, 16, 0));
  if (!context || !mapping) {
    spdlog::error("modbus: cannot allocate the server: {}", modbus_strerror(errno));
    return 1;
  }
  const int listener = modbus_tcp_listen(context.get(), 8);
  if (listener < 0) {
    spdlog::error("modbus: cannot listen on {}:{}: {}", settings.bind_address, settings.port, modbus_strerror(errno));
    return 1;
  }
  spdlog::info("modbus: smoke sensor on {}:{} (holding registers 0-3)", settings.bind_address, settings.port);

  std::vector<int> clients;
  std::uint16_t counter = 0;
  bool answering = true;
  const auto started = std::chrono::steady_clock::now();
  auto next_tick = started;
  std::vector<std::uint8_t> query(MODBUS_TCP_MAX_ADU_LENGTH);

  while (!stop.load()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_tick) {
      const double t_s = std::chrono::duration<double>(now - started).count() * settings.speed;
      if (settings.duration_s > 0 && t_s > settings.duration_s) break;
      if (source.end_s() > 0 && t_s > source.end_s()) break;
      const auto sample = source.sample(t_s);
      const auto image = to_registers(sample, ++counter);
      mapping->tab_registers[0] = image.smoke_centi_percent_per_m;
      mapping->tab_registers[1] = image.temperature_deci_c;
      mapping->tab_registers[2] = image.status_bits;
      mapping->tab_registers[3] = image.sample_counter;
      answering = sample.answering;
      if (on_sample) on_sample(t_s, sample);
      next_tick += std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(settings.tick_s));
    }

    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(listener, &readable);
    int highest = listener;
    for (int fd : clients) {
      FD_SET(fd, &readable);
      highest = std::max(highest, fd);
    }
    timeval timeout{0, 20'000};
    if (select(highest + 1, &readable, nullptr, nullptr, &timeout) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("modbus: select failed: {}", modbus_strerror(errno));
      break;
    }
    if (FD_ISSET(listener, &readable)) {
      int listening_socket = listener;
      const int client = modbus_tcp_accept(context.get(), &listening_socket);
      if (client >= 0) clients.push_back(client);
    }
    for (auto it = clients.begin(); it != clients.end();) {
      if (!FD_ISSET(*it, &readable)) {
        ++it;
        continue;
      }
      modbus_set_socket(context.get(), *it);
      const int length = modbus_receive(context.get(), query.data());
      if (length > 0 && answering) {
        modbus_reply(context.get(), query.data(), length, mapping.get());
        ++it;
      } else if (length == 0) {
        ++it;  // not for us (other unit id)
      } else {
        // Client gone, or the "disconnect" scenario: drop the connection.
        close(*it);
        it = clients.erase(it);
      }
    }
  }
  for (int fd : clients) close(fd);
  close(listener);
  return 0;
}

}  // namespace gridwatch::sim
