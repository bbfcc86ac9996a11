#include "central/http/api_router.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <map>
#include <charconv>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "central/incident_stats.hpp"
#include "central/http/interop.hpp"
#include "central/http/records_json.hpp"
#include "common/ids.hpp"

namespace gridwatch::central {
namespace {

/// A client mistake in the query; handle() turns it into a 400.
struct BadRequest {
  std::string message;
};

enum class Endpoint {
  healthz,
  incidents,
  incident,
  transitions,
  cap,
  gateways,
  evidence,
  metrics,
  open311_services,
  open311_requests,
  open311_request,
  fleet,
  fleet_gateway,
  stats,
  cells
};

constexpr std::string_view kEvidencePrefix = "/api/v1/evidence/";
constexpr std::string_view kIncidentPrefix = "/api/v1/incidents/";
constexpr std::string_view kTransitionsSuffix = "/transitions";
constexpr std::string_view kCapSuffix = "/cap.xml";
constexpr std::string_view kOpen311Requests = "/open311/v2/requests.json";
constexpr std::string_view kOpen311RequestPrefix = "/open311/v2/requests/";
constexpr std::string_view kOpen311Services = "/open311/v2/services.json";
constexpr std::string_view kFleetPrefix = "/api/v1/fleet/";
/// Incidents a stats request looks at, at most; the reply says when it hit this.
constexpr std::size_t kMaxStatsIncidents = 200'000;
constexpr EpochMs kDayMs = 86'400'000;
constexpr std::size_t kMaxIncidentAlerts = 200;
constexpr EpochMs kCorrelationWindowMs = 10 * 60 * 1000;

/// The {id} of /api/v1/incidents/{id}[/transitions]; nullopt when not a number.
std::optional<std::int64_t> incident_id_of(std::string_view path) {
  auto rest = path.substr(kIncidentPrefix.size());
  if (rest.ends_with(kTransitionsSuffix)) rest.remove_suffix(kTransitionsSuffix.size());
  if (rest.ends_with(kCapSuffix)) rest.remove_suffix(kCapSuffix.size());
  std::int64_t id = 0;
  const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), id);
  if (error != std::errc{} || end != rest.data() + rest.size() || id < 1) return std::nullopt;
  return id;
}

std::optional<Endpoint> endpoint_for(std::string_view path) {
  if (path == "/healthz") return Endpoint::healthz;
  if (path == "/api/v1/incidents") return Endpoint::incidents;
  if (path == "/api/v1/gateways") return Endpoint::gateways;
  if (path == "/metrics") return Endpoint::metrics;
  if (path == "/api/v1/fleet") return Endpoint::fleet;
  if (path.substr(0, kFleetPrefix.size()) == kFleetPrefix) return Endpoint::fleet_gateway;
  if (path == "/api/v1/stats") return Endpoint::stats;
  if (path == "/api/v1/cells") return Endpoint::cells;
  if (path.substr(0, kEvidencePrefix.size()) == kEvidencePrefix) return Endpoint::evidence;
  if (path.substr(0, kIncidentPrefix.size()) == kIncidentPrefix) {
    if (path.ends_with(kCapSuffix)) return Endpoint::cap;
    return path.ends_with(kTransitionsSuffix) ? Endpoint::transitions : Endpoint::incident;
  }
  if (path == kOpen311Services) return Endpoint::open311_services;
  if (path == kOpen311Requests) return Endpoint::open311_requests;
  if (path.substr(0, kOpen311RequestPrefix.size()) == kOpen311RequestPrefix && path.ends_with(".json")) {
    return Endpoint::open311_request;
  }
  return std::nullopt;
}

