#include "central/postgres_store.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <map>
#include <pqxx/pqxx>
#include <stdexcept>
#include <utility>

#include "central/core/incident_rules.hpp"
#include "central/store_sql.hpp"

namespace gridwatch::central {
namespace {

// Versioned migrations: entry i brings the schema from version i to i+1,
// the same steps as SqliteStore's. Never edit an entry once released;
// append a new one.
constexpr std::array<const char*, 6> kMigrations{
    R"sql(
CREATE TABLE alerts(
  alert_id TEXT PRIMARY KEY,
  gateway_id TEXT NOT NULL,
  episode_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  phase TEXT NOT NULL,
  kind TEXT NOT NULL,
  severity TEXT NOT NULL,
  confidence DOUBLE PRECISION NOT NULL,
  detected_at_ms BIGINT NOT NULL,
  received_ms BIGINT NOT NULL,
  incident_id BIGINT,
  payload TEXT NOT NULL);
CREATE INDEX alerts_by_episode ON alerts(episode_id);
CREATE TABLE incidents(
  id BIGSERIAL PRIMARY KEY,
  episode_id TEXT NOT NULL UNIQUE,
  gateway_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  severity TEXT NOT NULL,
  urgency TEXT NOT NULL,
  certainty TEXT NOT NULL,
  confidence DOUBLE PRECISION NOT NULL,
  state TEXT NOT NULL,
  detected_at_ms BIGINT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  episode_ended_ms BIGINT,
  lat DOUBLE PRECISION NOT NULL,
  lon DOUBLE PRECISION NOT NULL,
  camera TEXT NOT NULL DEFAULT '',
  zone TEXT NOT NULL DEFAULT '',
  sensor TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL DEFAULT '',
  alert_count BIGINT NOT NULL DEFAULT 1);
CREATE INDEX incidents_by_gateway ON incidents(gateway_id, id);
CREATE TABLE gateways(
  gateway_id TEXT PRIMARY KEY,
  presence TEXT NOT NULL DEFAULT 'unknown',
  boot_id TEXT NOT NULL DEFAULT '',
  version TEXT NOT NULL DEFAULT '',
  last_seen_ms BIGINT NOT NULL DEFAULT 0,
  telemetry TEXT NOT NULL DEFAULT '');
)sql",
    R"sql(
CREATE TABLE evidence(
  evidence_id TEXT PRIMARY KEY,
  alert_id TEXT NOT NULL,
  gateway_id TEXT NOT NULL,
  content_type TEXT NOT NULL,
  captured_at_ms BIGINT NOT NULL,
  received_ms BIGINT NOT NULL,
  data BYTEA NOT NULL);
CREATE INDEX evidence_by_alert ON evidence(alert_id);
)sql",
    R"sql(
ALTER TABLE incidents
  ADD COLUMN cell_id TEXT NOT NULL DEFAULT '',
  ADD COLUMN level TEXT NOT NULL DEFAULT 'grid',
  ADD COLUMN starting_level TEXT NOT NULL DEFAULT 'grid',
  ADD COLUMN department TEXT NOT NULL DEFAULT '',
  ADD COLUMN unit TEXT NOT NULL DEFAULT '',
  ADD COLUMN dispatched_ms BIGINT,
  ADD COLUMN on_scene_ms BIGINT,
  ADD COLUMN feedback_ms BIGINT,
  ADD COLUMN resolved_ms BIGINT,
  ADD COLUMN closed_ms BIGINT,
  ADD COLUMN satisfaction INTEGER,
  ADD COLUMN light TEXT NOT NULL DEFAULT 'none',
  ADD COLUMN breaches TEXT NOT NULL DEFAULT '',
  ADD COLUMN sla_next_ms BIGINT;
CREATE INDEX incidents_sla_due ON incidents(sla_next_ms) WHERE sla_next_ms IS NOT NULL;
CREATE TABLE incident_events(
  id BIGSERIAL PRIMARY KEY,
  incident_id BIGINT NOT NULL,
  at_ms BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  from_state TEXT NOT NULL DEFAULT '',
  to_state TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  details TEXT NOT NULL DEFAULT '{}');
CREATE INDEX incident_events_by_incident ON incident_events(incident_id, id);
)sql",
    R"sql(
ALTER TABLE incidents ADD COLUMN plate TEXT NOT NULL DEFAULT '';
CREATE TABLE notifications(
  id BIGSERIAL PRIMARY KEY,
  channel TEXT NOT NULL,
  incident_id BIGINT NOT NULL,
  event TEXT NOT NULL,
  target TEXT NOT NULL,
  body TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms BIGINT,
  delivered_ms BIGINT,
  last_error TEXT NOT NULL DEFAULT '');
CREATE INDEX notifications_due ON notifications(next_attempt_ms) WHERE next_attempt_ms IS NOT NULL;
CREATE INDEX notifications_by_incident ON notifications(incident_id, id);
CREATE INDEX incidents_by_kind_time ON incidents(kind, detected_at_ms);
)sql",
    // v5: the fleet registry, the dashboard's filters, staff and credentials.
    R"sql(
ALTER TABLE gateways
  ADD COLUMN lat DOUBLE PRECISION,
  ADD COLUMN lon DOUBLE PRECISION,
  ADD COLUMN cell_id TEXT NOT NULL DEFAULT '',
  ADD COLUMN offline_since_ms BIGINT,
  ADD COLUMN offline_reason TEXT NOT NULL DEFAULT '',
  ADD COLUMN maintenance_incident_id BIGINT;
