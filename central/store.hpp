#pragma once
// Central's persistent store behind one interface: SQLite is the embedded
// default; PostgreSQL (several central instances) implements the same.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "central/core/incident_rules.hpp"
#include "common/time.hpp"
#include "common/wire.hpp"

namespace gridwatch::central {

/// An incident: the dispatch event staff act on, one per alert episode.
struct IncidentRecord {
  std::int64_t id = 0;
  std::string episode_id;
  std::string gateway_id;
  std::string kind;
  std::string severity;
  std::string urgency;
  std::string certainty;
  double confidence = 0;
  std::string state;              ///< "new" until dispatch workflow moves it on
  EpochMs detected_at_ms = 0;     ///< the gateway's detection time of the first alert
  EpochMs created_ms = 0;         ///< when central committed the incident
  EpochMs updated_ms = 0;
  std::optional<EpochMs> episode_ended_ms;
  double lat = 0;
  double lon = 0;
  std::string camera;
  std::string zone;
  std::string sensor;
  std::string summary;
  std::int64_t alert_count = 0;
  // Routing and the dispatch workflow (central/dispatcher.hpp).
  std::string cell_id;          ///< grid cell the incident lies in; empty when unrouted
  std::string level = "grid";   ///< where the case sits now: grid, village, town, county
  std::string starting_level = "grid";
  std::string department;
  std::string unit;             ///< duty unit responsible now
  std::optional<EpochMs> dispatched_ms;
  std::optional<EpochMs> on_scene_ms;
  std::optional<EpochMs> feedback_ms;
  std::optional<EpochMs> resolved_ms;
  std::optional<EpochMs> closed_ms;
  std::optional<int> satisfaction;  ///< 1-5, given when closed
  std::string light = "none";       ///< open-case light: none, green, yellow, red
  std::string breaches;             ///< SLA clocks breached, comma-separated
  std::optional<EpochMs> sla_next_ms;  ///< when the SLA status next needs a look; nullopt = never
  std::string plate;                ///< vehicle plate, when a detector read one (parking)
};

/// One line of an incident's timeline and audit trail: who did what, when.
struct IncidentEvent {
  std::int64_t id = 0;
  std::int64_t incident_id = 0;
  EpochMs at_ms = 0;
  std::string actor;       ///< staff login, "auto" (rules), "sla" (clocks)
  std::string action;      ///< a dispatch action, or routed, escalated, sla_breach, light
  std::string from_state;
  std::string to_state;
  std::string note;
  std::string details;     ///< JSON object with the facts of the event
};

/// One stored alert of an incident, as the gateway sent it.
struct StoredAlert {
  std::string alert_id;
  std::string phase;
  EpochMs detected_at_ms = 0;
  EpochMs received_ms = 0;
  std::string payload;  ///< the alert JSON (wire contract v1): box, zone, evidence ids, value
};

/// The fleet registry's entry for one gateway.
struct GatewayRecord {
  std::string gateway_id;
  std::string presence;  ///< "online", "offline", "unknown" (telemetry only so far)
  std::string boot_id;
  std::string version;
  EpochMs last_seen_ms = 0;
  std::string telemetry_json;  ///< last telemetry payload as received
  std::optional<double> lat;   ///< from its status (or first alert); nullopt until known
  std::optional<double> lon;
  std::string cell_id;         ///< grid cell it stands in; empty when unknown or outside every cell
  std::optional<EpochMs> offline_since_ms;  ///< set while offline
  std::string offline_reason;  ///< "status" (its own or its Last Will) or "heartbeat_timeout"
  std::optional<std::int64_t> maintenance_incident_id;  ///< opened for the current offline spell
};

/// Staff roles, least to most privileged (docs/api.md#roles).
struct UserRecord {
  std::string name;
  std::string role;           ///< operator, supervisor, admin
  std::string password_hash;  ///< PBKDF2 string (central/auth/password.hpp)
  EpochMs created_ms = 0;
};

/// A browser session or an API token: only the SHA-256 of the secret is
/// stored, so a copy of the database does not let anyone in.
struct CredentialRecord {
  std::string secret_hash;
  std::string user_name;
  std::string kind;        ///< "session" or "token"
  std::string label;       ///< tokens: what the token is for
  std::string csrf_token;  ///< sessions: must come back in X-CSRF-Token on writes
  EpochMs created_ms = 0;
  std::optional<EpochMs> expires_ms;  ///< sessions expire; tokens until revoked
};

enum class AlertOutcome {
  opened_incident,
  updated_incident,
  duplicate,  ///< this alert id was stored before: nothing changed
};

/// One row of the notification outbox: a delivery to make, at least once.
struct NotificationRecord {
  std::int64_t id = 0;
  std::string channel;         ///< the notifier's name in the config
  std::int64_t incident_id = 0;
  std::string event;           ///< dispatched, escalated, sla_breach
  std::string target;          ///< URL, phone number, or "log"
  std::string body;            ///< JSON as sent
  EpochMs created_ms = 0;
  int attempts = 0;            ///< failed and in-flight attempts so far
  std::optional<EpochMs> next_attempt_ms;  ///< nullopt once delivered
  std::optional<EpochMs> delivered_ms;
  std::string last_error;
};

struct NotificationBacklog {
  std::uint64_t pending = 0;     ///< not delivered yet
  std::uint64_t delivered = 0;
  std::uint64_t retrying = 0;    ///< pending with at least one failed attempt
  EpochMs oldest_pending_created_ms = 0;  ///< 0 when nothing is pending
};

/// A dispatch workflow change, written atomically: the incident's routing
/// and workflow fields, its timeline rows, and the notifications it causes.
struct WorkflowUpdate {
  IncidentRecord incident;
  /// Written only if the incident is still in this state (another staff
  /// member or central instance may have moved it)...
  std::string expected_state;
  /// ...and, when set, still has this SLA deadline: two instances sweeping
  /// the same due incident cannot both escalate it.
  std::optional<std::optional<EpochMs>> expected_sla_next_ms;
  std::vector<IncidentEvent> events;
  std::vector<NotificationRecord> notifications;  ///< ids and attempts are assigned by the store
};

/// A page of incidents, newest first (id descending, so pages are stable
/// while new incidents arrive). Every set filter must match.
struct IncidentQuery {
  IncidentQuery() = default;
  /// The newest `page_size` incidents, of one gateway when `gateway` is set.
  IncidentQuery(std::size_t page_size, std::optional<std::string> gateway = std::nullopt)
      : limit(page_size), gateway_id(std::move(gateway)) {}