const char* name_of(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::healthz: return "/healthz";
    case Endpoint::incidents: return "/api/v1/incidents";
    case Endpoint::gateways: return "/api/v1/gateways";
    case Endpoint::evidence: return "/api/v1/evidence/{id}";
    case Endpoint::incident: return "/api/v1/incidents/{id}";
    case Endpoint::transitions: return "/api/v1/incidents/{id}/transitions";
    case Endpoint::cap: return "/api/v1/incidents/{id}/cap.xml";
    case Endpoint::open311_services: return "/open311/v2/services.json";
    case Endpoint::open311_requests: return "/open311/v2/requests.json";
    case Endpoint::open311_request: return "/open311/v2/requests/{id}.json";
    case Endpoint::metrics: return "/metrics";
    case Endpoint::fleet: return "/api/v1/fleet";
    case Endpoint::fleet_gateway: return "/api/v1/fleet/{gateway}";
    case Endpoint::stats: return "/api/v1/stats";
    case Endpoint::cells: return "/api/v1/cells";
  }
  return "?";
}

ApiReply json_reply(unsigned status, const nlohmann::json& body) {
  ApiReply reply;
  reply.status = status;
  // Stored text (summaries, ids) and echoed paths may hold invalid UTF-8;
  // replacing it keeps every body valid JSON instead of throwing mid-reply.
  reply.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return reply;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// application/x-www-form-urlencoded decoding: %XX escapes and '+' as space.
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c != '%') {
      out.push_back(c);
    } else {
      if (i + 2 >= text.size()) return std::nullopt;  // "%" or "%4" at the end
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    }
  }
  return out;
}

/// The API endpoints reject unknown and repeated parameters, as the config
/// loader rejects unknown keys: a typo ("limt=5") must not silently return
/// the default page.
void check_known(const std::vector<std::pair<std::string, std::string>>& params,
                 std::initializer_list<std::string_view> known) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto& name = params[i].first;
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      throw BadRequest{fmt::format("{}: unknown parameter", name)};
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (params[j].first == name) throw BadRequest{fmt::format("{}: given more than once", name)};
    }
  }
}

std::vector<std::pair<std::string, std::string>> query_params(std::string_view query) {
  try {
    return parse_query(query);
  } catch (const std::invalid_argument& error) {
    throw BadRequest{error.what()};
  }
}

std::size_t parse_limit(std::string_view text) {
  std::size_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [stopped_at, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc{} || stopped_at != end || value < 1 || value > kMaxIncidentLimit) {
    throw BadRequest{fmt::format("limit: must be an integer between 1 and {}", kMaxIncidentLimit)};
  }
  return value;
}

EpochMs parse_time(const std::string& name, std::string_view text) {
  EpochMs value = 0;
  const auto* end = text.data() + text.size();
  const auto [stopped_at, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc{} || stopped_at != end || value < 0) {
    throw BadRequest{name + ": must be milliseconds since the Unix epoch (a non-negative integer)"};
  }
  return value;
}

bool parse_bool(const std::string& name, std::string_view text) {
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  throw BadRequest{name + ": must be true or false"};
}

constexpr std::array<std::string_view, 9> kStates{"new",      "dispatched", "acknowledged", "on_scene",   "feedback",
                                                   "resolved", "closed",     "cancelled",    "false_alarm"};
constexpr std::array<std::string_view, 7> kKinds{"smoke",        "fire",         "parking",    "tamper",
                                                  "sensor_fault", "camera_fault", "maintenance"};
constexpr std::array<std::string_view, 4> kLevels{"grid", "village", "town", "county"};

template <std::size_t N>
std::string one_of(const std::string& name, const std::string& value, const std::array<std::string_view, N>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return value;
  std::string list;
  for (const auto item : allowed) list += (list.empty() ? "" : ", ") + std::string(item);
  throw BadRequest{fmt::format("{}: must be one of {}", name, list)};
}

}  // namespace

ApiReply error_reply(unsigned status, std::string_view message) {
  return json_reply(status, nlohmann::json{{"error", message}});
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;  // "a=1&&b=2"
    const auto eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq));
    if (!name) throw std::invalid_argument("query: malformed percent-encoding in a parameter name");
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!value) throw std::invalid_argument(fmt::format("{}: malformed percent-encoding", *name));
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

