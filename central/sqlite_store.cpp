#include "central/sqlite_store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <map>

#include "central/core/incident_rules.hpp"
#include "central/store_sql.hpp"

namespace gridwatch::central {
namespace {

// Versioned migrations: entry i brings the schema from version i to i+1.
// Never edit an entry once released; append a new one.
constexpr std::array<const char*, 6> kMigrations{
    R"sql(
CREATE TABLE alerts(
  alert_id TEXT PRIMARY KEY,
  gateway_id TEXT NOT NULL,
  episode_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  phase TEXT NOT NULL,
  kind TEXT NOT NULL,
  severity TEXT NOT NULL,
  confidence REAL NOT NULL,
  detected_at_ms INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  incident_id INTEGER,
  payload TEXT NOT NULL);
CREATE INDEX alerts_by_episode ON alerts(episode_id);
CREATE TABLE incidents(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  episode_id TEXT NOT NULL UNIQUE,
  gateway_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  severity TEXT NOT NULL,
  urgency TEXT NOT NULL,
  certainty TEXT NOT NULL,
  confidence REAL NOT NULL,
  state TEXT NOT NULL,
  detected_at_ms INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  episode_ended_ms INTEGER,
  lat REAL NOT NULL,
  lon REAL NOT NULL,
  camera TEXT NOT NULL DEFAULT '',
  zone TEXT NOT NULL DEFAULT '',
  sensor TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL DEFAULT '',
  alert_count INTEGER NOT NULL DEFAULT 1);
CREATE INDEX incidents_by_gateway ON incidents(gateway_id, id);
CREATE TABLE gateways(
  gateway_id TEXT PRIMARY KEY,
  presence TEXT NOT NULL DEFAULT 'unknown',
  boot_id TEXT NOT NULL DEFAULT '',
  version TEXT NOT NULL DEFAULT '',
  last_seen_ms INTEGER NOT NULL DEFAULT 0,
  telemetry TEXT NOT NULL DEFAULT '');
)sql",
    R"sql(
CREATE TABLE evidence(
  evidence_id TEXT PRIMARY KEY,
  alert_id TEXT NOT NULL,
  gateway_id TEXT NOT NULL,
  content_type TEXT NOT NULL,
  captured_at_ms INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  data BLOB NOT NULL);
CREATE INDEX evidence_by_alert ON evidence(alert_id);
)sql",
    R"sql(
ALTER TABLE incidents ADD COLUMN cell_id TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN level TEXT NOT NULL DEFAULT 'grid';
ALTER TABLE incidents ADD COLUMN starting_level TEXT NOT NULL DEFAULT 'grid';
ALTER TABLE incidents ADD COLUMN department TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN unit TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN dispatched_ms INTEGER;
ALTER TABLE incidents ADD COLUMN on_scene_ms INTEGER;
ALTER TABLE incidents ADD COLUMN feedback_ms INTEGER;
ALTER TABLE incidents ADD COLUMN resolved_ms INTEGER;
ALTER TABLE incidents ADD COLUMN closed_ms INTEGER;
ALTER TABLE incidents ADD COLUMN satisfaction INTEGER;
ALTER TABLE incidents ADD COLUMN light TEXT NOT NULL DEFAULT 'none';
ALTER TABLE incidents ADD COLUMN breaches TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN sla_next_ms INTEGER;
CREATE INDEX incidents_sla_due ON incidents(sla_next_ms) WHERE sla_next_ms IS NOT NULL;
CREATE TABLE incident_events(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
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
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  channel TEXT NOT NULL,
  incident_id INTEGER NOT NULL,
  event TEXT NOT NULL,
  target TEXT NOT NULL,
  body TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER,
  delivered_ms INTEGER,
  last_error TEXT NOT NULL DEFAULT '');
CREATE INDEX notifications_due ON notifications(next_attempt_ms) WHERE next_attempt_ms IS NOT NULL;
CREATE INDEX notifications_by_incident ON notifications(incident_id, id);
CREATE INDEX incidents_by_kind_time ON incidents(kind, detected_at_ms);
)sql",
    // v5: the fleet registry, the dashboard's filters, staff and credentials.
    R"sql(
ALTER TABLE gateways ADD COLUMN lat REAL;
ALTER TABLE gateways ADD COLUMN lon REAL;
ALTER TABLE gateways ADD COLUMN cell_id TEXT NOT NULL DEFAULT '';
ALTER TABLE gateways ADD COLUMN offline_since_ms INTEGER;
ALTER TABLE gateways ADD COLUMN offline_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE gateways ADD COLUMN maintenance_incident_id INTEGER;
CREATE INDEX gateways_by_presence ON gateways(presence, last_seen_ms);
CREATE INDEX incidents_by_detected ON incidents(detected_at_ms);
CREATE INDEX incidents_by_state ON incidents(state, id);
CREATE TABLE users(
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE TABLE credentials(
  secret_hash TEXT PRIMARY KEY,
  user_name TEXT NOT NULL,
  kind TEXT NOT NULL,
  label TEXT NOT NULL DEFAULT '',
  csrf_token TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER);
)sql",
    // v6: correlation candidates by place (store_sql.hpp, kFireCueCandidates).
    R"sql(