CREATE INDEX gateways_by_presence ON gateways(presence, last_seen_ms);
CREATE INDEX incidents_by_detected ON incidents(detected_at_ms);
CREATE INDEX incidents_by_state ON incidents(state, id);
CREATE TABLE users(
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_ms BIGINT NOT NULL);
CREATE TABLE credentials(
  secret_hash TEXT PRIMARY KEY,
  user_name TEXT NOT NULL,
  kind TEXT NOT NULL,
  label TEXT NOT NULL DEFAULT '',
  csrf_token TEXT NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL,
  expires_ms BIGINT);
)sql",
    // v6: correlation candidates by place (store_sql.hpp, kFireCueCandidates).
    R"sql(
CREATE INDEX incidents_fire_cue ON incidents(kind, lat, lon, detected_at_ms);
)sql",
};

constexpr const char* kNotificationColumns =
    "id, channel, incident_id, event, target, body, created_ms, attempts, next_attempt_ms, delivered_ms, last_error";

// One row per applied migration.
constexpr const char* kVersionTable = "gridwatch_schema_version";

// Advisory lock keys. The two-int4 form (migrations) and the bigint form
// (episodes) are separate key spaces in PostgreSQL, so an episode's hash
// never collides with the migration lock. 0x67726964 is "grid".
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(1735551332, 1)";

// Prepared on connect (libpqxx re-prepares them after a reconnect).
struct Statement {
  const char* name;
  std::string sql;
};

