// gridwatch-sim: simulators testers replay with known ground truth.
//
// Exit codes: 0 success; 1 runtime failure (e.g. port in use);
// 2 invalid command line or scenario.
#include <CLI/CLI.hpp>

#include "simulators/sensor_command.hpp"
// camera subcommand registration
#include "simulators/camera/camera_command.hpp"
#include "simulators/fleet/fleet_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"GridWatch simulators: smoke sensors, camera scenes with ground truth, and gateway fleets."};
  app.set_version_flag("--version", std::string(GRIDWATCH_VERSION));
  app.require_subcommand(1);
  gridwatch::sim::add_sensor_command(app);
  // camera subcommand registration
  gridwatch::sim::add_camera_command(app);
  gridwatch::sim::add_fleet_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& failure) {
    return failure.get_exit_code();
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : 2;
  }
  return 0;
}
