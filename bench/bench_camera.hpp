#pragma once
// The camera the vision benchmarks analyse: the zone of the
// parking_clear_violation scene they render, every other key at its
// documented default (smoke on), or smoke off for the baseline of the
// smoke detector's cost.
#include "edge/vision/camera_settings.hpp"

namespace gridwatch::bench {

inline edge::vision::CameraSettings bench_camera(bool smoke = true) {
  auto camera = edge::vision::parse_camera_settings(
      "id: bench\nzones:\n  - id: Z1\n    polygon: [[0.6138, 0.697], [0.7071, 0.6813], [0.517, 0.483], [0.4597, 0.4882]]\n"
      "    dwell_s: 60\n",
      "bench");
  camera.smoke.enabled = smoke;
  return camera;
}

}  // namespace gridwatch::bench
