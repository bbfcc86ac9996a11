#pragma once
#include <memory>
#include <optional>
#include <string>

#include "central/store.hpp"
#include "common/sqlite/sqlite.hpp"
#include "common/sqlite/wal_checkpointer.hpp"

namespace gridwatch::central {

/// The embedded store: one SQLite file in WAL mode, schema migrated on open
/// (PRAGMA user_version holds the applied version).
class SqliteStore final : public Store {
 public:
  enum class Access { read_write, read_only };
  explicit SqliteStore(const std::string& path, Access access = Access::read_write);

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
  void begin_batch() override;
  void commit_batch() override;
  void abandon_batch() noexcept override;

  int schema_version();

 private:
  void migrate();
  std::optional<IncidentRecord> one_incident(const std::string& where, const std::string& key);
  // Order: the connection goes first, so no commit can reach the
  // checkpointer's hook after the checkpointer is gone.
  std::unique_ptr<sqlite::WalCheckpointer> checkpointer_;
  sqlite::Database db_;
  std::optional<sqlite::Transaction> batch_;
};

}  // namespace gridwatch::central