  std::size_t limit = 100;
  std::optional<std::string> gateway_id;
  std::vector<std::string> states;      ///< any of these; empty = all
  std::optional<std::string> kind;
  std::optional<std::string> cell_id;
  std::optional<std::string> level;
  std::optional<EpochMs> since_ms;      ///< detected_at_ms >= since
  std::optional<EpochMs> until_ms;      ///< detected_at_ms < until
  bool open_only = false;               ///< not resolved, closed, cancelled or false_alarm
  std::optional<std::int64_t> before_id;  ///< cursor: only ids below this
};

class Store {
 public:
  virtual ~Store() = default;
  /// How record_alert joins a new fire-cue episode to a nearby open
  /// incident (central/core/incident_rules.hpp). Set before use.
  void set_correlation(const CorrelationSettings& settings) { correlation_ = settings; }
  /// Stores the alert and applies it to its incident, atomically: the
  /// incident of its episode, or for a new smoke/fire episode a nearby open
  /// smoke/fire incident it correlates with (recorded on that incident's
  /// timeline as "correlated"), or a new one. Idempotent by alert id.
  /// Throws on storage failure.
  virtual AlertOutcome record_alert(const Alert& alert, std::string_view payload, EpochMs received_ms) = 0;
  virtual void record_status(const Status& status, EpochMs received_ms) = 0;
  virtual void record_telemetry(const Telemetry& telemetry, std::string_view payload, EpochMs received_ms) = 0;
  /// Stores a JPEG; idempotent by evidence id. Returns false for a duplicate.
  virtual bool record_evidence(const Evidence& evidence, EpochMs received_ms) = 0;
  /// The stored evidence, or nullopt.
  virtual std::optional<Evidence> evidence(const std::string& evidence_id) = 0;
  /// Newest first.
  virtual std::vector<IncidentRecord> incidents(const IncidentQuery& query) = 0;
  virtual std::vector<GatewayRecord> gateways() = 0;

  virtual std::optional<IncidentRecord> incident(std::int64_t id) = 0;
  /// The incident an episode opened or joined.
  virtual std::optional<IncidentRecord> incident_by_episode(const std::string& episode_id) = 0;
  /// Oldest first.
  virtual std::vector<IncidentEvent> incident_events(std::int64_t incident_id) = 0;
  /// The alerts applied to an incident, oldest first, at most `limit`.
  virtual std::vector<StoredAlert> incident_alerts(std::int64_t incident_id, std::size_t limit) = 0;

  // --- Incidents central opens itself (maintenance) ---------------------
  /// Inserts `draft` (state "new") unless an incident with its episode_id
  /// exists. Returns the incident's id either way.
  virtual std::int64_t open_incident(const IncidentRecord& draft) = 0;

