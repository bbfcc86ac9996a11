#pragma once
// The running gateway: sensors -> alarm logic -> alerts -> outbox ->
// uplink, plus presence (retained status with Last Will) and heartbeats.
// Everything here runs on the one io_context; sensor threads post to it.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "common/mqtt/mqtt_client.hpp"
#include "common/wire.hpp"
#include "edge/camera_worker.hpp"
#include "edge/core/threshold_alarm.hpp"
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

  /// Entry point for readings, on the io_context thread.
  void on_reading(const SensorReading& reading);
  /// Entry point for camera workers' reports, on the io_context thread:
  /// parking and tamper episodes become alerts (with evidence), a source
  /// going down or up opens or closes a camera_fault episode.
  void on_camera_report(const CameraReport& report);

  /// Stores an alert (giving it its id and sequence number, and its episode
  /// id if empty) and uplinks it; a JPEG, if given, goes to the evidence
  /// ring and follows the alert. Returns the alert id. Detectors call this
  /// on the io_context thread.
  std::string raise(Alert alert, std::optional<std::string> jpeg = std::nullopt);

  const Outbox& outbox() const { return outbox_; }
  const Uplink& uplink() const { return *uplink_; }

 private:
  struct SensorState {
    SensorSettings settings;
    ThresholdAlarm alarm;
    std::string open_episode;   ///< episode id while the alarm is active
    std::string health = "unknown";  ///< "unknown" until the first read, then "ok" or "offline"
    std::string detail = "no reading yet";
    std::uint64_t read_errors = 0;  ///< since start; shown in the heartbeat's health detail
  };

  struct CameraState {
    std::string health = "unknown";  ///< "unknown" until the source opens, then "ok" or "offline"
    std::string detail = "not opened yet";
    std::map<std::pair<int, int>, std::string> episodes;  ///< (kind, episode) -> episode id of the start
    std::string offline_episode;   ///< camera_fault episode while the source is down
    std::uint64_t outages = 0;
  };

  void raise_camera_alert(const std::string& camera_id, CameraState& camera, const CameraAlert& camera_alert,
                          EpochMs at_ms);
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
  boost::asio::steady_timer heartbeat_timer_;
  bool stopped_ = false;
};

}  // namespace gridwatch::edge