std::vector<Statement> statements() {
  const std::string columns = kIncidentColumns;
  const std::string gateway_columns = kGatewayColumns;
  return {
      // Two central instances may receive alerts of one episode at once;
      // this transaction-scoped lock makes them take turns.
      {"lock_episode", "SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))"},
      {"insert_alert",
       "INSERT INTO alerts(alert_id, gateway_id, episode_id, seq, phase, kind, severity, confidence, detected_at_ms, "
       "received_ms, payload) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT (alert_id) DO NOTHING"},
      {"find_episode", kFindEpisodeIncident},
      // New fire cues take turns, so two instances opening nearby cues at
      // once still correlate them.
      {"lock_fire_cues", "SELECT pg_advisory_xact_lock(1735551332, 2)"},
      {"fire_cue_candidates", kFireCueCandidates},
      {"insert_correlation",
       "INSERT INTO incident_events(incident_id, at_ms, actor, action, from_state, to_state, note, details) "
       "VALUES($1,$2,$3,$4,'','',$5,$6)"},
      {"open_incident",
       "INSERT INTO incidents(episode_id, gateway_id, kind, severity, urgency, certainty, confidence, state, "
       "detected_at_ms, created_ms, updated_ms, episode_ended_ms, lat, lon, camera, zone, sensor, summary, plate) "
       "VALUES($1,$2,$3,$4,$5,$6,$7,'new',$8,$9,$9,$10,$11,$12,$13,$14,$15,$16,$17) RETURNING id"},
      {"update_incident",
       "UPDATE incidents SET updated_ms = $1, alert_count = alert_count + 1, severity = $2, "
       "confidence = GREATEST(confidence, $3), summary = CASE WHEN $4::text = '' THEN summary ELSE $4::text END, "
       "episode_ended_ms = CASE WHEN $5::boolean THEN $6 ELSE episode_ended_ms END, "
       "plate = CASE WHEN $8::text = '' THEN plate ELSE $8::text END WHERE id = $7"},
      {"link_alert", "UPDATE alerts SET incident_id = $1 WHERE alert_id = $2"},
      // Online ends an offline spell (a later one gets its own maintenance
      // incident); a moved gateway's cell is looked up again.
      {"record_status",
       "INSERT INTO gateways(gateway_id, presence, boot_id, version, last_seen_ms, lat, lon, offline_since_ms, "
       "offline_reason) VALUES($1,$2,$3,$4,$5::bigint,$6::double precision,$7::double precision,"
       "CASE WHEN $8::boolean THEN NULL ELSE $5::bigint END, CASE WHEN $8::boolean THEN '' ELSE 'status' END) "
       "ON CONFLICT (gateway_id) DO UPDATE SET presence = excluded.presence, boot_id = excluded.boot_id, "
       "version = excluded.version, last_seen_ms = GREATEST(gateways.last_seen_ms, excluded.last_seen_ms), "
       "cell_id = CASE WHEN excluded.lat IS NOT NULL AND (gateways.lat IS NULL OR gateways.lat <> excluded.lat "
       "OR gateways.lon <> excluded.lon) THEN '' ELSE gateways.cell_id END, "
       "lat = COALESCE(excluded.lat, gateways.lat), lon = COALESCE(excluded.lon, gateways.lon), "
       "offline_since_ms = CASE WHEN $8::boolean THEN NULL ELSE COALESCE(gateways.offline_since_ms, $5::bigint) END, "
       "offline_reason = excluded.offline_reason, "
       "maintenance_incident_id = CASE WHEN $8::boolean THEN NULL ELSE gateways.maintenance_incident_id END"},
      // A heartbeat from a gateway marked offline only for its silence
      // brings it back; an offline status (Last Will) stands until the
      // gateway says online itself.
      {"record_telemetry",
       "INSERT INTO gateways(gateway_id, boot_id, last_seen_ms, telemetry) VALUES($1,$2,$3,$4) "
       "ON CONFLICT (gateway_id) DO UPDATE SET last_seen_ms = GREATEST(gateways.last_seen_ms, "
       "excluded.last_seen_ms), telemetry = excluded.telemetry, "
       "presence = CASE WHEN gateways.offline_reason = 'heartbeat_timeout' THEN 'online' ELSE gateways.presence END, "
       "offline_since_ms = CASE WHEN gateways.offline_reason = 'heartbeat_timeout' THEN NULL "
       "ELSE gateways.offline_since_ms END, "
       "maintenance_incident_id = CASE WHEN gateways.offline_reason = 'heartbeat_timeout' THEN NULL "
       "ELSE gateways.maintenance_incident_id END, "
       "offline_reason = CASE WHEN gateways.offline_reason = 'heartbeat_timeout' THEN '' "
       "ELSE gateways.offline_reason END"},
      {"record_evidence",
       "INSERT INTO evidence(evidence_id, alert_id, gateway_id, content_type, captured_at_ms, received_ms, data) "
       "VALUES($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (evidence_id) DO NOTHING"},
      {"evidence",
       "SELECT evidence_id, alert_id, gateway_id, captured_at_ms, content_type, data FROM evidence "
       "WHERE evidence_id = $1"},
      {"incident", "SELECT " + columns + " FROM incidents WHERE id = $1"},
      // Its own incident, or the one it joined (cross-cue correlation).
      {"incident_by_episode",
       "SELECT " + columns +
           " FROM incidents WHERE episode_id = $1 OR id = (SELECT incident_id FROM alerts WHERE episode_id = $1 "
           "AND incident_id IS NOT NULL LIMIT 1) LIMIT 1"},
      {"incident_events",
       "SELECT id, incident_id, at_ms, actor, action, from_state, to_state, note, details FROM incident_events "
       "WHERE incident_id = $1 ORDER BY id"},
      {"update_workflow",
       "UPDATE incidents SET state = $1, cell_id = $2, level = $3, starting_level = $4, department = $5, unit = $6, "
       "dispatched_ms = $7, on_scene_ms = $8, feedback_ms = $9, resolved_ms = $10, closed_ms = $11, "
       "satisfaction = $12, light = $13, breaches = $14, sla_next_ms = $15, updated_ms = GREATEST(updated_ms, $16) "
       "WHERE id = $17 AND state = $18 AND (NOT $19::boolean OR sla_next_ms IS NOT DISTINCT FROM $20::bigint)"},
      {"insert_notification",
       "INSERT INTO notifications(channel, incident_id, event, target, body, created_ms, next_attempt_ms) "
       "VALUES($1,$2,$3,$4,$5,$6,$7)"},
      // SKIP LOCKED: several central instances claim disjoint rows.
      {"claim_notifications",
       std::string("UPDATE notifications SET next_attempt_ms = $1, attempts = attempts + 1 WHERE id IN "
                   "(SELECT id FROM notifications WHERE next_attempt_ms IS NOT NULL AND next_attempt_ms <= $2 "
                   "ORDER BY next_attempt_ms, id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING ") +
           kNotificationColumns},
      {"notification_delivered",
       "UPDATE notifications SET next_attempt_ms = NULL, delivered_ms = $1, last_error = '' WHERE id = $2"},
      {"notification_failed",
       "UPDATE notifications SET next_attempt_ms = $1, last_error = $2 WHERE id = $3 AND delivered_ms IS NULL"},
      {"notifications",
       std::string("SELECT ") + kNotificationColumns + " FROM notifications WHERE incident_id = $1 ORDER BY id"},
      {"notification_backlog",
       "SELECT count(*) FILTER (WHERE delivered_ms IS NULL), count(*) FILTER (WHERE delivered_ms IS NOT NULL), "
       "count(*) FILTER (WHERE delivered_ms IS NULL AND last_error <> ''), "
       "coalesce(min(created_ms) FILTER (WHERE delivered_ms IS NULL), 0) FROM notifications"},
      {"insert_event",
       "INSERT INTO incident_events(incident_id, at_ms, actor, action, from_state, to_state, note, details) "
       "VALUES($1,$2,$3,$4,$5,$6,$7,$8)"},
      {"incidents_due",
       "SELECT " + columns +
           " FROM incidents WHERE sla_next_ms IS NOT NULL AND sla_next_ms <= $1 ORDER BY sla_next_ms LIMIT $2"},
      {"gateways", "SELECT " + gateway_columns + " FROM gateways ORDER BY gateway_id"},
      {"gateway", "SELECT " + gateway_columns + " FROM gateways WHERE gateway_id = $1"},
      {"open_incident_draft",
       "INSERT INTO incidents(episode_id, gateway_id, kind, severity, urgency, certainty, confidence, state, "
       "detected_at_ms, created_ms, updated_ms, lat, lon, camera, zone, sensor, summary, alert_count) "
       "VALUES($1,$2,$3,$4,$5,$6,$7,'new',$8,$9,$9,$10,$11,$12,$13,$14,$15,0) ON CONFLICT (episode_id) DO NOTHING"},
      {"incident_id_by_episode", "SELECT id FROM incidents WHERE episode_id = $1"},
      {"set_gateway_location",
       "INSERT INTO gateways(gateway_id, lat, lon, cell_id) VALUES($1,$2,$3,$4) ON CONFLICT (gateway_id) DO UPDATE "
       "SET lat = excluded.lat, lon = excluded.lon, cell_id = excluded.cell_id"},
      {"mark_silent_offline",
       "UPDATE gateways SET presence = 'offline', offline_since_ms = $1, offline_reason = 'heartbeat_timeout' "
       "WHERE presence = 'online' AND last_seen_ms < $2 RETURNING " + gateway_columns},
      {"offline_without_maintenance",
       "SELECT " + gateway_columns +
           " FROM gateways WHERE presence = 'offline' AND offline_since_ms < $1 AND maintenance_incident_id IS NULL "
           "ORDER BY gateway_id"},
      {"set_maintenance_incident", "UPDATE gateways SET maintenance_incident_id = $1 WHERE gateway_id = $2"},
      {"add_user",
       "INSERT INTO users(name, role, password_hash, created_ms) VALUES($1,$2,$3,$4) ON CONFLICT (name) DO NOTHING"},
      {"user", std::string("SELECT ") + kUserColumns + " FROM users WHERE name = $1"},
      {"users", std::string("SELECT ") + kUserColumns + " FROM users ORDER BY name"},
      {"add_credential",
       "INSERT INTO credentials(secret_hash, user_name, kind, label, csrf_token, created_ms, expires_ms) "
       "VALUES($1,$2,$3,$4,$5,$6,$7::bigint)"},
      {"credential",
       std::string("SELECT ") + kCredentialColumns +
           " FROM credentials WHERE secret_hash = $1 AND (expires_ms IS NULL OR expires_ms > $2)"},
      {"remove_credential", "DELETE FROM credentials WHERE secret_hash = $1"},
      {"incident_alerts",
       "SELECT alert_id, phase, detected_at_ms, received_ms, payload FROM alerts "
       "WHERE episode_id = (SELECT episode_id FROM incidents WHERE id = $1) "
       "ORDER BY detected_at_ms, seq LIMIT $2"},
  };
}

