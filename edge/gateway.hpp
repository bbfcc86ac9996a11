#pragma once
// The running gateway: sensors -> alarm logic -> alerts -> outbox ->
// uplink, plus presence (retained status with Last Will) and heartbeats.
// Everything here runs on the one io_context; sensor threads post to it.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <array>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "common/mqtt/mqtt_client.hpp"
#include "common/wire.hpp"
#include "edge/camera_worker.hpp"
#include "edge/core/fire_fusion.hpp"
#include "edge/core/sensor_monitor.hpp"
#include "edge/edge_config.hpp"
#include "edge/evidence_ring.hpp"
#include "edge/modbus_poller.hpp"
#include "edge/outbox.hpp"
#include "edge/uplink.hpp"

namespace gridwatch::edge {

class Gateway {
 public:
  /// Opens the outbox (quarantining a corrupt one); throws if it cannot.
  Gateway(boost::asio::io_context& io, EdgeConfig config);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  void start();
  /// Stops sensors, flushes, publishes the retained "offline" status and
  /// disconnects. Blocks for at most a few seconds.
  void stop();

  /// Entry point for readings (Modbus pollers, MQTT JSON sensors), on the
  /// io_context thread: the sensor's monitor decides alarms and faults.
  void on_reading(const SensorReading& reading);
  /// Entry point for camera workers' reports, on the io_context thread:
  /// parking, tamper and smoke episodes become alerts (with evidence), a
  /// source going down or up opens or closes a camera_fault episode. A
  /// smoke start may complete a fire with an associated sensor's alarm.
  void on_camera_report(const CameraReport& report);
  /// Checks every sensor for silence (no data, comms lost); the gateway's
  /// one-second timer calls it, tests may too.
  void check_sensors(EpochMs now_ms);

  /// Stores an alert (giving it its id and sequence number, and its episode
  /// id if empty) and uplinks it; a JPEG, if given, goes to the evidence
  /// ring and follows the alert. Returns the alert id. Detectors call this
  /// on the io_context thread.
  std::string raise(Alert alert, std::optional<std::string> jpeg = std::nullopt);

  /// Entry point for a message on our cmd topic, on the io_context thread:
  /// a config push is validated, persisted and applied (cameras restarted
  /// with the new zones), or refused with every error; either way the
  /// result goes to the cmd_result topic through the outbox.
  void on_command(const mqtt::Message& message);

  const Outbox& outbox() const { return outbox_; }
  const Uplink& uplink() const { return *uplink_; }

 private:
  struct SensorState {
    SensorState(SensorSettings sensor, EpochMs started_ms)
        : settings(std::move(sensor)), monitor(monitor_settings(settings), started_ms) {}
    SensorSettings settings;
    SensorMonitor monitor;
    std::string open_episode;   ///< episode id while the alarm is active
    std::array<std::string, kSensorFaultCount> fault_episodes;  ///< per fault kind, while active
    std::string health = "unknown";  ///< "unknown" until the first read, then "ok", "fault" or "offline"
    std::string detail = "no reading yet";
    std::uint64_t read_errors = 0;  ///< since start; shown in the heartbeat's health detail
    std::optional<double> last_value;
    std::string last_logged_error;
  };

  struct CameraState {
    std::string health = "unknown";  ///< "unknown" until the source opens, then "ok" or "offline"
    std::string detail = "not opened yet";
    std::map<std::pair<int, int>, std::string> episodes;  ///< (kind, episode) -> episode id of the start
    std::string offline_episode;   ///< camera_fault episode while the source is down
    std::uint64_t outages = 0;
    std::optional<std::string> smoke_jpeg;  ///< latest smoke evidence, for a fused fire alert
    std::optional<Box> smoke_box;
  };

  /// Fire episode of one sensor/camera pair (keyed by sensor id).
  struct FireState {
    std::string episode;
  };

  void start_cameras();
  void stop_cameras();
  /// Replaces the cameras; empty on success, else why nothing changed.
  std::string apply_config_push(const ConfigPush& push, std::vector<CameraConfig> cameras);
  void reply(CommandResult result);
  void raise_camera_alert(const std::string& camera_id, CameraState& camera, const CameraAlert& camera_alert,
                          EpochMs at_ms);
  void handle_sensor_events(SensorState& sensor, const std::vector<SensorEvent>& events);
  void raise_sensor_alarm(SensorState& sensor, const SensorEvent& event);
  void raise_sensor_fault(SensorState& sensor, const SensorEvent& event);
  void raise_fire(const FireDecision& decision);
  void start_mqtt_sensors();
  void on_sensor_message(const mqtt::Message& message);
  void schedule_sensor_check();
  std::optional<std::string> resolve_evidence(const OutboxRow& row) const;
  Status make_status(PresenceState state) const;
  void send_heartbeat();
  void schedule_heartbeat();

  boost::asio::io_context& io_;
  EdgeConfig config_;
  std::string boot_id_;
  EpochMs started_ms_;
  Outbox outbox_;
  EvidenceRing evidence_;
  std::map<std::string, SensorState> sensors_;
  std::unique_ptr<mqtt::Client> client_;
  std::unique_ptr<Uplink> uplink_;
  std::vector<std::unique_ptr<ModbusPoller>> pollers_;
  std::map<std::string, CameraState> cameras_;
  std::vector<std::unique_ptr<CameraWorker>> camera_workers_;
  FireFusion fusion_;
  std::map<std::string, FireState> fires_;
  std::map<std::string, std::string> sensor_topics_;  ///< MQTT topic -> sensor id (readings and availability)
  boost::asio::steady_timer heartbeat_timer_;
  boost::asio::steady_timer sensor_timer_;
  bool stopped_ = false;
};

}  // namespace gridwatch::edge
