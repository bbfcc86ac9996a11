#pragma once
// Fusion of the two smoke cues. A camera smoke detection and a smoke-sensor
// alarm that the config associates (the sensor's `camera`) and that start
// within `window_ms` of each other (or while the other is still going on)
// make ONE fire episode with a higher confidence than either alone. Each
// cue still raises its own alert; this only decides about the extra fire
// alert. Pure: the gateway feeds episode starts and ends with timestamps.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/time.hpp"

namespace gridwatch::edge {

/// One smoke cue episode: a sensor alarm or a camera smoke detection.
struct SmokeCue {
  std::string source_id;  ///< sensor id or camera id
  std::string alert_id;   ///< the cue's own start alert
  EpochMs started_ms = 0;
  std::optional<EpochMs> ended_ms;
  double confidence = 0;
};

struct FireDecision {
  enum class Kind { start, end } kind;
  std::string sensor_id;
  std::string camera_id;
  EpochMs at_ms = 0;
  double confidence = 0;  ///< start: the fused confidence
  SmokeCue sensor;        ///< the two cues as they stand now
  SmokeCue camera;
};

/// Both cues independent: 1 - (1 - a)(1 - b), kept below certainty.
double fused_confidence(double a, double b);

class FireFusion {
 public:
  /// `sensor_to_camera`: sensor id -> camera id whose view it covers.
  FireFusion(std::map<std::string, std::string> sensor_to_camera, std::int64_t window_ms);

  /// A cue episode starts; returns a fire start when it completes a pair.
  std::optional<FireDecision> sensor_alarm_started(const std::string& sensor_id, const std::string& alert_id,
                                                   EpochMs at_ms, double confidence);
  std::optional<FireDecision> camera_smoke_started(const std::string& camera_id, const std::string& alert_id,
                                                   EpochMs at_ms, double confidence);
  /// A cue episode ends; returns a fire end when that fire has no cue left.
  std::optional<FireDecision> sensor_alarm_ended(const std::string& sensor_id, EpochMs at_ms);
  std::optional<FireDecision> camera_smoke_ended(const std::string& camera_id, EpochMs at_ms);

  /// The pair of this sensor and its camera has an open fire episode.
  bool fire_active(const std::string& sensor_id) const;

 private:
  bool recent(const SmokeCue& cue, EpochMs at_ms) const;
  std::optional<FireDecision> try_pair(const std::string& sensor_id, const std::string& camera_id, EpochMs at_ms);
  std::optional<FireDecision> end_if_done(const std::string& sensor_id, const std::string& camera_id, EpochMs at_ms);

  std::map<std::string, std::string> sensor_to_camera_;
  std::int64_t window_ms_;
  std::map<std::string, SmokeCue> sensors_;  ///< latest episode per sensor
  std::map<std::string, SmokeCue> cameras_;  ///< latest episode per camera
  std::map<std::string, bool> fire_active_;  ///< per sensor: its pair has an open fire episode
};

}  // namespace gridwatch::edge