ApiRouter::ApiRouter(Store& store, std::function<IngestCounters()> counters)
    : store_(store), counters_(std::move(counters)) {}

ApiReply ApiRouter::handle(std::string_view method, std::string_view target, std::string_view body,
                           const HttpStats& http, const Caller* caller) {
  try {
    return route(method, target, body, http, caller);
  } catch (const BadRequest& bad) {
    return error_reply(400, bad.message);
  } catch (const std::exception& error) {
    // Only reached after routing, so the path is one of ours and safe to log.
    const auto path = target.substr(0, target.find('?'));
    spdlog::error("HTTP {} failed: {}", endpoint_for(path) ? name_of(*endpoint_for(path)) : "request", error.what());
    return error_reply(500, "internal error; the gridwatch-central log has the details");
  }
}

ApiReply ApiRouter::route(std::string_view method, std::string_view target, std::string_view body,
                          const HttpStats& http, const Caller* caller) {
  if (target.empty() || target.front() != '/') return error_reply(400, "request target must be a path such as /healthz");
  const auto question = target.find('?');
  const auto path = target.substr(0, question);
  const auto query = question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);

  const auto endpoint = endpoint_for(path);
  if (!endpoint) return json_reply(404, nlohmann::json{{"error", "no such endpoint"}, {"path", path}});
  if (*endpoint == Endpoint::transitions && method == "POST") {
    const auto id = incident_id_of(path);
    if (!id) throw BadRequest{"incident id: must be a positive integer"};
    check_known(query_params(query), {});
    return transition(*id, body, caller);
  }
  if (method != "GET" && method != "HEAD") {
    auto reply = json_reply(405, nlohmann::json{{"error", fmt::format("method not allowed; {} accepts GET and HEAD",
                                                                      name_of(*endpoint))}});
    reply.headers.emplace_back("Allow", "GET, HEAD");
    return reply;
  }
  switch (*endpoint) {
    // /healthz and /metrics ignore their query: probes and scrapers may add
    // their own parameters, and there is nothing to filter.
    case Endpoint::healthz:
      return json_reply(200, nlohmann::json{{"status", "ok"}});
    case Endpoint::metrics: {
      ApiReply reply;
      reply.content_type = kPrometheusContentType;
      // The backlog is one indexed count in the store; a failing store
      // still leaves the process counters scrapeable.
      std::optional<NotificationBacklog> backlog;
      try {
        backlog = store_.notification_backlog();
      } catch (const std::exception& failure) {
        spdlog::warn("metrics: cannot read the notification backlog: {}", failure.what());
      }
      reply.body = prometheus_text(counters_ ? counters_() : IngestCounters{}, http, backlog ? &*backlog : nullptr,
                                   wall_clock_ms());
      return reply;
    }
    case Endpoint::incidents:
      return incidents(query);
    case Endpoint::gateways:
      return gateways(query);
    case Endpoint::evidence:
      return evidence(path.substr(kEvidencePrefix.size()), query);
    case Endpoint::incident:
    case Endpoint::transitions:
    case Endpoint::cap: {
      const auto id = incident_id_of(path);
      if (!id) throw BadRequest{"incident id: must be a positive integer"};
      return *endpoint == Endpoint::cap ? cap(*id, query) : incident(*id, query);
    }
    case Endpoint::open311_services:
      check_known(query_params(query), {"jurisdiction_id"});
      return json_reply(200, open311_services());
    case Endpoint::open311_requests:
      return open311_requests(query);
    case Endpoint::open311_request: {
      auto id = path.substr(kOpen311RequestPrefix.size());
      id.remove_suffix(std::string_view(".json").size());
      return open311_request(id, query);
    }
    case Endpoint::fleet:
      return fleet(query);
    case Endpoint::fleet_gateway:
      return fleet_gateway(path.substr(kFleetPrefix.size()), query);
    case Endpoint::stats:
      return stats(query);
    case Endpoint::cells:
      return cells(query);
  }
  return error_reply(500, "unrouted endpoint");
}

