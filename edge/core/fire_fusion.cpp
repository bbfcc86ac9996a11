#include "edge/core/fire_fusion.hpp"

#include <algorithm>

namespace gridwatch::edge {

double fused_confidence(double a, double b) { return std::min(0.99, 1.0 - (1.0 - a) * (1.0 - b)); }

FireFusion::FireFusion(std::map<std::string, std::string> sensor_to_camera, std::int64_t window_ms)
    : sensor_to_camera_(std::move(sensor_to_camera)), window_ms_(window_ms) {}

bool FireFusion::recent(const SmokeCue& cue, EpochMs at_ms) const {
  // Still going on, or ended no more than the window ago; and not a cue
  // from the future (out-of-order reports) beyond the window either.
  if (cue.started_ms > at_ms + window_ms_) return false;
  return !cue.ended_ms || *cue.ended_ms >= at_ms - window_ms_;
}

bool FireFusion::fire_active(const std::string& sensor_id) const {
  auto found = fire_active_.find(sensor_id);
  return found != fire_active_.end() && found->second;
}

std::optional<FireDecision> FireFusion::try_pair(const std::string& sensor_id, const std::string& camera_id,
                                                 EpochMs at_ms) {
  if (fire_active(sensor_id)) return std::nullopt;  // this pair already burns
  auto sensor = sensors_.find(sensor_id);
  auto camera = cameras_.find(camera_id);
  if (sensor == sensors_.end() || camera == cameras_.end()) return std::nullopt;
  if (!recent(sensor->second, at_ms) || !recent(camera->second, at_ms)) return std::nullopt;
  fire_active_[sensor_id] = true;
  return FireDecision{FireDecision::Kind::start, sensor_id, camera_id, at_ms,
                      fused_confidence(sensor->second.confidence, camera->second.confidence), sensor->second,
                      camera->second};
}

std::optional<FireDecision> FireFusion::end_if_done(const std::string& sensor_id, const std::string& camera_id,
                                                    EpochMs at_ms) {
  if (!fire_active(sensor_id)) return std::nullopt;
  const auto& sensor = sensors_[sensor_id];
  const auto& camera = cameras_[camera_id];
  if (!sensor.ended_ms || !camera.ended_ms) return std::nullopt;  // one cue still sees smoke
  fire_active_[sensor_id] = false;
  return FireDecision{FireDecision::Kind::end, sensor_id, camera_id, at_ms, 0, sensor, camera};
}

std::optional<FireDecision> FireFusion::sensor_alarm_started(const std::string& sensor_id, const std::string& alert_id,
                                                             EpochMs at_ms, double confidence) {
  sensors_[sensor_id] = SmokeCue{sensor_id, alert_id, at_ms, std::nullopt, confidence};
  auto camera = sensor_to_camera_.find(sensor_id);
  if (camera == sensor_to_camera_.end()) return std::nullopt;
  return try_pair(sensor_id, camera->second, at_ms);
}

std::optional<FireDecision> FireFusion::camera_smoke_started(const std::string& camera_id, const std::string& alert_id,
                                                             EpochMs at_ms, double confidence) {
  cameras_[camera_id] = SmokeCue{camera_id, alert_id, at_ms, std::nullopt, confidence};
  // The first associated sensor that pairs wins; the others' alarms still
  // stand on their own.
  for (const auto& [sensor_id, camera] : sensor_to_camera_) {
    if (camera != camera_id) continue;
    if (auto decision = try_pair(sensor_id, camera_id, at_ms)) return decision;
  }
  return std::nullopt;
}

std::optional<FireDecision> FireFusion::sensor_alarm_ended(const std::string& sensor_id, EpochMs at_ms) {
  auto sensor = sensors_.find(sensor_id);
  if (sensor == sensors_.end()) return std::nullopt;
  sensor->second.ended_ms = at_ms;
  auto camera = sensor_to_camera_.find(sensor_id);
  if (camera == sensor_to_camera_.end()) return std::nullopt;
  return end_if_done(sensor_id, camera->second, at_ms);
}

std::optional<FireDecision> FireFusion::camera_smoke_ended(const std::string& camera_id, EpochMs at_ms) {
  auto camera = cameras_.find(camera_id);
  if (camera == cameras_.end()) return std::nullopt;
  camera->second.ended_ms = at_ms;
  for (const auto& [sensor_id, associated] : sensor_to_camera_) {
    if (associated != camera_id) continue;
    if (auto decision = end_if_done(sensor_id, camera_id, at_ms)) return decision;
  }
  return std::nullopt;
}

}  // namespace gridwatch::edge