CREATE INDEX incidents_fire_cue ON incidents(kind, lat, lon, detected_at_ms);
)sql",
};

constexpr const char* kNotificationColumns =
    "id, channel, incident_id, event, target, body, created_ms, attempts, next_attempt_ms, delivered_ms, last_error";

std::optional<EpochMs> optional_int64(const sqlite::Statement& row, int column) {
  if (row.column_is_null(column)) return std::nullopt;
  return row.column_int64(column);
}

NotificationRecord read_notification(const sqlite::Statement& row) {
  NotificationRecord out;
  out.id = row.column_int64(0);
  out.channel = row.column_text(1);
  out.incident_id = row.column_int64(2);
  out.event = row.column_text(3);
  out.target = row.column_text(4);
  out.body = row.column_text(5);
  out.created_ms = row.column_int64(6);
  out.attempts = static_cast<int>(row.column_int64(7));
  out.next_attempt_ms = optional_int64(row, 8);
  out.delivered_ms = optional_int64(row, 9);
  out.last_error = row.column_text(10);
  return out;
}

IncidentRecord read_incident(const sqlite::Statement& row) {
  IncidentRecord out;
  out.id = row.column_int64(0);
  out.episode_id = row.column_text(1);
  out.gateway_id = row.column_text(2);
  out.kind = row.column_text(3);
  out.severity = row.column_text(4);
  out.urgency = row.column_text(5);
  out.certainty = row.column_text(6);
  out.confidence = row.column_double(7);
  out.state = row.column_text(8);
  out.detected_at_ms = row.column_int64(9);
  out.created_ms = row.column_int64(10);
  out.updated_ms = row.column_int64(11);
  if (!row.column_is_null(12)) out.episode_ended_ms = row.column_int64(12);
  out.lat = row.column_double(13);
  out.lon = row.column_double(14);
  out.camera = row.column_text(15);
  out.zone = row.column_text(16);
  out.sensor = row.column_text(17);
  out.summary = row.column_text(18);
  out.alert_count = row.column_int64(19);
  out.cell_id = row.column_text(20);
  out.level = row.column_text(21);
  out.starting_level = row.column_text(22);
  out.department = row.column_text(23);
  out.unit = row.column_text(24);
  out.dispatched_ms = optional_int64(row, 25);
  out.on_scene_ms = optional_int64(row, 26);
  out.feedback_ms = optional_int64(row, 27);
  out.resolved_ms = optional_int64(row, 28);
  out.closed_ms = optional_int64(row, 29);
  if (!row.column_is_null(30)) out.satisfaction = static_cast<int>(row.column_int64(30));
  out.light = row.column_text(31);
  out.breaches = row.column_text(32);
  out.plate = row.column_text(34);
  out.sla_next_ms = optional_int64(row, 33);
  return out;
}

std::optional<double> optional_double(const sqlite::Statement& row, int column) {
  if (row.column_is_null(column)) return std::nullopt;
  return row.column_double(column);
}

GatewayRecord read_gateway(const sqlite::Statement& row) {
  GatewayRecord out;
  out.gateway_id = row.column_text(0);
  out.presence = row.column_text(1);
  out.boot_id = row.column_text(2);
  out.version = row.column_text(3);
  out.last_seen_ms = row.column_int64(4);
  out.telemetry_json = row.column_text(5);
  out.lat = optional_double(row, 6);
  out.lon = optional_double(row, 7);
  out.cell_id = row.column_text(8);
  out.offline_since_ms = optional_int64(row, 9);
  out.offline_reason = row.column_text(10);
  out.maintenance_incident_id = optional_int64(row, 11);
  return out;
}

CredentialRecord read_credential(const sqlite::Statement& row) {
  return {row.column_text(0),  row.column_text(1), row.column_text(2),   row.column_text(3),
          row.column_text(4),  row.column_int64(5), optional_int64(row, 6)};
}

/// SQLite string literal: standard SQL quoting, no backslash escapes.
std::string quote_text(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

template <typename Value>
void bind_optional(sqlite::Statement& statement, int index, const std::optional<Value>& value) {
  if (value) {
    statement.bind(index, static_cast<std::int64_t>(*value));
  } else {
    statement.bind_null(index);
  }
}

}  // namespace