ApiReply ApiRouter::incidents(std::string_view query) {
  const auto params = query_params(query);
  check_known(params, {"limit", "gateway", "state", "kind", "cell", "level", "since", "until", "open", "cursor"});
  IncidentQuery selection;
  selection.limit = kDefaultIncidentLimit;
  for (const auto& [name, value] : params) {
    if (name == "limit") {
      selection.limit = parse_limit(value);
    } else if (name == "gateway") {
      if (!is_valid_id(value)) {
        throw BadRequest{"gateway: must be a gateway id, 1-64 characters of A-Z a-z 0-9 _ -"};
      }
      selection.gateway_id = value;
    } else if (name == "state") {
      std::string_view rest = value;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        selection.states.push_back(one_of("state", std::string(rest.substr(0, comma)), kStates));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
      if (selection.states.empty()) throw BadRequest{"state: give one or more states, comma-separated"};
    } else if (name == "kind") {
      selection.kind = one_of("kind", value, kKinds);
    } else if (name == "cell") {
      if (!is_valid_id(value)) throw BadRequest{"cell: must be a cell id, 1-64 characters of A-Z a-z 0-9 _ -"};
      selection.cell_id = value;
    } else if (name == "level") {
      selection.level = one_of("level", value, kLevels);
    } else if (name == "since") {
      selection.since_ms = parse_time(name, value);
    } else if (name == "until") {
      selection.until_ms = parse_time(name, value);
    } else if (name == "open") {
      selection.open_only = parse_bool(name, value);
    } else if (name == "cursor") {
      const auto cursor = parse_time(name, value);
      if (cursor < 1) throw BadRequest{"cursor: must be the next_cursor of a previous page"};
      selection.before_id = cursor;
    }
  }
  if (selection.since_ms && selection.until_ms && *selection.until_ms <= *selection.since_ms) {
    throw BadRequest{"until: must be later than since"};
  }
  const auto found = store_.incidents(selection);
  auto list = nlohmann::json::array();
  for (const auto& incident : found) list.push_back(to_json(incident));
  // A full page may have more behind it; ids only fall, so the cursor is stable.
  const auto next = found.size() == selection.limit && !found.empty() ? nlohmann::json(found.back().id)
                                                                       : nlohmann::json(nullptr);
  return json_reply(200, nlohmann::json{{"incidents", std::move(list)}, {"next_cursor", next}});
}

// One incident with its timeline: every routing, transition, SLA breach
// and escalation, oldest first.
ApiReply ApiRouter::incident(std::int64_t id, std::string_view query) {
  check_known(query_params(query), {});
  const auto found = store_.incident(id);
  if (!found) return json_reply(404, nlohmann::json{{"error", "no such incident"}, {"id", id}});
  auto timeline = nlohmann::json::array();
  for (const auto& event : store_.incident_events(id)) timeline.push_back(to_json(event));
  auto alerts = nlohmann::json::array();
  for (const auto& alert : store_.incident_alerts(id, kMaxIncidentAlerts)) alerts.push_back(to_json(alert));
  // Correlated: other incidents in the same cell (or from the same gateway
  // when unrouted) detected within kCorrelationWindowMs of this one.
  IncidentQuery nearby;
  nearby.limit = 20;
  if (found->cell_id.empty()) {
    nearby.gateway_id = found->gateway_id;
  } else {
    nearby.cell_id = found->cell_id;
  }
  nearby.since_ms = found->detected_at_ms - kCorrelationWindowMs;
  nearby.until_ms = found->detected_at_ms + kCorrelationWindowMs;
  auto related = nlohmann::json::array();
  for (const auto& other : store_.incidents(nearby)) {
    if (other.id != id) related.push_back(to_json(other));
  }
  return json_reply(200, nlohmann::json{{"incident", to_json(*found)},
                                        {"timeline", std::move(timeline)},
                                        {"alerts", std::move(alerts)},
                                        {"related", std::move(related)}});
}

