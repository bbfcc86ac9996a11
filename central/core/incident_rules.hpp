#pragma once
// How one alert changes the incident of its episode. Pure: the store
// looks up the current incident, asks decide(), and applies the answer in
// the same transaction.
#include <optional>
#include <string>
#include <string_view>

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

}  // namespace gridwatch::central
