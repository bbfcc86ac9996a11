#pragma once
// How one alert changes the incident of its episode. Pure: the store
// looks up the current incident, asks decide(), and applies the answer in
// the same transaction.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/wire.hpp"

namespace gridwatch::central {

/// What the store knows about the incident of an alert's episode.
struct EpisodeIncident {
  std::int64_t incident_id = 0;
  bool episode_ended = false;
};

enum class IncidentAction {
  open,         ///< first alert of the episode: create the incident (dispatch event)
  update,       ///< more evidence for an open episode
  end_episode,  ///< the detector saw the episode end; the case stays open for staff
};

/// Any phase may arrive first (a lost start, reordering across
/// reconnects): whichever message of an episode arrives first opens it.
IncidentAction decide(const Alert& alert, const std::optional<EpisodeIncident>& existing);

/// CAP 1.2 urgency and certainty for an alert (severity comes from the gateway).
struct CapClassification {
  std::string_view urgency;    ///< Immediate, Expected, Future, Past, Unknown
  std::string_view certainty;  ///< Observed, Likely, Possible, Unlikely, Unknown
};
CapClassification classify(const Alert& alert);

/// Higher of two severities (extreme > severe > moderate > minor > unknown).
Severity max_severity(Severity a, Severity b);

/// Cross-cue correlation: a camera's smoke and a nearby sensor's alarm
/// (or two cameras, two gateways) seeing one fire are one incident, not
/// two orders for the same brigade.
struct CorrelationSettings {
  bool enabled = true;
  double radius_m = 300;             ///< cue locations at most this far apart
  std::int64_t window_ms = 300'000;  ///< detections at most this far apart in time
};

/// Smoke and fire alerts are cues of one kind of incident.
bool is_fire_cue(AlertKind kind);
bool is_fire_cue(std::string_view kind);

/// An open fire-cue incident the store found near in time.
struct CorrelationCandidate {
  std::int64_t incident_id = 0;
  double lat = 0;
  double lon = 0;
  std::int64_t detected_at_ms = 0;
};

/// The incident a new episode's first alert joins: the nearest candidate
/// within radius and window, or nullopt (it opens its own). Only fire cues
/// correlate; other kinds always open their own incident.
std::optional<std::int64_t> correlate(const Alert& alert, const std::vector<CorrelationCandidate>& candidates,
                                      const CorrelationSettings& settings);

/// Great-circle distance in metres.
double distance_m(double lat1, double lon1, double lat2, double lon2);

/// A latitude/longitude rectangle (degrees) that holds every point within
/// `radius_m` (distance_m) of a centre: the store narrows the correlation
/// candidates with it through an index before correlate() measures each.
/// Near a pole or across the antimeridian it widens to every longitude.
struct LatLonBox {
  double min_lat = -90;
  double max_lat = 90;
  double min_lon = -180;
  double max_lon = 180;
};
LatLonBox box_around(double lat, double lon, double radius_m);

}  // namespace gridwatch::central
