#include "edge/gateway.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "common/ids.hpp"
#include "common/topics.hpp"

namespace gridwatch::edge {
namespace {

OutboxLimits limits_from(const OutboxSettings& settings) {
  return {settings.max_rows, settings.max_mib << 20, settings.max_age_h * 3'600'000};
}

}  // namespace

Gateway::Gateway(boost::asio::io_context& io, EdgeConfig config)
    : io_(io),
      config_(std::move(config)),
      boot_id_(random_hex(8)),
      started_ms_(wall_clock_ms()),
      outbox_(config_.outbox_path(), limits_from(config_.outbox), started_ms_),
      evidence_(config_.evidence_directory(),
                {static_cast<std::size_t>(config_.evidence.max_files),
                 static_cast<std::uint64_t>(config_.evidence.max_mib) << 20}),
      heartbeat_timer_(io) {
  for (const auto& sensor : config_.sensors) {
    ThresholdAlarmSettings alarm{sensor.alarm.raise, sensor.alarm.clear,
                                 static_cast<std::int64_t>(sensor.alarm.min_duration_s * 1000)};
    sensors_.emplace(sensor.id, SensorState{sensor, ThresholdAlarm(alarm), {}, "unknown", "no reading yet", 0});
  }
  for (const auto& camera : config_.cameras) cameras_.emplace(camera.vision.id, CameraState{});

  auto options = to_client_options(config_.mqtt);
  const auto status_topic = make_topic(config_.gateway.id, Channel::status);
  options.will = mqtt::Message{status_topic, encode(make_status(PresenceState::offline)), 1, true};

  mqtt::Handlers handlers;
  handlers.on_connected = [this, status_topic](bool) {
    client_->publish({status_topic, encode(make_status(PresenceState::online)), 1, true}, nullptr);
    uplink_->pump();
  };
  client_ = mqtt::make_paho_client(io_, std::move(options), std::move(handlers));
  uplink_ = std::make_unique<Uplink>(io_, outbox_, *client_, config_.mqtt.inflight_window,
                                     [this](const OutboxRow& row) { return resolve_evidence(row); });
}

Gateway::~Gateway() { stop(); }

void Gateway::start() {
  const auto stats = outbox_.stats();
  spdlog::info("gateway {} starting: outbox {} holds {} undelivered message(s), epoch {}", config_.gateway.id,
               config_.outbox_path(), stats.rows, outbox_.epoch());
  client_->start();
  for (const auto& sensor : config_.sensors) {
    auto poller = std::make_unique<ModbusPoller>(sensor, [this](SensorReading reading) {
      boost::asio::post(io_, [this, reading = std::move(reading)] { on_reading(reading); });
    });
    poller->start();
    pollers_.push_back(std::move(poller));
  }
  for (const auto& camera : config_.cameras) {
    auto worker = std::make_unique<CameraWorker>(camera, [this](CameraReport report) {
      boost::asio::post(io_, [this, report = std::move(report)] { on_camera_report(report); });
    });
    worker->start();
    camera_workers_.push_back(std::move(worker));
  }
  schedule_heartbeat();
}

void Gateway::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& poller : pollers_) poller->stop();
  for (auto& worker : camera_workers_) worker->stop();
  heartbeat_timer_.cancel();
  uplink_->flush_delivered();
  // The client fails its pending deliveries into the uplink, so it must
  // stop while the uplink is alive.
  client_->stop(mqtt::Message{make_topic(config_.gateway.id, Channel::status),
                              encode(make_status(PresenceState::offline)), 1, true},
                2000);
  uplink_->flush_delivered();
  const auto stats = outbox_.stats();
  spdlog::info("gateway stopped: {} delivered this run, {} message(s) left in the outbox",
               uplink_->counters().delivered, stats.rows);
}

