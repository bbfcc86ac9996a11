#pragma once
// Request -> reply for every endpoint in docs/api.md, with no socket code:
// http_server.cpp does the HTTP transport and calls handle() once per request.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "central/auth/auth_service.hpp"
#include "central/dispatcher.hpp"
#include "central/http/metrics_text.hpp"
#include "central/ingest.hpp"
#include "central/store.hpp"

namespace gridwatch::central {

inline constexpr std::size_t kDefaultIncidentLimit = 100;
inline constexpr std::size_t kMaxIncidentLimit = 1000;

struct ApiReply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers, e.g. Allow on 405
};

/// `{"error": message}` as a JSON reply; the one place error bodies are built.
ApiReply error_reply(unsigned status, std::string_view message);

/// The decoded `name=value` pairs of a query string, in order. Throws
/// std::invalid_argument when a percent escape is malformed.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

/// Applies a staff request to an incident (Dispatcher::transition, on the
/// io_context thread).
using TransitionHandler =
    std::function<TransitionOutcome(std::int64_t incident_id, const TransitionRequest& request)>;

class ApiRouter {
 public:
  /// `counters` is called for each /metrics request, on the caller's thread.
  ApiRouter(Store& store, std::function<IngestCounters()> counters);

  /// Never throws for any method or target: bad input becomes a 4xx reply and
  /// a failing store a logged 500. HEAD is routed like GET; the transport
  /// drops the body.
  ApiReply handle(std::string_view method, std::string_view target, const HttpStats& http) {
    return handle(method, target, {}, http);
  }
  ApiReply handle(std::string_view method, std::string_view target, std::string_view body, const HttpStats& http) {
    return handle(method, target, body, http, nullptr);
  }
  /// `caller` is who signed in (http.auth: required), or null when auth is
  /// off: transitions are then role-checked against the caller's role and
  /// recorded under the caller's name.
  ApiReply handle(std::string_view method, std::string_view target, std::string_view body, const HttpStats& http,
                  const Caller* caller);

  /// Enables POST /api/v1/incidents/{id}/transitions (the dispatch workflow).
  void set_transition_handler(TransitionHandler handler) { transitions_ = std::move(handler); }
  /// CAP <sender> of this central, e.g. "gridwatch@central-1".
  void set_sender(std::string sender) { sender_ = std::move(sender); }
  /// The SLA limits the stats endpoint measures against.
  void set_sla(SlaSettings sla) { sla_ = sla; }
  /// The grid cells file (GeoJSON) served at /api/v1/cells for the map.
  void set_cells_geojson(std::string geojson) { cells_geojson_ = std::move(geojson); }

 private:
  ApiReply route(std::string_view method, std::string_view target, std::string_view body, const HttpStats& http,
                 const Caller* caller);
  ApiReply incident(std::int64_t id, std::string_view query);
  ApiReply transition(std::int64_t id, std::string_view body, const Caller* caller);
  ApiReply fleet(std::string_view query);
  ApiReply fleet_gateway(std::string_view gateway_id, std::string_view query);
  ApiReply stats(std::string_view query);
  ApiReply cells(std::string_view query);
  ApiReply cap(std::int64_t id, std::string_view query);
  ApiReply open311_requests(std::string_view query);
  ApiReply open311_request(std::string_view id, std::string_view query);
  ApiReply incidents(std::string_view query);
  ApiReply gateways(std::string_view query);
  ApiReply evidence(std::string_view evidence_id, std::string_view query);

  Store& store_;
  std::function<IngestCounters()> counters_;
  TransitionHandler transitions_;
  std::string sender_ = "gridwatch@central";
  SlaSettings sla_;
  std::string cells_geojson_;
};

}  // namespace gridwatch::central
