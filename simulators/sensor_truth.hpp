#pragma once
// Ground truth of a simulated sensor scenario, computed by stepping the
// same model the servers sample: for each event, when the reading first
// crosses the reference alarm level and for how long it stays above it.
#include <nlohmann/json_fwd.hpp>

#include "simulators/sensor_model.hpp"

namespace gridwatch::sim {

/// `horizon_s` bounds endless scenarios (duration 0); otherwise the
/// scenario's own duration is used.
nlohmann::json sensor_truth(const SensorModel& model, double horizon_s);

}  // namespace gridwatch::sim
