#pragma once
// Builds valid alerts for central tests.
#include <string>

#include "common/wire.hpp"

namespace gridwatch::test {

inline Alert make_alert(const std::string& gateway, std::uint64_t seq, Phase phase, std::string episode = "") {
  Alert alert;
  alert.gateway_id = gateway;
  alert.seq = seq;
  alert.alert_id = gateway + ":e0e0e0e0:" + std::to_string(seq);
  alert.episode_id = episode.empty() ? alert.alert_id : episode;
  alert.phase = phase;
  alert.kind = AlertKind::smoke;
  alert.severity = Severity::severe;
  alert.confidence = 0.8;
  alert.detected_at_ms = 1'795'000'000'000 + static_cast<EpochMs>(seq) * 1000;
  alert.location = {30.5, 104.1, std::nullopt, std::nullopt, std::string("smoke-1")};
  alert.summary = "seq " + std::to_string(seq);
  return alert;
}

}  // namespace gridwatch::test
