#include "edge/vision/parking_episodes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace gridwatch::edge::vision {
namespace {

constexpr double kSeenRecentlyS = 5;    // an alert needs the vehicle seen this recently
constexpr double kUpdateAfterHiddenS = 15;  // seen again after this long hidden: an update with new evidence
constexpr double kRecheckS = 5;         // a vehicle check that said no is asked again after this

}  // namespace

std::string_view to_string(EventType type) {
  switch (type) {
    case EventType::parking: return "parking";
    case EventType::tamper: return "tamper";
    case EventType::smoke: return "smoke";
  }
  return "unknown";
}

ParkingEpisodes::ParkingEpisodes(const CameraSettings& settings) : settings_(settings) {}

VisionEvent ParkingEpisodes::event(const Episode& episode, Phase phase, double t_s) const {
  VisionEvent out;
  out.type = EventType::parking;
  out.phase = phase;
  out.episode = episode.episode;
  out.zone = settings_.zones[episode.zone].id;
  out.box = episode.box;
  out.confidence = episode.confidence;
  out.time_s = t_s;
  out.started_s = episode.started_s;
  out.stopped_s = episode.stopped_s;
  return out;
}

std::vector<VisionEvent> ParkingEpisodes::update(const StationaryTracker& tracker, double t_s,
                                                 std::optional<WeekTime> local, const VehicleCheck& check) {
  std::vector<VisionEvent> events;
  // A piece joined into another object is the same vehicle: its episode
  // goes on as the other object's (one alert per vehicle, the same episode
  // id), before that object could raise an alert of its own below.
  for (const auto& object : tracker.objects()) {
    if (!object.end_s || !object.joined_into) continue;
    auto piece = open_.find(object.id);
    if (piece == open_.end() || open_.count(*object.joined_into) != 0) continue;
    open_.emplace(*object.joined_into, piece->second);
    open_.erase(piece);
  }
  std::set<int> alive;
  for (const auto& object : tracker.objects()) {
    alive.insert(object.id);
    auto open = open_.find(object.id);
    if (open != open_.end()) {
      auto& episode = open->second;
      if (object.end_s) {
        auto end = event(episode, Phase::end, t_s);
        end.ended_s = object.end_s;
        end.summary = object.joined_into
                          ? fmt::format("Parking episode in zone {} joined into another episode of the same vehicle",
                                        end.zone)
                          : fmt::format("Vehicle left no-parking zone {} after standing {:.0f} s", end.zone,
                                        *object.end_s - episode.stopped_s);
        events.push_back(std::move(end));
        open_.erase(open);
        continue;
      }
      if (!object.visible) {
        if (!episode.hidden_since_s) episode.hidden_since_s = t_s;
      } else {
        if (episode.hidden_since_s && t_s - *episode.hidden_since_s >= kUpdateAfterHiddenS) {
          episode.box = tracker.normalised(object.box);
          auto update = event(episode, Phase::update, t_s);
          update.summary = fmt::format("Vehicle still parked in no-parking zone {} ({:.0f} s)", update.zone,
                                       t_s - episode.stopped_s);
          events.push_back(std::move(update));
        }
        episode.hidden_since_s.reset();
      }
      continue;
    }
    if (object.end_s || object.may_be_piece || !object.visible || t_s - object.last_seen_s > kSeenRecentlyS) continue;
    const auto& zone = settings_.zones[object.zone];
    if (t_s - object.since_s < zone.dwell_s) continue;
    if (local && !zone.schedule.active_at(*local)) continue;
    const auto rejected = rejected_until_.find(object.id);
    if (rejected != rejected_until_.end() && t_s < rejected->second) continue;
    Episode episode;
    episode.episode = next_episode_;
    episode.zone = object.zone;
    episode.box = tracker.normalised(object.box);
    episode.started_s = t_s;
    episode.stopped_s = object.since_s;
    episode.confidence = std::clamp(0.55 + 0.4 * object.match, 0.0, 0.99);
    if (check) {
      const auto confirmed = check(episode.box);
      if (!confirmed) {
        rejected_until_[object.id] = t_s + kRecheckS;
        continue;
      }
      episode.confidence = std::max(episode.confidence, *confirmed);
    }
    ++next_episode_;
    auto start = event(episode, Phase::start, t_s);
    start.summary = fmt::format("Vehicle parked in no-parking zone {} for {:.0f} s (allowed {:.0f} s)", zone.id,
                                t_s - object.since_s, zone.dwell_s);
    events.push_back(std::move(start));
    open_.emplace(object.id, episode);
  }
  // Objects forgotten without an end (the view changed): close their episodes.
  for (auto it = open_.begin(); it != open_.end();) {
    if (alive.count(it->first) == 0) {
      auto end = event(it->second, Phase::end, t_s);
      end.ended_s = t_s;
      end.summary = fmt::format("Parking episode in zone {} closed: the vehicle can no longer be followed", end.zone);
      events.push_back(std::move(end));
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = rejected_until_.begin(); it != rejected_until_.end();) {
    it = alive.count(it->first) == 0 ? rejected_until_.erase(it) : std::next(it);
  }
  return events;
}

std::vector<VisionEvent> ParkingEpisodes::open_episodes(double t_s) const {
  std::vector<VisionEvent> out;
  for (const auto& [id, episode] : open_) out.push_back(event(episode, Phase::update, t_s));
  return out;
}

}  // namespace gridwatch::edge::vision