void Gateway::on_reading(const SensorReading& reading) {
  if (stopped_) return;
  auto found = sensors_.find(reading.sensor_id);
  if (found == sensors_.end()) return;
  auto& sensor = found->second;
  if (!reading.value) {
    sensor.read_errors += 1;
    // Once per outage (and at start for a sensor that never answered), not
    // once per poll: the heartbeat carries the running count.
    if (sensor.health != "offline") {
      spdlog::warn("sensor {}: {}; retrying every {} ms", reading.sensor_id, reading.error, sensor.settings.poll_ms);
    }
    sensor.health = "offline";
    sensor.detail = fmt::format("{} ({} failed reads)", reading.error, sensor.read_errors);
    return;
  }
  if (sensor.health != "ok") spdlog::info("sensor {}: reading again ({:.2f} {})", reading.sensor_id, *reading.value, sensor.settings.unit);
  sensor.health = "ok";
  sensor.detail.clear();

  const auto transition = sensor.alarm.update(reading.at_ms, *reading.value);
  if (!transition) return;

  Alert alert;
  alert.gateway_id = config_.gateway.id;
  alert.kind = AlertKind::smoke;
  alert.severity = Severity::severe;
  // One sensor alone: likely but unconfirmed (fusion with a camera raises it).
  alert.confidence = 0.8;
  alert.detected_at_ms = transition->at_ms;
  alert.location = {config_.gateway.lat, config_.gateway.lon, std::nullopt, std::nullopt, sensor.settings.id};
  if (!sensor.settings.camera.empty()) alert.location.camera = sensor.settings.camera;
  alert.value = transition->value;
  if (!sensor.settings.unit.empty()) alert.unit = sensor.settings.unit;
  if (transition->kind == AlarmTransition::Kind::raised) {
    alert.phase = Phase::start;
    alert.summary = fmt::format("Smoke sensor {} reads {:.2f} {} (alarm level {:.2f})", sensor.settings.id,
                                transition->value, sensor.settings.unit, sensor.settings.alarm.raise);
    spdlog::warn("sensor {}: SMOKE ALARM at {:.2f} {}", sensor.settings.id, transition->value, sensor.settings.unit);
  } else {
    alert.phase = Phase::end;
    alert.episode_id = sensor.open_episode;
    alert.summary = fmt::format("Smoke sensor {} back to {:.2f} {} (peak {:.2f})", sensor.settings.id,
                                transition->value, sensor.settings.unit, transition->peak);
    spdlog::info("sensor {}: smoke alarm cleared at {:.2f} {}", sensor.settings.id, transition->value,
                 sensor.settings.unit);
  }
  const bool starts_episode = alert.phase == Phase::start;
  const auto alert_id = raise(std::move(alert));
  // The start message's id names the episode for its update and end.
  sensor.open_episode = starts_episode ? alert_id : std::string();
}

void Gateway::on_camera_report(const CameraReport& report) {
  if (stopped_) return;
  auto found = cameras_.find(report.camera_id);
  if (found == cameras_.end()) return;
  auto& camera = found->second;
  if (report.online) {
    CameraAlert fault;
    fault.kind = AlertKind::camera_fault;
    fault.confidence = 1.0;
    if (*report.online) {
      spdlog::info("camera {}: source online", report.camera_id);
      camera.health = "ok";
      camera.detail.clear();
      if (!camera.offline_episode.empty()) {
        fault.phase = Phase::end;
        fault.summary = fmt::format("Camera {} is delivering frames again", report.camera_id);
        raise_camera_alert(report.camera_id, camera, fault, report.at_ms);
      }
    } else {
      camera.outages += 1;
      spdlog::warn("camera {}: source offline: {}", report.camera_id, report.detail);
      camera.health = "offline";
      camera.detail = fmt::format("{} ({} outages)", report.detail, camera.outages);
      if (camera.offline_episode.empty()) {
        fault.phase = Phase::start;
        fault.summary = fmt::format("Camera {} offline: {}", report.camera_id, report.detail);
        raise_camera_alert(report.camera_id, camera, fault, report.at_ms);
      }
    }
  }
  for (const auto& alert : report.alerts) raise_camera_alert(report.camera_id, camera, alert, report.at_ms);
}

void Gateway::raise_camera_alert(const std::string& camera_id, CameraState& camera, const CameraAlert& camera_alert,
                                 EpochMs at_ms) {
  Alert alert;
  alert.kind = camera_alert.kind;
  alert.phase = camera_alert.phase;
  alert.severity = camera_alert.kind == AlertKind::parking ? Severity::minor : Severity::moderate;
  alert.confidence = camera_alert.confidence;
  alert.detected_at_ms = at_ms;
  alert.location = {config_.gateway.lat, config_.gateway.lon, camera_id, std::nullopt, std::nullopt};
  if (!camera_alert.zone.empty()) alert.location.zone = camera_alert.zone;
  alert.box = camera_alert.box;
  alert.summary = camera_alert.summary.substr(0, 256);
  // The start's alert id names the episode for its updates and end.
  std::string* episode = nullptr;
  if (camera_alert.kind == AlertKind::camera_fault) {
    episode = &camera.offline_episode;
  } else {
    episode = &camera.episodes[{static_cast<int>(camera_alert.kind), camera_alert.episode}];
  }
  if (camera_alert.phase != Phase::start) {
    if (episode->empty()) {  // its start was never raised
      camera.episodes.erase({static_cast<int>(camera_alert.kind), camera_alert.episode});
      return;
    }
    alert.episode_id = *episode;
  }
  spdlog::info("camera {}: {} {} {}", camera_id, to_string(alert.kind), to_string(alert.phase), alert.summary);
  const auto alert_id = raise(std::move(alert), camera_alert.jpeg);
  if (camera_alert.phase == Phase::start) {
    *episode = alert_id;
  } else if (camera_alert.phase == Phase::end) {
    if (camera_alert.kind == AlertKind::camera_fault) {
      camera.offline_episode.clear();
    } else {
      camera.episodes.erase({static_cast<int>(camera_alert.kind), camera_alert.episode});
    }
  }
}