/// A nullable parameter: libpqxx 6 has no std::optional parameters, but
/// sends a null `const char*` as SQL NULL.
class Nullable {
 public:
  template <typename Value>
  explicit Nullable(const std::optional<Value>& value)
      : present_(value.has_value()), text_(value ? fmt::format("{}", *value) : std::string()) {}
  const char* param() const { return present_ ? text_.c_str() : nullptr; }

 private:
  bool present_;
  std::string text_;
};

std::string text(std::string_view value) { return std::string(value); }

std::optional<std::int64_t> optional_int64(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<std::int64_t>();
}

NotificationRecord read_notification(const pqxx::row& row) {
  NotificationRecord out;
  out.id = row[0].as<std::int64_t>();
  out.channel = row[1].as<std::string>();
  out.incident_id = row[2].as<std::int64_t>();
  out.event = row[3].as<std::string>();
  out.target = row[4].as<std::string>();
  out.body = row[5].as<std::string>();
  out.created_ms = row[6].as<std::int64_t>();
  out.attempts = row[7].as<int>();
  out.next_attempt_ms = optional_int64(row[8]);
  out.delivered_ms = optional_int64(row[9]);
  out.last_error = row[10].as<std::string>();
  return out;
}

IncidentRecord read_incident(const pqxx::row& row) {
  IncidentRecord out;
  out.id = row[0].as<std::int64_t>();
  out.episode_id = row[1].as<std::string>();
  out.gateway_id = row[2].as<std::string>();
  out.kind = row[3].as<std::string>();
  out.severity = row[4].as<std::string>();
  out.urgency = row[5].as<std::string>();
  out.certainty = row[6].as<std::string>();
  out.confidence = row[7].as<double>();
  out.state = row[8].as<std::string>();
  out.detected_at_ms = row[9].as<std::int64_t>();
  out.created_ms = row[10].as<std::int64_t>();
  out.updated_ms = row[11].as<std::int64_t>();
  out.episode_ended_ms = optional_int64(row[12]);
  out.lat = row[13].as<double>();
  out.lon = row[14].as<double>();
  out.camera = row[15].as<std::string>();
  out.zone = row[16].as<std::string>();
  out.sensor = row[17].as<std::string>();
  out.summary = row[18].as<std::string>();
  out.alert_count = row[19].as<std::int64_t>();
  out.cell_id = row[20].as<std::string>();
  out.level = row[21].as<std::string>();
  out.starting_level = row[22].as<std::string>();
  out.department = row[23].as<std::string>();
  out.unit = row[24].as<std::string>();
  out.dispatched_ms = optional_int64(row[25]);
  out.on_scene_ms = optional_int64(row[26]);
  out.feedback_ms = optional_int64(row[27]);
  out.resolved_ms = optional_int64(row[28]);
  out.closed_ms = optional_int64(row[29]);
  if (!row[30].is_null()) out.satisfaction = row[30].as<int>();
  out.light = row[31].as<std::string>();
  out.breaches = row[32].as<std::string>();
  out.sla_next_ms = optional_int64(row[33]);
  out.plate = row[34].as<std::string>();
  return out;
}

std::optional<double> optional_double(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<double>();
}