  // --- Fleet registry ----------------------------------------------------
  virtual std::optional<GatewayRecord> gateway(const std::string& gateway_id) = 0;
  /// Records where a gateway stands and its grid cell.
  virtual void set_gateway_location(const std::string& gateway_id, double lat, double lon,
                                    const std::string& cell_id) = 0;
  /// Marks every online gateway last seen before `silent_before` offline
  /// (reason heartbeat_timeout, since `now`) and returns them as updated.
  virtual std::vector<GatewayRecord> mark_silent_offline(EpochMs silent_before, EpochMs now) = 0;
  /// Offline gateways whose spell started before `offline_before` and has
  /// no maintenance incident yet.
  virtual std::vector<GatewayRecord> offline_without_maintenance(EpochMs offline_before) = 0;
  virtual void set_maintenance_incident(const std::string& gateway_id, std::int64_t incident_id) = 0;

  // --- Staff and credentials (central/auth) ------------------------------
  /// False when a user of that name exists already.
  virtual bool add_user(const UserRecord& user) = 0;
  virtual std::optional<UserRecord> user(const std::string& name) = 0;
  virtual std::vector<UserRecord> users() = 0;
  virtual void add_credential(const CredentialRecord& credential) = 0;
  /// The credential with this secret hash, unless it has expired at `now`.
  virtual std::optional<CredentialRecord> credential(const std::string& secret_hash, EpochMs now) = 0;
  virtual void remove_credential(const std::string& secret_hash) = 0;
  /// Applies `update` in one transaction; false (nothing written) when the
  /// incident no longer matches the expected state or SLA deadline.
  virtual bool apply_workflow(const WorkflowUpdate& update) = 0;
  /// apply_workflow with one optional timeline row and no notifications.
  bool update_workflow(const IncidentRecord& updated, const std::string& expected_state,
                       const std::optional<IncidentEvent>& event) {
    WorkflowUpdate update{updated, expected_state, std::nullopt, {}, {}};
    if (event) update.events.push_back(*event);
    return apply_workflow(update);
  }
  /// Incidents whose SLA status needs a look at `now` (sla_next_ms <= now).
  virtual std::vector<IncidentRecord> incidents_due(EpochMs now, std::size_t limit) = 0;

  /// Takes up to `limit` notifications due at `now` (oldest due first) and
  /// leases them: their next attempt moves to `lease_until_ms` and their
  /// attempt count goes up, so another sender (or central instance) skips
  /// them, and a sender that dies mid-delivery leaves them to be retried.
  virtual std::vector<NotificationRecord> claim_notifications(EpochMs now, EpochMs lease_until_ms,
                                                              std::size_t limit) = 0;
  virtual void notification_delivered(std::int64_t id, EpochMs delivered_ms) = 0;
  virtual void notification_failed(std::int64_t id, EpochMs next_attempt_ms, const std::string& error) = 0;
  /// An incident's notifications, oldest first.
  virtual std::vector<NotificationRecord> notifications(std::int64_t incident_id) = 0;
  virtual NotificationBacklog notification_backlog() = 0;

  // --- Group commit (StoreBatch below) ------------------------------------
  /// Until commit_batch(), the writes of this store share one commit. Each
  /// write stays atomic on its own: one that throws undoes only itself.
  /// None is durable, nor visible to another connection, before
  /// commit_batch() returns; if that throws, nothing written since
  /// begin_batch() may be taken as stored. Batches do not nest. The
  /// default (PostgreSQL: several instances share the tables, and each
  /// write already commits on the server) keeps every write its own commit.
  virtual void begin_batch() {}
  virtual void commit_batch() {}
  /// Drops the open batch and everything written in it. Never throws.
  virtual void abandon_batch() noexcept {}

 protected:
  /// Off until set: a store on its own keeps every episode apart.
  CorrelationSettings correlation_ = [] {
    CorrelationSettings off;
    off.enabled = false;
    return off;
  }();
};

/// A store batch that is abandoned unless commit() was called.
class StoreBatch {
 public:
  explicit StoreBatch(Store& store) : store_(store) { store_.begin_batch(); }
  ~StoreBatch() {
    if (!done_) store_.abandon_batch();
  }
  StoreBatch(const StoreBatch&) = delete;
  StoreBatch& operator=(const StoreBatch&) = delete;
  /// Throws when the commit fails; the batch is over either way.
  void commit() {
    done_ = true;
    store_.commit_batch();
  }

 private:
  Store& store_;
  bool done_ = false;
};

}  // namespace gridwatch::central