SqliteStore::SqliteStore(const std::string& path, Access access)
    : db_(path, access == Access::read_only ? sqlite::Database::Mode::read_only
                                            : sqlite::Database::Mode::read_write_create) {
  if (access == Access::read_only) return;
  db_.query_text("PRAGMA journal_mode=WAL");
  // NORMAL in WAL mode: a commit survives a crash or SIGKILL of central
  // (the OS has the WAL pages); only a power cut of the server can lose
  // the last commits, and the gateways' outboxes still hold those alerts
  // until the broker acknowledged them. docs/outbox.md discusses this.
  db_.exec("PRAGMA synchronous=NORMAL");
  migrate();
  // Ingest commits on the io_context thread; the WAL checkpoint (copying
  // the WAL into the database file, with an fsync) moves off it.
  checkpointer_ = std::make_unique<sqlite::WalCheckpointer>(path, "store");
  checkpointer_->attach(db_);
}

void SqliteStore::begin_batch() {
  if (batch_) throw std::logic_error("SqliteStore: batches do not nest");
  batch_.emplace(db_);
}

void SqliteStore::commit_batch() {
  if (!batch_) throw std::logic_error("SqliteStore: commit_batch without begin_batch");
  // A failed write that SQLite answers by rolling back the whole
  // transaction (disk full, I/O error) takes the batch's earlier writes
  // with it; later writes then committed on their own. Either way the
  // batch as a whole did not commit, and the caller must not say so.
  if (sqlite3_get_autocommit(db_.handle()) != 0) {
    batch_.reset();
    throw std::runtime_error("the batch was rolled back by SQLite after a failed write");
  }
  try {
    batch_->commit();
  } catch (...) {
    batch_.reset();  // rolls back what is left
    throw;
  }
  batch_.reset();
}

void SqliteStore::abandon_batch() noexcept { batch_.reset(); }

int SqliteStore::schema_version() { return std::stoi(db_.query_text("PRAGMA user_version").value_or("0")); }

void SqliteStore::migrate() {
  // The version is read inside each write transaction: another process on
  // the same file (`gridwatch-central user add` while central starts) may
  // have applied the step meanwhile.
  while (true) {
    sqlite::Transaction transaction(db_);
    const int current = schema_version();
    if (current > static_cast<int>(kMigrations.size())) {
      throw std::runtime_error(fmt::format("{} has schema version {}, newer than this build's {}", db_.path(), current,
                                           kMigrations.size()));
    }
    if (current == static_cast<int>(kMigrations.size())) return;
    db_.exec(kMigrations[static_cast<std::size_t>(current)]);
    db_.exec(fmt::format("PRAGMA user_version={}", current + 1));
    transaction.commit();
  }
}