std::string Gateway::raise(Alert alert, std::optional<std::string> jpeg) {
  const auto topic = make_topic(config_.gateway.id, Channel::alert);
  const auto now = wall_clock_ms();
  alert.gateway_id = config_.gateway.id;
  std::string stored_payload;
  const auto result = outbox_.append_sequenced(
      priority_for(alert.kind), topic,
      [&](std::uint64_t seq) {
        alert.seq = seq;
        alert.alert_id = fmt::format("{}:{}:{}", config_.gateway.id, outbox_.epoch(), seq);
        if (alert.episode_id.empty()) alert.episode_id = alert.alert_id;
        alert.evidence.clear();
        if (jpeg) alert.evidence.push_back(alert.alert_id + ":jpg");
        stored_payload = encode(alert);
        return stored_payload;
      },
      now);
  if (result.status == AppendStatus::store_failed) {
    // The store is unusable (disk full, read-only). Better a best-effort
    // publish than silence; it is lost only if the uplink is down too.
    const bool sent = client_->publish({topic, stored_payload, 1, false}, nullptr);
    spdlog::error("alert {} could not be stored; {}", alert.alert_id,
                  sent ? "published directly without a durable copy" : "uplink down too: alert LOST");
    return alert.alert_id;
  }
  if (result.status == AppendStatus::stored && jpeg) {
    const auto evidence_id = alert.evidence.front();
    if (evidence_.put(evidence_id, *jpeg)) {
      // Only a reference goes into the outbox; resolve_evidence() reads the
      // file when the row's turn comes, after its alert (lower priority).
      const nlohmann::json reference{{"evidence_id", evidence_id}, {"alert_id", alert.alert_id}, {"captured_at_ms", now}};
      outbox_.append(Priority::evidence, make_topic(config_.gateway.id, Channel::evidence), reference.dump(), now);
    }
  }
  uplink_->pump();
  return alert.alert_id;
}

std::optional<std::string> Gateway::resolve_evidence(const OutboxRow& row) const {
  const auto reference = nlohmann::json::parse(row.payload, nullptr, false);
  if (reference.is_discarded() || !reference.contains("evidence_id")) return std::nullopt;
  Evidence evidence;
  evidence.evidence_id = reference.value("evidence_id", "");
  evidence.alert_id = reference.value("alert_id", "");
  evidence.gateway_id = config_.gateway.id;
  evidence.captured_at_ms = reference.value("captured_at_ms", EpochMs{0});
  auto data = evidence_.get(evidence.evidence_id);
  if (!data) {
    spdlog::warn("evidence {} was evicted from the ring before delivery; dropping it", evidence.evidence_id);
    return std::nullopt;
  }
  evidence.data = std::move(*data);
  return encode(evidence);
}

Status Gateway::make_status(PresenceState state) const {
  return Status{config_.gateway.id, state, boot_id_, wall_clock_ms(), GRIDWATCH_VERSION, config_.gateway.lat,
                config_.gateway.lon};
}

void Gateway::schedule_heartbeat() {
  heartbeat_timer_.expires_after(std::chrono::seconds(config_.heartbeat_s));
  heartbeat_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopped_) return;
    send_heartbeat();
    schedule_heartbeat();
  });
}

void Gateway::send_heartbeat() {
  const auto now = wall_clock_ms();
  outbox_.expire(now);
  const auto stats = outbox_.stats();
  Telemetry telemetry;
  telemetry.gateway_id = config_.gateway.id;
  telemetry.boot_id = boot_id_;
  telemetry.ts_ms = now;
  telemetry.uptime_s = (now - started_ms_) / 1000;
  for (auto priority : kAllPriorities) {
    const auto p = static_cast<std::size_t>(priority);
    telemetry.outbox.depth[std::string(to_string(priority))] = stats.depth[p];
    telemetry.outbox.dropped[std::string(to_string(priority))] = stats.dropped[p];
  }
  telemetry.outbox.oldest_undelivered_age_s = stats.oldest_created_ms ? (now - *stats.oldest_created_ms) / 1000 : 0;
  telemetry.outbox.stored_bytes = stats.bytes;
  telemetry.outbox.quarantined_databases = stats.quarantined;
  telemetry.outbox.store_errors = stats.store_errors;
  for (const auto& [id, sensor] : sensors_) telemetry.sensors.push_back({id, sensor.health, sensor.detail});
  for (const auto& [id, camera] : cameras_) telemetry.cameras.push_back({id, camera.health, camera.detail});
  outbox_.append(Priority::telemetry, make_topic(config_.gateway.id, Channel::telemetry), encode(telemetry), now);
  const auto& counters = uplink_->counters();
  spdlog::info("heartbeat: outbox {} row(s), oldest {} s; uplink {} published, {} delivered, {} retried; broker {}",
               stats.rows, telemetry.outbox.oldest_undelivered_age_s, counters.published, counters.delivered,
               counters.failed, client_->connected() ? "connected" : "DISCONNECTED");
  uplink_->pump();
}

}  // namespace gridwatch::edge
