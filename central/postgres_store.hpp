#pragma once
#include <memory>
#include <optional>
#include <string>

#include "central/store.hpp"

namespace gridwatch::central {

/// The shared store: one PostgreSQL database that several central
/// instances use at once (an MQTT v5 shared subscription splits the
/// stream between them). Same semantics as SqliteStore; the schema is
/// migrated on open under an advisory lock, and the alerts of one episode
/// are serialised with a per-episode advisory lock, so two instances
/// receiving alerts of one episode at the same moment still open exactly
/// one incident. libpqxx stays inside postgres_store.cpp.
///
/// Start-up failures (cannot connect, cannot migrate, schema newer than
/// this build) throw std::runtime_error with the conninfo's password
/// redacted. Runtime failures throw from the method that failed (Ingest
/// counts them); a broken connection is re-opened on the next call.
class PostgresStore final : public Store {
 public:
  enum class Access {
    read_write,  ///< migrates the schema to this build's version
    read_only,   ///< never writes; refuses a schema that is not exactly this build's
  };
  explicit PostgresStore(const std::string& conninfo, Access access = Access::read_write);
  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  AlertOutcome record_alert(const Alert& alert, std::string_view payload, EpochMs received_ms) override;
  void record_status(const Status& status, EpochMs received_ms) override;
  void record_telemetry(const Telemetry& telemetry, std::string_view payload, EpochMs received_ms) override;
  bool record_evidence(const Evidence& evidence, EpochMs received_ms) override;
  std::optional<Evidence> evidence(const std::string& evidence_id) override;
  std::vector<IncidentRecord> incidents(const IncidentQuery& query) override;
  std::vector<GatewayRecord> gateways() override;
  std::optional<IncidentRecord> incident(std::int64_t id) override;
  std::optional<IncidentRecord> incident_by_episode(const std::string& episode_id) override;
  std::vector<IncidentEvent> incident_events(std::int64_t incident_id) override;
  using Store::update_workflow;
  bool apply_workflow(const WorkflowUpdate& update) override;
  std::vector<IncidentRecord> incidents_due(EpochMs now, std::size_t limit) override;
  std::vector<NotificationRecord> claim_notifications(EpochMs now, EpochMs lease_until_ms,
                                                      std::size_t limit) override;
  void notification_delivered(std::int64_t id, EpochMs delivered_ms) override;
  void notification_failed(std::int64_t id, EpochMs next_attempt_ms, const std::string& error) override;
  std::vector<NotificationRecord> notifications(std::int64_t incident_id) override;
  NotificationBacklog notification_backlog() override;
  std::vector<StoredAlert> incident_alerts(std::int64_t incident_id, std::size_t limit) override;
  std::int64_t open_incident(const IncidentRecord& draft) override;
  std::optional<GatewayRecord> gateway(const std::string& gateway_id) override;
  void set_gateway_location(const std::string& gateway_id, double lat, double lon,
                            const std::string& cell_id) override;
  std::vector<GatewayRecord> mark_silent_offline(EpochMs silent_before, EpochMs now) override;
  std::vector<GatewayRecord> offline_without_maintenance(EpochMs offline_before) override;
  void set_maintenance_incident(const std::string& gateway_id, std::int64_t incident_id) override;
  bool add_user(const UserRecord& user) override;
  std::optional<UserRecord> user(const std::string& name) override;
  std::vector<UserRecord> users() override;
  void add_credential(const CredentialRecord& credential) override;
  std::optional<CredentialRecord> credential(const std::string& secret_hash, EpochMs now) override;
  void remove_credential(const std::string& secret_hash) override;

  /// The applied schema version (0 for an empty database).
  int schema_version();
  /// The version this build migrates to.
  static int latest_schema_version();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A libpq connection string (key=value or postgresql:// URI) fit for logs
/// and error messages: every parameter it sets, the password as "***".
std::string redact_conninfo(const std::string& conninfo);

/// Why libpq cannot parse `conninfo`, or nullopt when it can.
std::optional<std::string> conninfo_error(const std::string& conninfo);

}  // namespace gridwatch::central