GatewayRecord read_gateway(const pqxx::row& row) {
  GatewayRecord out;
  out.gateway_id = row[0].as<std::string>();
  out.presence = row[1].as<std::string>();
  out.boot_id = row[2].as<std::string>();
  out.version = row[3].as<std::string>();
  out.last_seen_ms = row[4].as<std::int64_t>();
  out.telemetry_json = row[5].as<std::string>();
  out.lat = optional_double(row[6]);
  out.lon = optional_double(row[7]);
  out.cell_id = row[8].as<std::string>();
  out.offline_since_ms = optional_int64(row[9]);
  out.offline_reason = row[10].as<std::string>();
  out.maintenance_incident_id = optional_int64(row[11]);
  return out;
}

std::vector<GatewayRecord> read_gateways(const pqxx::result& result) {
  std::vector<GatewayRecord> out;
  out.reserve(result.size());
  for (const auto& row : result) out.push_back(read_gateway(row));
  return out;
}

UserRecord read_user(const pqxx::row& row) {
  return {row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<std::int64_t>()};
}

std::vector<IncidentRecord> read_incidents(const pqxx::result& result) {
  std::vector<IncidentRecord> out;
  out.reserve(result.size());
  for (const auto& row : result) out.push_back(read_incident(row));
  return out;
}

std::optional<IncidentRecord> first_incident(const pqxx::result& result) {
  if (result.empty()) return std::nullopt;
  return read_incident(result[0]);
}

/// libpq's messages end in a newline; ours do not.
std::string trimmed(std::string message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

int applied_version(pqxx::transaction_base& tx) {
  const auto exists = tx.exec_params1("SELECT to_regclass($1) IS NOT NULL", std::string(kVersionTable));
  if (!exists[0].as<bool>()) return 0;
  return tx.exec1(fmt::format("SELECT COALESCE(max(version), 0) FROM {}", kVersionTable))[0].as<int>();
}

}  // namespace

struct PostgresStore::Impl {
  Impl(std::string conninfo_text, Access access_mode)
      : conninfo(std::move(conninfo_text)), where(redact_conninfo(conninfo)), access(access_mode) {
    if (auto error = conninfo_error(conninfo)) {
      throw std::runtime_error(fmt::format("invalid PostgreSQL conninfo: {}", *error));
    }
  }

  /// The session, reopened first when the last one broke (server restart,
  /// failover, network): the call that saw it break has thrown already.
  pqxx::connection& live() {
    if (!connection || !connection->is_open()) open();
    return *connection;
  }

  void open() {
    connection.reset();
    try {
      auto fresh = std::make_unique<pqxx::connection>(conninfo);
      if (access == Access::read_only) fresh->set_variable("default_transaction_read_only", "on");
      for (const auto& statement : statements()) fresh->prepare(statement.name, statement.sql);
      connection = std::move(fresh);
    } catch (const pqxx::broken_connection& error) {
      throw std::runtime_error(fmt::format("cannot connect to PostgreSQL ({}): {}", where, trimmed(error.what())));
    }
  }

