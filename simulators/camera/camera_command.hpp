#pragma once
// `gridwatch-sim camera`: renders a scenario to video plus ground truth, or
// streams it live over RTSP. Declared without CLI11 so that including this
// header stays cheap.
namespace CLI {
class App;
}

namespace gridwatch::sim {

void add_camera_command(CLI::App& app);

}  // namespace gridwatch::sim
