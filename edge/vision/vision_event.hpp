#pragma once
// What the vision pipeline reports: the start, updates and end of parking,
// tamper and smoke episodes, in frame time.
#include <array>
#include <opencv2/core.hpp>
#include <optional>
#include <string>

#include "common/wire.hpp"

namespace gridwatch::edge::vision {

enum class EventType { parking, tamper, smoke };

struct VisionEvent {
  EventType type = EventType::parking;
  Phase phase = Phase::start;
  int episode = 0;               ///< per camera and run; the same for start, updates and end
  std::string zone;              ///< parking only
  std::string fault;             ///< tamper only: covered, defocus, moved or frozen
  std::array<double, 4> box{0, 0, 1, 1};  ///< normalised [x, y, w, h]: the vehicle or the smoke region
  double confidence = 0;
  double time_s = 0;             ///< frame time the decision was made (start: when the alert is raised)
  double started_s = 0;          ///< frame time the episode's alert was raised
  std::optional<double> ended_s; ///< end: when the vehicle left, the fault or the smoke cleared
  double stopped_s = 0;          ///< parking: when the vehicle stopped
  std::string summary;
  cv::Mat evidence;              ///< BGR picture with zones and the box drawn (start and update)
};

std::string_view to_string(EventType type);

}  // namespace gridwatch::edge::vision