  void migrate() {
    pqxx::work tx(live(), "migrate");
    // Several central instances may start at once: one migrates, the
    // others wait here and then find nothing left to do.
    tx.exec(kMigrationLock);
    // No "relation already exists, skipping" notices in central's log.
    tx.exec0("SET LOCAL client_min_messages = warning");
    tx.exec0(fmt::format(
        "CREATE TABLE IF NOT EXISTS {}(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        kVersionTable));
    const int current = applied_version(tx);
    refuse_newer(current);
    for (auto version = static_cast<std::size_t>(current); version < kMigrations.size(); ++version) {
      tx.exec(kMigrations[version]);
      tx.exec_params0(fmt::format("INSERT INTO {}(version) VALUES($1)", kVersionTable),
                      static_cast<int>(version + 1));
    }
    tx.commit();
  }

  void check_current() {
    pqxx::read_transaction tx(live(), "check_schema");
    const int current = applied_version(tx);
    refuse_newer(current);
    if (current < static_cast<int>(kMigrations.size())) {
      throw std::runtime_error(fmt::format(
          "PostgreSQL ({}) has schema version {}, older than this build's {}: start gridwatch-central once to "
          "migrate it",
          where, current, kMigrations.size()));
    }
  }

  void refuse_newer(int current) const {
    if (current > static_cast<int>(kMigrations.size())) {
      throw std::runtime_error(fmt::format("PostgreSQL ({}) has schema version {}, newer than this build's {}", where,
                                           current, kMigrations.size()));
    }
  }

  std::string conninfo;
  std::string where;  ///< the redacted conninfo, for messages
  Access access;
  std::unique_ptr<pqxx::connection> connection;
};

PostgresStore::PostgresStore(const std::string& conninfo, Access access)
    : impl_(std::make_unique<Impl>(conninfo, access)) {
  try {
    if (access == Access::read_write) {
      impl_->migrate();
    } else {
      impl_->check_current();
    }
  } catch (const pqxx::failure& error) {
    throw std::runtime_error(
        fmt::format("cannot open the PostgreSQL store ({}): {}", impl_->where, trimmed(error.what())));
  }
}

PostgresStore::~PostgresStore() = default;

int PostgresStore::latest_schema_version() { return static_cast<int>(kMigrations.size()); }

int PostgresStore::schema_version() {
  pqxx::read_transaction tx(impl_->live());
  return applied_version(tx);
}

AlertOutcome PostgresStore::record_alert(const Alert& alert, std::string_view payload, EpochMs received_ms) {
  pqxx::work tx(impl_->live());
  tx.exec_prepared("lock_episode", alert.episode_id);
  const auto inserted = tx.exec_prepared(
      "insert_alert", alert.alert_id, alert.gateway_id, alert.episode_id, static_cast<std::int64_t>(alert.seq),
      text(to_string(alert.phase)), text(to_string(alert.kind)), text(to_string(alert.severity)), alert.confidence,
      alert.detected_at_ms, received_ms, std::string(payload));
  if (inserted.affected_rows() == 0) return AlertOutcome::duplicate;  // rollback: nothing written

  std::optional<EpisodeIncident> existing;
  Severity existing_severity = Severity::unknown;
  bool joined = false;  // the episode joined another episode's incident
  const auto found = tx.exec_prepared("find_episode", alert.episode_id);
  if (!found.empty()) {
    existing = EpisodeIncident{found[0][0].as<std::int64_t>(), found[0][1].as<bool>()};
    existing_severity = severity_from_string(found[0][2].as<std::string>()).value_or(Severity::unknown);
    joined = found[0][3].as<int>() != 0;
  }
  if (!existing && correlation_.enabled && is_fire_cue(alert.kind)) {
    tx.exec_prepared("lock_fire_cues");
    std::vector<CorrelationCandidate> candidates;
    std::map<std::int64_t, std::string> severities;
    const auto box = box_around(alert.location.lat, alert.location.lon, correlation_.radius_m);
    for (const auto& row : tx.exec_prepared("fire_cue_candidates", alert.detected_at_ms - correlation_.window_ms,
                                            alert.detected_at_ms + correlation_.window_ms, box.min_lat, box.max_lat,
                                            box.min_lon, box.max_lon)) {
      candidates.push_back({row[0].as<std::int64_t>(), row[1].as<double>(), row[2].as<double>(),
                            row[3].as<std::int64_t>()});
      severities[row[0].as<std::int64_t>()] = row[4].as<std::string>();
    }
    if (const auto incident = correlate(alert, candidates, correlation_)) {
      existing = EpisodeIncident{*incident, false};
      existing_severity = severity_from_string(severities[*incident]).value_or(Severity::unknown);
      joined = true;
      const auto event = correlation_event(alert, received_ms);
      tx.exec_prepared0("insert_correlation", *incident, event.at_ms, event.actor, event.action, event.note,
                        event.details);
    }
  }
  auto action = decide(alert, existing);
  // Only the episode that opened the incident ends it.
  if (joined && action == IncidentAction::end_episode) action = IncidentAction::update;
  std::int64_t incident_id = existing ? existing->incident_id : 0;
  if (action == IncidentAction::open) {
    const auto cap = classify(alert);
    const Nullable ended(alert.phase == Phase::end ? std::optional<EpochMs>(alert.detected_at_ms) : std::nullopt);
    incident_id =
        tx.exec_prepared1("open_incident", alert.episode_id, alert.gateway_id, text(to_string(alert.kind)),
                          text(to_string(alert.severity)), text(cap.urgency), text(cap.certainty), alert.confidence,
                          alert.detected_at_ms, received_ms, ended.param(), alert.location.lat, alert.location.lon,
                          alert.location.camera.value_or(""), alert.location.zone.value_or(""),
                          alert.location.sensor.value_or(""), alert.summary, alert.plate.value_or(""))[0]
            .as<std::int64_t>();
  } else {
    tx.exec_prepared0("update_incident", received_ms, text(to_string(max_severity(existing_severity, alert.severity))),
                      alert.confidence, alert.summary, action == IncidentAction::end_episode, alert.detected_at_ms,
                      incident_id, alert.plate.value_or(""));
  }
  tx.exec_prepared0("link_alert", incident_id, alert.alert_id);
  tx.commit();
  return action == IncidentAction::open ? AlertOutcome::opened_incident : AlertOutcome::updated_incident;
}

void PostgresStore::record_status(const Status& status, EpochMs received_ms) {
  pqxx::work tx(impl_->live());
  const bool located = status.lat && status.lon;
  const Nullable lat(located ? std::optional<double>(*status.lat) : std::nullopt);
  const Nullable lon(located ? std::optional<double>(*status.lon) : std::nullopt);
  tx.exec_prepared0("record_status", status.gateway_id, text(to_string(status.state)), status.boot_id, status.version,
                    received_ms, lat.param(), lon.param(), status.state == PresenceState::online);
  tx.commit();
}

void PostgresStore::record_telemetry(const Telemetry& telemetry, std::string_view payload, EpochMs received_ms) {
  pqxx::work tx(impl_->live());
  tx.exec_prepared0("record_telemetry", telemetry.gateway_id, telemetry.boot_id, received_ms, std::string(payload));
  tx.commit();
}

bool PostgresStore::record_evidence(const Evidence& evidence, EpochMs received_ms) {
  pqxx::work tx(impl_->live());
  const auto result = tx.exec_prepared("record_evidence", evidence.evidence_id, evidence.alert_id, evidence.gateway_id,
                                       evidence.content_type, evidence.captured_at_ms, received_ms,
                                       pqxx::binarystring(evidence.data.data(), evidence.data.size()));
  tx.commit();
  return result.affected_rows() > 0;
}

std::optional<Evidence> PostgresStore::evidence(const std::string& evidence_id) {
  pqxx::read_transaction tx(impl_->live());
  const auto result = tx.exec_prepared("evidence", evidence_id);
  if (result.empty()) return std::nullopt;
  const auto& row = result[0];
  return Evidence{row[0].as<std::string>(),  row[1].as<std::string>(), row[2].as<std::string>(),
                  row[3].as<std::int64_t>(), row[4].as<std::string>(), pqxx::binarystring(row[5]).str()};
}

std::vector<IncidentRecord> PostgresStore::incidents(const IncidentQuery& query) {
  pqxx::read_transaction tx(impl_->live());
  return read_incidents(tx.exec(incident_query_sql(query, [&tx](const std::string& value) { return tx.quote(value); })));
}

std::optional<IncidentRecord> PostgresStore::incident(std::int64_t id) {
  pqxx::read_transaction tx(impl_->live());
  return first_incident(tx.exec_prepared("incident", id));
}

std::optional<IncidentRecord> PostgresStore::incident_by_episode(const std::string& episode_id) {
  pqxx::read_transaction tx(impl_->live());
  return first_incident(tx.exec_prepared("incident_by_episode", episode_id));
}

std::vector<IncidentEvent> PostgresStore::incident_events(std::int64_t incident_id) {
  pqxx::read_transaction tx(impl_->live());
  std::vector<IncidentEvent> out;
  for (const auto& row : tx.exec_prepared("incident_events", incident_id)) {
    out.push_back({row[0].as<std::int64_t>(), row[1].as<std::int64_t>(), row[2].as<std::int64_t>(),
                   row[3].as<std::string>(), row[4].as<std::string>(), row[5].as<std::string>(),
                   row[6].as<std::string>(), row[7].as<std::string>(), row[8].as<std::string>()});
  }
  return out;
}

std::vector<StoredAlert> PostgresStore::incident_alerts(std::int64_t incident_id, std::size_t limit) {
  pqxx::read_transaction tx(impl_->live());
  std::vector<StoredAlert> out;
  for (const auto& row : tx.exec_prepared("incident_alerts", incident_id, static_cast<std::int64_t>(limit))) {
    out.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::int64_t>(),
                   row[3].as<std::int64_t>(), row[4].as<std::string>()});
  }
  return out;
}