AlertOutcome SqliteStore::record_alert(const Alert& alert, std::string_view payload, EpochMs received_ms) {
  sqlite::Transaction transaction(db_);
  auto insert = db_.prepare_cached(
      "INSERT OR IGNORE INTO alerts(alert_id, gateway_id, episode_id, seq, phase, kind, severity, confidence, "
      "detected_at_ms, received_ms, payload) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
  insert.bind(1, alert.alert_id)
      .bind(2, alert.gateway_id)
      .bind(3, alert.episode_id)
      .bind(4, static_cast<std::int64_t>(alert.seq))
      .bind(5, to_string(alert.phase))
      .bind(6, to_string(alert.kind))
      .bind(7, to_string(alert.severity))
      .bind(8, alert.confidence)
      .bind(9, alert.detected_at_ms)
      .bind(10, received_ms)
      .bind(11, payload)
      .run();
  if (db_.changes() == 0) return AlertOutcome::duplicate;  // rollback: nothing written

  std::optional<EpisodeIncident> existing;
  Severity existing_severity = Severity::unknown;
  bool joined = false;  // the episode joined another episode's incident
  {
    // Its own incident, or the one it joined (through its earlier alerts).
    auto find = db_.prepare_cached(std::string(kFindEpisodeIncident));
    find.bind(1, alert.episode_id);
    if (find.step()) {
      existing = EpisodeIncident{find.column_int64(0), find.column_int64(1) != 0};
      existing_severity = severity_from_string(find.column_text(2)).value_or(Severity::unknown);
      joined = find.column_int64(3) != 0;
    }
  }
  if (!existing && correlation_.enabled && is_fire_cue(alert.kind)) {
    std::vector<CorrelationCandidate> candidates;
    std::map<std::int64_t, std::string> severities;
    auto near = db_.prepare_cached(std::string(kFireCueCandidates));
    const auto box = box_around(alert.location.lat, alert.location.lon, correlation_.radius_m);
    near.bind(1, alert.detected_at_ms - correlation_.window_ms)
        .bind(2, alert.detected_at_ms + correlation_.window_ms)
        .bind(3, box.min_lat)
        .bind(4, box.max_lat)
        .bind(5, box.min_lon)
        .bind(6, box.max_lon);
    while (near.step()) {
      candidates.push_back({near.column_int64(0), near.column_double(1), near.column_double(2), near.column_int64(3)});
      severities[near.column_int64(0)] = near.column_text(4);
    }
    if (const auto incident = correlate(alert, candidates, correlation_)) {
      existing = EpisodeIncident{*incident, false};
      existing_severity = severity_from_string(severities[*incident]).value_or(Severity::unknown);
      joined = true;
      const auto event = correlation_event(alert, received_ms);
      db_.prepare_cached(
             "INSERT INTO incident_events(incident_id, at_ms, actor, action, from_state, to_state, note, details) "
             "VALUES(?,?,?,?,'','',?,?)")
          .bind(1, *incident)
          .bind(2, event.at_ms)
          .bind(3, event.actor)
          .bind(4, event.action)
          .bind(5, event.note)
          .bind(6, event.details)
          .run();
    }
  }
  auto action = decide(alert, existing);
  // Only the episode that opened the incident ends it.
  if (joined && action == IncidentAction::end_episode) action = IncidentAction::update;
  std::int64_t incident_id = existing ? existing->incident_id : 0;
  if (action == IncidentAction::open) {
    const auto cap = classify(alert);
    auto statement = db_.prepare_cached(
        "INSERT INTO incidents(episode_id, gateway_id, kind, severity, urgency, certainty, confidence, state, "
        "detected_at_ms, created_ms, updated_ms, episode_ended_ms, lat, lon, camera, zone, sensor, summary, plate) "
        "VALUES(?,?,?,?,?,?,?,'new',?,?,?,?,?,?,?,?,?,?,?)");
    statement.bind(1, alert.episode_id)
        .bind(2, alert.gateway_id)
        .bind(3, to_string(alert.kind))
        .bind(4, to_string(alert.severity))
        .bind(5, cap.urgency)
        .bind(6, cap.certainty)
        .bind(7, alert.confidence)
        .bind(8, alert.detected_at_ms)
        .bind(9, received_ms)
        .bind(10, received_ms);
    if (alert.phase == Phase::end) {
      statement.bind(11, alert.detected_at_ms);
    } else {
      statement.bind_null(11);
    }
    statement.bind(12, alert.location.lat)
        .bind(13, alert.location.lon)
        .bind(14, alert.location.camera.value_or(""))
        .bind(15, alert.location.zone.value_or(""))
        .bind(16, alert.location.sensor.value_or(""))
        .bind(17, alert.summary)
        .bind(18, alert.plate.value_or(""))
        .run();
    incident_id = db_.last_insert_rowid();
  } else {
    const auto severity = max_severity(existing_severity, alert.severity);
    auto update = db_.prepare_cached(
        "UPDATE incidents SET updated_ms = ?, alert_count = alert_count + 1, severity = ?, "
        "confidence = max(confidence, ?), summary = CASE WHEN ? = '' THEN summary ELSE ? END, "
        "episode_ended_ms = CASE WHEN ? THEN ? ELSE episode_ended_ms END, "
        "plate = CASE WHEN ? = '' THEN plate ELSE ? END WHERE id = ?");
    update.bind(1, received_ms)
        .bind(2, to_string(severity))
        .bind(3, alert.confidence)
        .bind(4, alert.summary)
        .bind(5, alert.summary)
        .bind(6, action == IncidentAction::end_episode ? 1 : 0)
        .bind(7, alert.detected_at_ms)
        .bind(8, alert.plate.value_or(""))
        .bind(9, alert.plate.value_or(""))
        .bind(10, incident_id)
        .run();
  }
  db_.prepare_cached("UPDATE alerts SET incident_id = ? WHERE alert_id = ?").bind(1, incident_id).bind(2, alert.alert_id).run();
  transaction.commit();
  return action == IncidentAction::open ? AlertOutcome::opened_incident : AlertOutcome::updated_incident;
}

void SqliteStore::record_status(const Status& status, EpochMs received_ms) {
  const bool online = status.state == PresenceState::online;
  // Online ends an offline spell (a later one gets its own maintenance
  // incident); a moved gateway's cell is looked up again.
  auto statement = db_.prepare_cached(
      "INSERT INTO gateways(gateway_id, presence, boot_id, version, last_seen_ms, lat, lon, offline_since_ms, "
      "offline_reason) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9) "
      "ON CONFLICT(gateway_id) DO UPDATE SET presence = excluded.presence, boot_id = excluded.boot_id, "
      "version = excluded.version, last_seen_ms = max(last_seen_ms, excluded.last_seen_ms), "
      "cell_id = CASE WHEN excluded.lat IS NOT NULL AND (gateways.lat IS NULL OR gateways.lat <> excluded.lat "
      "OR gateways.lon <> excluded.lon) THEN '' ELSE gateways.cell_id END, "
      "lat = coalesce(excluded.lat, gateways.lat), lon = coalesce(excluded.lon, gateways.lon), "
      "offline_since_ms = CASE WHEN ?10 THEN NULL ELSE coalesce(gateways.offline_since_ms, ?5) END, "
      "offline_reason = CASE WHEN ?10 THEN '' ELSE 'status' END, "
      "maintenance_incident_id = CASE WHEN ?10 THEN NULL ELSE gateways.maintenance_incident_id END");
  statement.bind(1, status.gateway_id)
      .bind(2, to_string(status.state))
      .bind(3, status.boot_id)
      .bind(4, status.version)
      .bind(5, received_ms);
  if (status.lat && status.lon) {
    statement.bind(6, *status.lat).bind(7, *status.lon);
  } else {
    statement.bind_null(6).bind_null(7);
  }
  if (online) {
    statement.bind_null(8).bind(9, "");
  } else {
    statement.bind(8, received_ms).bind(9, "status");
  }
  statement.bind(10, online ? 1 : 0).run();
}

void SqliteStore::record_telemetry(const Telemetry& telemetry, std::string_view payload, EpochMs received_ms) {
  db_.prepare_cached(
         "INSERT INTO gateways(gateway_id, boot_id, last_seen_ms, telemetry) VALUES(?,?,?,?) "
         "ON CONFLICT(gateway_id) DO UPDATE SET last_seen_ms = max(last_seen_ms, excluded.last_seen_ms), "
         "telemetry = excluded.telemetry, "
         // A heartbeat from a gateway marked offline only for its silence
         // brings it back; an offline status (Last Will) stands until the
         // gateway says online itself.
         "presence = CASE WHEN offline_reason = 'heartbeat_timeout' THEN 'online' ELSE presence END, "
         "offline_since_ms = CASE WHEN offline_reason = 'heartbeat_timeout' THEN NULL ELSE offline_since_ms END, "
         "maintenance_incident_id = CASE WHEN offline_reason = 'heartbeat_timeout' THEN NULL "
         "ELSE maintenance_incident_id END, "
         "offline_reason = CASE WHEN offline_reason = 'heartbeat_timeout' THEN '' ELSE offline_reason END")
      .bind(1, telemetry.gateway_id)
      .bind(2, telemetry.boot_id)
      .bind(3, received_ms)
      .bind(4, payload)
      .run();
}

bool SqliteStore::record_evidence(const Evidence& evidence, EpochMs received_ms) {
  db_.prepare_cached(
         "INSERT OR IGNORE INTO evidence(evidence_id, alert_id, gateway_id, content_type, captured_at_ms, "
         "received_ms, data) VALUES(?,?,?,?,?,?,?)")
      .bind(1, evidence.evidence_id)
      .bind(2, evidence.alert_id)
      .bind(3, evidence.gateway_id)
      .bind(4, evidence.content_type)
      .bind(5, evidence.captured_at_ms)
      .bind(6, received_ms)
      .bind_blob(7, evidence.data)
      .run();
  return db_.changes() > 0;
}

std::optional<Evidence> SqliteStore::evidence(const std::string& evidence_id) {
  auto select = db_.prepare_cached(
      "SELECT evidence_id, alert_id, gateway_id, captured_at_ms, content_type, data FROM evidence WHERE evidence_id = ?");
  select.bind(1, evidence_id);
  if (!select.step()) return std::nullopt;
  return Evidence{select.column_text(0), select.column_text(1),  select.column_text(2),
                  select.column_int64(3), select.column_text(4), select.column_blob(5)};
}

std::vector<IncidentRecord> SqliteStore::incidents(const IncidentQuery& query) {
  std::vector<IncidentRecord> out;
  auto select = db_.prepare(incident_query_sql(query, quote_text));
  while (select.step()) out.push_back(read_incident(select));
  return out;
}

std::optional<IncidentRecord> SqliteStore::one_incident(const std::string& where, const std::string& key) {
  auto select = db_.prepare_cached(fmt::format("SELECT {} FROM incidents WHERE {}", kIncidentColumns, where));
  select.bind(1, key);
  if (!select.step()) return std::nullopt;
  return read_incident(select);
}

std::optional<IncidentRecord> SqliteStore::incident(std::int64_t id) {
  auto select = db_.prepare_cached(fmt::format("SELECT {} FROM incidents WHERE id = ?", kIncidentColumns));
  select.bind(1, id);
  if (!select.step()) return std::nullopt;
  return read_incident(select);
}

std::optional<IncidentRecord> SqliteStore::incident_by_episode(const std::string& episode_id) {
  if (auto own = one_incident("episode_id = ?", episode_id)) return own;
  // An episode that joined another's incident (cross-cue correlation).
  auto joined = db_.prepare_cached("SELECT incident_id FROM alerts WHERE episode_id = ? AND incident_id IS NOT NULL LIMIT 1");
  joined.bind(1, episode_id);
  if (joined.step()) return incident(joined.column_int64(0));
  return std::nullopt;
}

std::vector<IncidentEvent> SqliteStore::incident_events(std::int64_t incident_id) {
  std::vector<IncidentEvent> out;
  auto select = db_.prepare_cached(
      "SELECT id, incident_id, at_ms, actor, action, from_state, to_state, note, details FROM incident_events "
      "WHERE incident_id = ? ORDER BY id");
  select.bind(1, incident_id);
  while (select.step()) {
    out.push_back({select.column_int64(0), select.column_int64(1), select.column_int64(2), select.column_text(3),
                   select.column_text(4), select.column_text(5), select.column_text(6), select.column_text(7),
                   select.column_text(8)});
  }
  return out;
}

std::vector<StoredAlert> SqliteStore::incident_alerts(std::int64_t incident_id, std::size_t limit) {
  std::vector<StoredAlert> out;
  auto select = db_.prepare_cached(
      "SELECT alert_id, phase, detected_at_ms, received_ms, payload FROM alerts "
      "WHERE episode_id = (SELECT episode_id FROM incidents WHERE id = ?) "
      "ORDER BY detected_at_ms, seq LIMIT ?");
  select.bind(1, incident_id).bind(2, static_cast<std::int64_t>(limit));
  while (select.step()) {
    out.push_back({select.column_text(0), select.column_text(1), select.column_int64(2), select.column_int64(3),
                   select.column_text(4)});
  }
  return out;
}

bool SqliteStore::apply_workflow(const WorkflowUpdate& change) {
  const IncidentRecord& updated = change.incident;
  sqlite::Transaction transaction(db_);
  auto update = db_.prepare_cached(
      "UPDATE incidents SET state = ?, cell_id = ?, level = ?, starting_level = ?, department = ?, unit = ?, "
      "dispatched_ms = ?, on_scene_ms = ?, feedback_ms = ?, resolved_ms = ?, closed_ms = ?, satisfaction = ?, "
      "light = ?, breaches = ?, sla_next_ms = ?, updated_ms = max(updated_ms, ?) WHERE id = ? AND state = ? "
      "AND (? = 0 OR sla_next_ms IS ?)");
  update.bind(1, updated.state)
      .bind(2, updated.cell_id)
      .bind(3, updated.level)
      .bind(4, updated.starting_level)
      .bind(5, updated.department)
      .bind(6, updated.unit);
  bind_optional(update, 7, updated.dispatched_ms);
  bind_optional(update, 8, updated.on_scene_ms);
  bind_optional(update, 9, updated.feedback_ms);
  bind_optional(update, 10, updated.resolved_ms);
  bind_optional(update, 11, updated.closed_ms);
  bind_optional(update, 12, updated.satisfaction);
  update.bind(13, updated.light).bind(14, updated.breaches);
  bind_optional(update, 15, updated.sla_next_ms);
  const EpochMs at_ms = change.events.empty() ? updated.updated_ms : change.events.back().at_ms;
  update.bind(16, at_ms).bind(17, updated.id).bind(18, change.expected_state);
  update.bind(19, change.expected_sla_next_ms ? 1 : 0);
  bind_optional(update, 20, change.expected_sla_next_ms.value_or(std::nullopt));
  update.run();
  if (db_.changes() == 0) return false;  // rollback: nothing written
  for (const auto& event : change.events) {
    db_.prepare_cached(
           "INSERT INTO incident_events(incident_id, at_ms, actor, action, from_state, to_state, note, details) "
           "VALUES(?,?,?,?,?,?,?,?)")
        .bind(1, updated.id)
        .bind(2, event.at_ms)
        .bind(3, event.actor)
        .bind(4, event.action)
        .bind(5, event.from_state)
        .bind(6, event.to_state)
        .bind(7, event.note)
        .bind(8, event.details.empty() ? std::string("{}") : event.details)
        .run();
  }
  for (const auto& notification : change.notifications) {
    db_.prepare_cached(
           "INSERT INTO notifications(channel, incident_id, event, target, body, created_ms, next_attempt_ms) "
           "VALUES(?,?,?,?,?,?,?)")
        .bind(1, notification.channel)
        .bind(2, updated.id)
        .bind(3, notification.event)
        .bind(4, notification.target)
        .bind(5, notification.body)
        .bind(6, notification.created_ms)
        .bind(7, notification.next_attempt_ms.value_or(notification.created_ms))
        .run();
  }
  transaction.commit();
  return true;
}

std::vector<NotificationRecord> SqliteStore::claim_notifications(EpochMs now, EpochMs lease_until_ms,
                                                                 std::size_t limit) {
  std::vector<NotificationRecord> out;
  auto claim = db_.prepare_cached(fmt::format(
      "UPDATE notifications SET next_attempt_ms = ?, attempts = attempts + 1 WHERE id IN "
      "(SELECT id FROM notifications WHERE next_attempt_ms IS NOT NULL AND next_attempt_ms <= ? "
      "ORDER BY next_attempt_ms, id LIMIT ?) RETURNING {}",
      kNotificationColumns));
  claim.bind(1, lease_until_ms).bind(2, now).bind(3, static_cast<std::int64_t>(limit));
  while (claim.step()) out.push_back(read_notification(claim));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

void SqliteStore::notification_delivered(std::int64_t id, EpochMs delivered_ms) {
  db_.prepare_cached("UPDATE notifications SET next_attempt_ms = NULL, delivered_ms = ?, last_error = '' WHERE id = ?")
      .bind(1, delivered_ms)
      .bind(2, id)
      .run();
}

void SqliteStore::notification_failed(std::int64_t id, EpochMs next_attempt_ms, const std::string& error) {
  db_.prepare_cached("UPDATE notifications SET next_attempt_ms = ?, last_error = ? WHERE id = ? AND delivered_ms IS NULL")
      .bind(1, next_attempt_ms)
      .bind(2, error)
      .bind(3, id)
      .run();
}

std::vector<NotificationRecord> SqliteStore::notifications(std::int64_t incident_id) {
  std::vector<NotificationRecord> out;
  auto select =
      db_.prepare_cached(fmt::format("SELECT {} FROM notifications WHERE incident_id = ? ORDER BY id", kNotificationColumns));
  select.bind(1, incident_id);
  while (select.step()) out.push_back(read_notification(select));
  return out;
}

NotificationBacklog SqliteStore::notification_backlog() {
  auto select = db_.prepare_cached(
      "SELECT count(*) FILTER (WHERE delivered_ms IS NULL), count(*) FILTER (WHERE delivered_ms IS NOT NULL), "
      "count(*) FILTER (WHERE delivered_ms IS NULL AND last_error <> ''), "
      "coalesce(min(created_ms) FILTER (WHERE delivered_ms IS NULL), 0) FROM notifications");
  select.step();
  return {static_cast<std::uint64_t>(select.column_int64(0)), static_cast<std::uint64_t>(select.column_int64(1)),
          static_cast<std::uint64_t>(select.column_int64(2)), select.column_int64(3)};
}

std::vector<IncidentRecord> SqliteStore::incidents_due(EpochMs now, std::size_t limit) {
  std::vector<IncidentRecord> out;
  auto select = db_.prepare_cached(fmt::format(
      "SELECT {} FROM incidents WHERE sla_next_ms IS NOT NULL AND sla_next_ms <= ? ORDER BY sla_next_ms LIMIT ?",
      kIncidentColumns));
  select.bind(1, now).bind(2, static_cast<std::int64_t>(limit));
  while (select.step()) out.push_back(read_incident(select));
  return out;
}

std::vector<GatewayRecord> SqliteStore::gateways() {
  std::vector<GatewayRecord> out;
  auto select = db_.prepare_cached(fmt::format("SELECT {} FROM gateways ORDER BY gateway_id", kGatewayColumns));
  while (select.step()) out.push_back(read_gateway(select));
  return out;
}

std::int64_t SqliteStore::open_incident(const IncidentRecord& draft) {
  sqlite::Transaction transaction(db_);
  db_.prepare_cached(
         "INSERT OR IGNORE INTO incidents(episode_id, gateway_id, kind, severity, urgency, certainty, confidence, "
         "state, detected_at_ms, created_ms, updated_ms, lat, lon, camera, zone, sensor, summary, alert_count) "
         "VALUES(?,?,?,?,?,?,?,'new',?,?,?,?,?,?,?,?,?,0)")
      .bind(1, draft.episode_id)
      .bind(2, draft.gateway_id)
      .bind(3, draft.kind)
      .bind(4, draft.severity)
      .bind(5, draft.urgency)
      .bind(6, draft.certainty)
      .bind(7, draft.confidence)
      .bind(8, draft.detected_at_ms)
      .bind(9, draft.created_ms)
      .bind(10, draft.created_ms)
      .bind(11, draft.lat)
      .bind(12, draft.lon)
      .bind(13, draft.camera)
      .bind(14, draft.zone)
      .bind(15, draft.sensor)
      .bind(16, draft.summary)
      .run();
  auto find = db_.prepare_cached("SELECT id FROM incidents WHERE episode_id = ?");
  find.bind(1, draft.episode_id);
  find.step();
  const auto id = find.column_int64(0);
  transaction.commit();
  return id;
}

std::optional<GatewayRecord> SqliteStore::gateway(const std::string& gateway_id) {
  auto select = db_.prepare_cached(fmt::format("SELECT {} FROM gateways WHERE gateway_id = ?", kGatewayColumns));
  select.bind(1, gateway_id);
  if (!select.step()) return std::nullopt;
  return read_gateway(select);
}

void SqliteStore::set_gateway_location(const std::string& gateway_id, double lat, double lon,
                                       const std::string& cell_id) {
  db_.prepare_cached(
         "INSERT INTO gateways(gateway_id, lat, lon, cell_id) VALUES(?,?,?,?) ON CONFLICT(gateway_id) DO UPDATE "
         "SET lat = excluded.lat, lon = excluded.lon, cell_id = excluded.cell_id")
      .bind(1, gateway_id)
      .bind(2, lat)
      .bind(3, lon)
      .bind(4, cell_id)
      .run();
}

std::vector<GatewayRecord> SqliteStore::mark_silent_offline(EpochMs silent_before, EpochMs now) {
  std::vector<GatewayRecord> out;
  auto update = db_.prepare_cached(fmt::format(
      "UPDATE gateways SET presence = 'offline', offline_since_ms = ?, offline_reason = 'heartbeat_timeout' "
      "WHERE presence = 'online' AND last_seen_ms < ? RETURNING {}",
      kGatewayColumns));
  update.bind(1, now).bind(2, silent_before);
  while (update.step()) out.push_back(read_gateway(update));
  return out;
}

std::vector<GatewayRecord> SqliteStore::offline_without_maintenance(EpochMs offline_before) {
  std::vector<GatewayRecord> out;
  auto select = db_.prepare_cached(fmt::format(
      "SELECT {} FROM gateways WHERE presence = 'offline' AND offline_since_ms < ? AND maintenance_incident_id IS "
      "NULL ORDER BY gateway_id",
      kGatewayColumns));
  select.bind(1, offline_before);
  while (select.step()) out.push_back(read_gateway(select));
  return out;
}

void SqliteStore::set_maintenance_incident(const std::string& gateway_id, std::int64_t incident_id) {
  db_.prepare_cached("UPDATE gateways SET maintenance_incident_id = ? WHERE gateway_id = ?")
      .bind(1, incident_id)
      .bind(2, gateway_id)
      .run();
}

bool SqliteStore::add_user(const UserRecord& user) {
  db_.prepare_cached("INSERT OR IGNORE INTO users(name, role, password_hash, created_ms) VALUES(?,?,?,?)")
      .bind(1, user.name)
      .bind(2, user.role)
      .bind(3, user.password_hash)
      .bind(4, user.created_ms)
      .run();
  return db_.changes() > 0;
}

std::optional<UserRecord> SqliteStore::user(const std::string& name) {
  auto select = db_.prepare_cached(fmt::format("SELECT {} FROM users WHERE name = ?", kUserColumns));
  select.bind(1, name);
  if (!select.step()) return std::nullopt;
  return UserRecord{select.column_text(0), select.column_text(1), select.column_text(2), select.column_int64(3)};
}

std::vector<UserRecord> SqliteStore::users() {
  std::vector<UserRecord> out;
  auto select = db_.prepare_cached(fmt::format("SELECT {} FROM users ORDER BY name", kUserColumns));
  while (select.step()) {
    out.push_back({select.column_text(0), select.column_text(1), select.column_text(2), select.column_int64(3)});
  }
  return out;
}

void SqliteStore::add_credential(const CredentialRecord& credential) {
  auto insert = db_.prepare_cached(
      "INSERT INTO credentials(secret_hash, user_name, kind, label, csrf_token, created_ms, expires_ms) "
      "VALUES(?,?,?,?,?,?,?)");
  insert.bind(1, credential.secret_hash)
      .bind(2, credential.user_name)
      .bind(3, credential.kind)
      .bind(4, credential.label)
      .bind(5, credential.csrf_token)
      .bind(6, credential.created_ms);
  bind_optional(insert, 7, credential.expires_ms);
  insert.run();
}

std::optional<CredentialRecord> SqliteStore::credential(const std::string& secret_hash, EpochMs now) {
  auto select = db_.prepare_cached(fmt::format(
      "SELECT {} FROM credentials WHERE secret_hash = ? AND (expires_ms IS NULL OR expires_ms > ?)",
      kCredentialColumns));
  select.bind(1, secret_hash).bind(2, now);
  if (!select.step()) return std::nullopt;
  return read_credential(select);
}

void SqliteStore::remove_credential(const std::string& secret_hash) {
  db_.prepare_cached("DELETE FROM credentials WHERE secret_hash = ?").bind(1, secret_hash).run();
}

}  // namespace gridwatch::central
