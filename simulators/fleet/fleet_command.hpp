#pragma once
namespace CLI {
class App;
}

namespace gridwatch::sim {
/// Adds `gridwatch-sim fleet`: thousands of virtual gateways against a broker.
void add_fleet_command(CLI::App& app);
}  // namespace gridwatch::sim