bool PostgresStore::apply_workflow(const WorkflowUpdate& change) {
  const IncidentRecord& updated = change.incident;
  pqxx::work tx(impl_->live());
  // The row lock UPDATE takes and its re-check of "state = expected" on
  // the latest row version make this a compare-and-set, also across
  // central instances.
  const Nullable dispatched(updated.dispatched_ms), on_scene(updated.on_scene_ms), feedback(updated.feedback_ms),
      resolved(updated.resolved_ms), closed(updated.closed_ms), satisfaction(updated.satisfaction),
      sla_next(updated.sla_next_ms), expected_sla_next(change.expected_sla_next_ms.value_or(std::nullopt));
  const EpochMs at_ms = change.events.empty() ? updated.updated_ms : change.events.back().at_ms;
  const auto result = tx.exec_prepared(
      "update_workflow", updated.state, updated.cell_id, updated.level, updated.starting_level, updated.department,
      updated.unit, dispatched.param(), on_scene.param(), feedback.param(), resolved.param(), closed.param(),
      satisfaction.param(), updated.light, updated.breaches, sla_next.param(), at_ms, updated.id,
      change.expected_state, change.expected_sla_next_ms.has_value(), expected_sla_next.param());
  if (result.affected_rows() == 0) return false;  // rollback: nothing written
  for (const auto& event : change.events) {
    tx.exec_prepared0("insert_event", updated.id, event.at_ms, event.actor, event.action, event.from_state,
                      event.to_state, event.note, event.details.empty() ? std::string("{}") : event.details);
  }
  for (const auto& notification : change.notifications) {
    tx.exec_prepared0("insert_notification", notification.channel, updated.id, notification.event,
                      notification.target, notification.body, notification.created_ms,
                      notification.next_attempt_ms.value_or(notification.created_ms));
  }
  tx.commit();
  return true;
}

