#pragma once
namespace CLI {
class App;
}

namespace gridwatch::sim {
/// Adds `gridwatch-sim sensor`: a simulated smoke sensor over Modbus TCP.
void add_sensor_command(CLI::App& app);
}  // namespace gridwatch::sim