ApiReply ApiRouter::transition(std::int64_t id, std::string_view body, const Caller* caller) {
  if (!transitions_) return error_reply(503, "the dispatch workflow is not running in this process");
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object()) {
    throw BadRequest{R"(body: must be a JSON object such as {"action": "acknowledge", "actor": "operator-7"})"};
  }
  FieldErrors errors;
  TransitionRequest request;
  auto text = [&](const char* key, std::string& out, bool required) {
    const auto found = json.find(key);
    if (found == json.end()) {
      if (required) errors.push_back({key, "required"});
    } else if (!found->is_string()) {
      errors.push_back({key, "must be a string"});
    } else {
      out = found->get<std::string>();
    }
  };
  std::string action;
  text("action", action, true);
  // Signed in, the caller is the actor: the audit trail records who really did it.
  text("actor", request.actor, caller == nullptr);
  if (caller != nullptr) request.actor = caller->user;
  text("note", request.note, false);
  text("unit", request.unit, false);
  if (const auto found = json.find("satisfaction"); found != json.end()) {
    if (found->is_number_integer()) {
      request.satisfaction = found->get<int>();
    } else {
      errors.push_back({"satisfaction", "must be an integer 1-5"});
    }
  }
  for (const auto& [key, value] : json.items()) {
    if (key != "action" && key != "actor" && key != "note" && key != "unit" && key != "satisfaction") {
      errors.push_back({key, "unknown field"});
    }
  }
  if (!action.empty()) {
    if (const auto parsed = dispatch_action_from_string(action)) {
      request.action = *parsed;
    } else {
      errors.push_back({"action", "must be one of dispatch, acknowledge, arrive, feedback, resolve, close, cancel, "
                                  "false_alarm"});
    }
  }
  if (request.note.size() > 2000) errors.push_back({"note", "at most 2000 characters"});
  if (!errors.empty()) throw BadRequest{join_errors(errors)};
  if (caller != nullptr && !may_take(caller->role, request.action)) {
    return json_reply(403, nlohmann::json{
                               {"error", fmt::format("action: {} may not {}; it needs the {} role or higher",
                                                     to_string(caller->role), action,
                                                     to_string(least_role_for(request.action)))},
                               {"role", to_string(caller->role)},
                               {"action", action}});
  }
  const auto outcome = transitions_(id, request);
  switch (outcome.result) {
    case TransitionOutcome::Result::applied:
      return json_reply(200, nlohmann::json{{"incident", to_json(*outcome.incident)}});
    case TransitionOutcome::Result::not_found:
      return json_reply(404, nlohmann::json{{"error", "no such incident"}, {"id", id}});
    case TransitionOutcome::Result::conflict:
      return json_reply(409, nlohmann::json{{"error", join_errors(outcome.errors)}});
    case TransitionOutcome::Result::refused: {
      auto list = nlohmann::json::array();
      for (const auto& error : outcome.errors) list.push_back({{"field", error.field}, {"message", error.message}});
      return json_reply(422, nlohmann::json{{"error", join_errors(outcome.errors)}, {"errors", std::move(list)}});
    }
  }
  return error_reply(500, "unknown transition outcome");
}

ApiReply ApiRouter::cap(std::int64_t id, std::string_view query) {
  check_known(query_params(query), {});
  const auto found = store_.incident(id);
  if (!found) return json_reply(404, nlohmann::json{{"error", "no such incident"}, {"id", id}});
  ApiReply reply;
  reply.content_type = "application/cap+xml";
  reply.body = to_cap_xml(*found, sender_);
  return reply;
}

// Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2): the
// incidents as service requests, for 12345-hotline and work-order systems.
// Filters apply to the newest kMaxIncidentLimit incidents.
ApiReply ApiRouter::open311_requests(std::string_view query) {
  const auto params = query_params(query);
  check_known(params, {"jurisdiction_id", "service_request_id", "service_code", "status", "start_date", "end_date"});
  std::vector<std::string> ids;
  std::string service_code;
  std::string status;
  for (const auto& [name, value] : params) {
    if (name == "service_request_id") {
      std::string_view rest = value;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        ids.emplace_back(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
    } else if (name == "service_code") {
      service_code = value;
    } else if (name == "status") {
      if (value != "open" && value != "closed") throw BadRequest{"status: must be open or closed"};
      status = value;
    } else if (name == "start_date" || name == "end_date") {
      throw BadRequest{name + ": date filters are not supported yet; filter by status or service_code"};
    }
  }
  auto list = nlohmann::json::array();
  for (const auto& incident : store_.incidents({kMaxIncidentLimit, std::nullopt})) {
    auto request = to_open311(incident);
    if (!ids.empty() && std::find(ids.begin(), ids.end(), request["service_request_id"]) == ids.end()) continue;
    if (!service_code.empty() && request["service_code"] != service_code) continue;
    if (!status.empty() && request["status"] != status) continue;
    list.push_back(std::move(request));
  }
  return json_reply(200, list);
}

ApiReply ApiRouter::open311_request(std::string_view id_text, std::string_view query) {
  check_known(query_params(query), {"jurisdiction_id"});
  std::int64_t id = 0;
  const auto [end, error] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (error != std::errc{} || end != id_text.data() + id_text.size() || id < 1) {
    throw BadRequest{"service_request_id: must be a positive integer"};
  }
  const auto found = store_.incident(id);
  if (!found) {
    return json_reply(404, nlohmann::json::array({{{"code", 404}, {"description", "no such service request"}}}));
  }
  // GeoReport v2 answers a single request as a one-element array.
  return json_reply(200, nlohmann::json::array({to_open311(*found)}));
}

ApiReply ApiRouter::evidence(std::string_view evidence_id, std::string_view query) {
  check_known(query_params(query), {});
  if (!is_valid_message_id(evidence_id)) {
    throw BadRequest{"evidence id: must be 1-128 characters of A-Z a-z 0-9 _ . : -"};
  }
  auto found = store_.evidence(std::string(evidence_id));
  if (!found) return json_reply(404, nlohmann::json{{"error", "no such evidence"}, {"evidence_id", evidence_id}});
  ApiReply reply;
  reply.content_type = found->content_type;
  reply.body = std::move(found->data);
  // Evidence never changes once stored: let the dashboard cache it.
  reply.headers.emplace_back("Cache-Control", "private, max-age=86400, immutable");
  return reply;
}

ApiReply ApiRouter::gateways(std::string_view query) {
  check_known(query_params(query), {});
  auto list = nlohmann::json::array();
  for (const auto& gateway : store_.gateways()) list.push_back(to_json(gateway));
  return json_reply(200, nlohmann::json{{"gateways", std::move(list)}});
}

ApiReply ApiRouter::fleet(std::string_view query) {
  check_known(query_params(query), {});
  auto list = nlohmann::json::array();
  std::map<std::string, std::size_t> presence;
  for (const auto& gateway : store_.gateways()) {
    ++presence[gateway.presence];
    list.push_back(to_fleet_json(gateway));
  }
  const auto total = list.size();
  return json_reply(200, nlohmann::json{{"gateways", std::move(list)},
                                        {"summary", {{"total", total},
                                                     {"online", presence["online"]},
                                                     {"offline", presence["offline"]},
                                                     {"unknown", presence["unknown"]}}}});
}

ApiReply ApiRouter::fleet_gateway(std::string_view gateway_id, std::string_view query) {
  check_known(query_params(query), {});
  if (!is_valid_id(gateway_id)) throw BadRequest{"gateway: must be a gateway id, 1-64 characters of A-Z a-z 0-9 _ -"};
  const auto found = store_.gateway(std::string(gateway_id));
  if (!found) return json_reply(404, nlohmann::json{{"error", "no such gateway"}, {"gateway_id", gateway_id}});
  IncidentQuery recent;
  recent.limit = 20;
  recent.gateway_id = std::string(gateway_id);
  auto incidents = nlohmann::json::array();
  for (const auto& incident : store_.incidents(recent)) incidents.push_back(to_json(incident));
  return json_reply(200, nlohmann::json{{"gateway", to_fleet_json(*found)}, {"incidents", std::move(incidents)}});
}

// The stats page: incidents detected in [since, until), default the last 30 days.
ApiReply ApiRouter::stats(std::string_view query) {
  const auto params = query_params(query);
  check_known(params, {"since", "until", "tz_offset_min"});
  const auto now = wall_clock_ms();
  IncidentQuery selection;
  selection.limit = kMaxStatsIncidents;
  selection.until_ms = now + 1;
  selection.since_ms = now - 30 * kDayMs;
  int tz_offset_min = 0;
  for (const auto& [name, value] : params) {
    if (name == "since") selection.since_ms = parse_time(name, value);
    if (name == "until") selection.until_ms = parse_time(name, value);
    if (name == "tz_offset_min") {
      const auto* end = value.data() + value.size();
      const auto [stopped_at, error] = std::from_chars(value.data(), end, tz_offset_min);
      if (error != std::errc{} || stopped_at != end || tz_offset_min < -840 || tz_offset_min > 840) {
        throw BadRequest{"tz_offset_min: must be an integer from -840 to 840 (480 for China Standard Time)"};
      }
    }
  }
  if (*selection.until_ms <= *selection.since_ms) throw BadRequest{"until: must be later than since"};
  const auto incidents = store_.incidents(selection);
  const auto figures = compute_stats(incidents, sla_, now, tz_offset_min);
  auto clock = [](const ClockCompliance& compliance, double limit_s) {
    const auto percent = compliance.percent();
    return nlohmann::json{{"limit_s", limit_s},
                          {"met", compliance.met},
                          {"missed", compliance.missed},
                          {"pending", compliance.pending},
                          {"percent", percent < 0 ? nlohmann::json(nullptr) : nlohmann::json(percent)}};
  };
  nlohmann::json resolved_share = nlohmann::json::object();
  for (const auto level : kLevels) {
    const auto found = figures.resolved_at_level.find(std::string(level));
    const auto count = found == figures.resolved_at_level.end() ? 0 : found->second;
    resolved_share[std::string(level)] = {
        {"count", count},
        {"percent", figures.resolved == 0 ? nlohmann::json(nullptr)
                                          : nlohmann::json(100.0 * static_cast<double>(count) /
                                                           static_cast<double>(figures.resolved))}};
  }
  return json_reply(200, nlohmann::json{{"since_ms", *selection.since_ms},
                                        {"until_ms", *selection.until_ms},
                                        {"tz_offset_min", tz_offset_min},
                                        {"total", figures.total},
                                        {"truncated", incidents.size() == kMaxStatsIncidents},
                                        {"sla",
                                         {{"dispatch", clock(figures.dispatch, sla_.dispatch_s)},
                                          {"on_scene", clock(figures.on_scene, sla_.on_scene_s)},
                                          {"feedback", clock(figures.feedback, sla_.feedback_s)}}},
                                        {"by_kind", figures.by_kind},
                                        {"by_cell", figures.by_cell},
                                        {"by_day", figures.by_day},
                                        {"by_state", figures.by_state},
                                        {"resolved", figures.resolved},
                                        {"resolved_at_level", std::move(resolved_share)}});
}

ApiReply ApiRouter::cells(std::string_view query) {
  check_known(query_params(query), {});
  ApiReply reply;
  reply.content_type = "application/geo+json";
  reply.body = cells_geojson_.empty() ? R"({"type":"FeatureCollection","features":[]})" : cells_geojson_;
  return reply;
}

}  // namespace gridwatch::central