std::vector<NotificationRecord> PostgresStore::claim_notifications(EpochMs now, EpochMs lease_until_ms,
                                                                   std::size_t limit) {
  pqxx::work tx(impl_->live());
  std::vector<NotificationRecord> out;
  for (const auto& row : tx.exec_prepared("claim_notifications", lease_until_ms, now, static_cast<std::int64_t>(limit))) {
    out.push_back(read_notification(row));
  }
  tx.commit();
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

void PostgresStore::notification_delivered(std::int64_t id, EpochMs delivered_ms) {
  pqxx::work tx(impl_->live());
  tx.exec_prepared0("notification_delivered", delivered_ms, id);
  tx.commit();
}

void PostgresStore::notification_failed(std::int64_t id, EpochMs next_attempt_ms, const std::string& error) {
  pqxx::work tx(impl_->live());
  tx.exec_prepared0("notification_failed", next_attempt_ms, error, id);
  tx.commit();
}

std::vector<NotificationRecord> PostgresStore::notifications(std::int64_t incident_id) {
  pqxx::read_transaction tx(impl_->live());
  std::vector<NotificationRecord> out;
  for (const auto& row : tx.exec_prepared("notifications", incident_id)) out.push_back(read_notification(row));
  return out;
}

NotificationBacklog PostgresStore::notification_backlog() {
  pqxx::read_transaction tx(impl_->live());
  const auto row = tx.exec_prepared1("notification_backlog");
  return {row[0].as<std::uint64_t>(), row[1].as<std::uint64_t>(), row[2].as<std::uint64_t>(),
          row[3].as<std::int64_t>()};
}

std::vector<IncidentRecord> PostgresStore::incidents_due(EpochMs now, std::size_t limit) {
  pqxx::read_transaction tx(impl_->live());
  return read_incidents(tx.exec_prepared("incidents_due", now, static_cast<std::int64_t>(limit)));
}

std::vector<GatewayRecord> PostgresStore::gateways() {
  pqxx::read_transaction tx(impl_->live());
  return read_gateways(tx.exec_prepared("gateways"));
}

std::int64_t PostgresStore::open_incident(const IncidentRecord& draft) {
  pqxx::work tx(impl_->live());
  tx.exec_prepared("lock_episode", draft.episode_id);
  tx.exec_prepared0("open_incident_draft", draft.episode_id, draft.gateway_id, draft.kind, draft.severity,
                    draft.urgency, draft.certainty, draft.confidence, draft.detected_at_ms, draft.created_ms,
                    draft.lat, draft.lon, draft.camera, draft.zone, draft.sensor, draft.summary);
  const auto id = tx.exec_prepared1("incident_id_by_episode", draft.episode_id)[0].as<std::int64_t>();
  tx.commit();
  return id;
}

std::optional<GatewayRecord> PostgresStore::gateway(const std::string& gateway_id) {
  pqxx::read_transaction tx(impl_->live());
  const auto result = tx.exec_prepared("gateway", gateway_id);
  if (result.empty()) return std::nullopt;
  return read_gateway(result[0]);
}

void PostgresStore::set_gateway_location(const std::string& gateway_id, double lat, double lon,
                                         const std::string& cell_id) {
  pqxx::work tx(impl_->live());
  tx.exec_prepared0("set_gateway_location", gateway_id, lat, lon, cell_id);
  tx.commit();
}

std::vector<GatewayRecord> PostgresStore::mark_silent_offline(EpochMs silent_before, EpochMs now) {
  pqxx::work tx(impl_->live());
  auto out = read_gateways(tx.exec_prepared("mark_silent_offline", now, silent_before));
  tx.commit();
  return out;
}

std::vector<GatewayRecord> PostgresStore::offline_without_maintenance(EpochMs offline_before) {
  pqxx::read_transaction tx(impl_->live());
  return read_gateways(tx.exec_prepared("offline_without_maintenance", offline_before));
}

void PostgresStore::set_maintenance_incident(const std::string& gateway_id, std::int64_t incident_id) {
  pqxx::work tx(impl_->live());
  tx.exec_prepared0("set_maintenance_incident", incident_id, gateway_id);
  tx.commit();
}

bool PostgresStore::add_user(const UserRecord& user) {
  pqxx::work tx(impl_->live());
  const auto result = tx.exec_prepared("add_user", user.name, user.role, user.password_hash, user.created_ms);
  tx.commit();
  return result.affected_rows() > 0;
}

std::optional<UserRecord> PostgresStore::user(const std::string& name) {
  pqxx::read_transaction tx(impl_->live());
  const auto result = tx.exec_prepared("user", name);
  if (result.empty()) return std::nullopt;
  return read_user(result[0]);
}

std::vector<UserRecord> PostgresStore::users() {
  pqxx::read_transaction tx(impl_->live());
  std::vector<UserRecord> out;
  for (const auto& row : tx.exec_prepared("users")) out.push_back(read_user(row));
  return out;
}

void PostgresStore::add_credential(const CredentialRecord& credential) {
  pqxx::work tx(impl_->live());
  const Nullable expires(credential.expires_ms);
  tx.exec_prepared0("add_credential", credential.secret_hash, credential.user_name, credential.kind, credential.label,
                    credential.csrf_token, credential.created_ms, expires.param());
  tx.commit();
}

std::optional<CredentialRecord> PostgresStore::credential(const std::string& secret_hash, EpochMs now) {
  pqxx::read_transaction tx(impl_->live());
  const auto result = tx.exec_prepared("credential", secret_hash, now);
  if (result.empty()) return std::nullopt;
  const auto& row = result[0];
  return CredentialRecord{row[0].as<std::string>(),  row[1].as<std::string>(), row[2].as<std::string>(),
                          row[3].as<std::string>(),  row[4].as<std::string>(), row[5].as<std::int64_t>(),
                          optional_int64(row[6])};
}

void PostgresStore::remove_credential(const std::string& secret_hash) {
  pqxx::work tx(impl_->live());
  tx.exec_prepared0("remove_credential", secret_hash);
  tx.commit();
}

std::optional<std::string> conninfo_error(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options != nullptr) {
    PQconninfoFree(options);
    return std::nullopt;
  }
  std::string message = error != nullptr ? trimmed(error) : "cannot parse it (out of memory?)";
  PQfreemem(error);
  return message;
}

std::string redact_conninfo(const std::string& conninfo) {
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), nullptr);
  if (options == nullptr) return "unparsable conninfo";
  std::string out;
  for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr) continue;
    if (!out.empty()) out += ' ';
    const std::string keyword = option->keyword;
    out += keyword + '=' + (keyword == "password" ? std::string("***") : std::string(option->val));
  }
  PQconninfoFree(options);
  return out.empty() ? "libpq defaults" : out;
}

}  // namespace gridwatch::central
