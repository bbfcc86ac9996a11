#include "edge/gateway.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/ids.hpp"
#include "common/topics.hpp"
#include "edge/mqtt_sensor_input.hpp"

namespace gridwatch::edge {
namespace {

OutboxLimits limits_from(const OutboxSettings& settings) {
  return {settings.max_rows, settings.max_mib << 20, settings.max_age_h * 3'600'000};
}

std::map<std::string, std::string> sensor_cameras(const EdgeConfig& config) {
  std::map<std::string, std::string> out;
  for (const auto& sensor : config.sensors) {
    if (!sensor.camera.empty()) out[sensor.id] = sensor.camera;
  }
  return out;
}

/// One sensor alone: likely but unconfirmed (fusion with a camera raises it).
constexpr double kSensorAlarmConfidence = 0.8;

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
      fusion_(sensor_cameras(config_), static_cast<std::int64_t>(config_.fusion.window_s * 1000)),
      heartbeat_timer_(io),
      sensor_timer_(io) {
  for (const auto& sensor : config_.sensors) {
    sensors_.emplace(sensor.id, SensorState(sensor, started_ms_));
    if (sensor.type == "mqtt_json") {
      sensor_topics_[sensor.mqtt.topic] = sensor.id;
      if (!sensor.mqtt.availability_topic.empty()) sensor_topics_[sensor.mqtt.availability_topic] = sensor.id;
    }
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
  // Our cmd topic carries central's commands, cmd/receipt its receipts;
  // every other subscription is an MQTT sensor's.
  handlers.on_message = [this, command_topic = make_topic(config_.gateway.id, Channel::cmd),
                         receipts = receipt_topic(config_.gateway.id)](mqtt::Message message) {
    if (message.topic == command_topic) {
      on_command(message);
    } else if (message.topic == receipts) {
      if (!stopped_) uplink_->on_receipt(message.payload);
    } else {
      on_sensor_message(message);
    }
  };
  client_ = mqtt::make_paho_client(io_, std::move(options), std::move(handlers));
  uplink_ = std::make_unique<Uplink>(
      io_, outbox_, *client_, config_.mqtt.inflight_window,
      [this](const OutboxRow& row) { return resolve_evidence(row); },
      ReceiptSettings{config_.uplink.receipts, std::int64_t{config_.uplink.receipt_timeout_s} * 1000, config_.gateway.id});
  // The persistent session keeps commands (and receipts) sent while we
  // were offline. One subscription covers cmd and cmd/receipt.
  client_->subscribe(command_filter(config_.gateway.id), 1);
}

Gateway::~Gateway() { stop(); }

void Gateway::start() {
  const auto stats = outbox_.stats();
  spdlog::info("gateway {} starting: outbox {} holds {} undelivered message(s), epoch {}", config_.gateway.id,
               config_.outbox_path(), stats.rows, outbox_.epoch());
  // Subscriptions are renewed on every connect, so they go in first.
  for (const auto& [topic, sensor_id] : sensor_topics_) client_->subscribe(topic, 1);
  client_->start();
  for (const auto& sensor : config_.sensors) {
    if (!sensor.is_modbus()) continue;
    auto poller = std::make_unique<ModbusPoller>(sensor, [this](SensorReading reading) {
      boost::asio::post(io_, [this, reading = std::move(reading)] { on_reading(reading); });
    });
    poller->start();
    pollers_.push_back(std::move(poller));
  }
  start_cameras();
  schedule_heartbeat();
  schedule_sensor_check();
}

void Gateway::start_cameras() {
  limit_v4l2_frame_wait(config_.cameras);
  for (const auto& camera : config_.cameras) {
    auto worker = std::make_unique<CameraWorker>(camera, [this](CameraReport report) {
      boost::asio::post(io_, [this, report = std::move(report)] { on_camera_report(report); });
    });
    worker->start();
    camera_workers_.push_back(std::move(worker));
  }
}

void Gateway::stop_cameras() {
  for (auto& worker : camera_workers_) worker->stop();
  camera_workers_.clear();
}

void Gateway::on_command(const mqtt::Message& message) {
  if (stopped_) return;
  const auto parsed = parse_topic(message.topic);
  if (!parsed || parsed->gateway_id != config_.gateway.id || parsed->channel != Channel::cmd) return;
  CommandResult result;
  result.gateway_id = config_.gateway.id;
  result.config_version = config_.config_version;
  auto decoded = decode_config_push(message.payload);
  if (!decoded.ok()) {
    // The id, if readable, lets central match the refusal to its command.
    const auto document = nlohmann::json::parse(message.payload, nullptr, false);
    const auto id = document.is_object() ? document.value("command_id", std::string()) : std::string();
    result.command_id = is_valid_id(id) ? id : "unreadable";
    result.errors = std::move(decoded.errors);
    spdlog::warn("command {} refused: {}", result.command_id, join_errors(result.errors));
    reply(std::move(result));
    return;
  }
  const auto& push = *decoded.value;
  result.command_id = push.command_id;
  if (push.gateway_id != config_.gateway.id) {
    result.errors.push_back({"gateway_id", fmt::format("\"{}\" is not this gateway ({})", push.gateway_id,
                                                       config_.gateway.id)});
  } else {
    try {
      auto cameras = parse_camera_list(push.cameras_json, "config push " + push.command_id);
      if (auto problem = apply_config_push(push, std::move(cameras)); !problem.empty()) {
        result.errors.push_back({"", problem});
      }
    } catch (const ConfigInvalid& invalid) {
      for (const auto& error : invalid.errors().list()) result.errors.push_back({error.key, error.message});
    }
  }
  result.ok = result.errors.empty();
  result.config_version = config_.config_version;
  if (result.ok) {
    spdlog::info("command {}: camera config {} applied ({} camera(s))", push.command_id, push.config_version,
                 config_.cameras.size());
  } else {
    spdlog::warn("command {}: camera config {} refused, keeping {}: {}", push.command_id, push.config_version,
                 config_.config_version, join_errors(result.errors));
  }
  reply(std::move(result));
}

// Persisted before it is applied: after a power cut the gateway comes back
// with the config central was told about.
std::string Gateway::apply_config_push(const ConfigPush& push, std::vector<CameraConfig> cameras) {
  const std::string persisted = fmt::format(
      "# Camera config pushed by central (command {}, {}). It replaces the\n"
      "# cameras of {}; delete this file to go back to those.\n"
      "config_version: {}\ncameras: {}\n",
      push.command_id, format_utc(wall_clock_ms()), config_.source_file, nlohmann::json(push.config_version).dump(),
      push.cameras_json);
  if (auto problem = replace_file_atomically(pushed_config_path(config_.state_dir), persisted, 0644); !problem.empty()) {
    return "cannot persist the new config: " + problem;
  }
  stop_cameras();
  config_.cameras = std::move(cameras);
  config_.config_version = push.config_version;
  std::map<std::string, CameraState> kept;
  for (const auto& camera : config_.cameras) {
    auto found = cameras_.find(camera.vision.id);
    kept.emplace(camera.vision.id, found != cameras_.end() ? std::move(found->second) : CameraState{});
  }
  cameras_ = std::move(kept);
  start_cameras();
  return "";
}

void Gateway::reply(CommandResult result) {
  result.ts_ms = wall_clock_ms();
  outbox_.append(Priority::telemetry, make_topic(config_.gateway.id, Channel::cmd_result), encode(result),
                 result.ts_ms);
  uplink_->pump();
}

void Gateway::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& poller : pollers_) poller->stop();
  stop_cameras();
  heartbeat_timer_.cancel();
  sensor_timer_.cancel();
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
  const auto& sample = reading.sample;
  if (!sample.value) {
    sensor.read_errors += 1;
    // Once per outage and kind of problem (and at start for a sensor that
    // never answered), not once per poll: the heartbeat carries the count.
    if (sensor.health != "offline" || sample.error != sensor.last_logged_error) {
      sensor.last_logged_error = sample.error;
      spdlog::warn("sensor {}: {}; {}", reading.sensor_id, sample.error,
                   sensor.settings.is_modbus() ? fmt::format("retrying every {} ms", sensor.settings.poll_ms)
                                               : std::string("waiting for the next message"));
    }
    sensor.health = "offline";
    sensor.detail = fmt::format("{} ({} failed reads)", sample.error, sensor.read_errors);
  } else {
    if (sensor.health == "offline" || sensor.health == "unknown") {
      spdlog::info("sensor {}: reading again ({:.2f} {})", reading.sensor_id, *sample.value, sensor.settings.unit);
    }
    sensor.last_value = *sample.value;
    sensor.health = "ok";
    sensor.detail.clear();
  }
  handle_sensor_events(sensor, sensor.monitor.update(sample));
}

void Gateway::check_sensors(EpochMs now_ms) {
  for (auto& [id, sensor] : sensors_) handle_sensor_events(sensor, sensor.monitor.tick(now_ms));
}

void Gateway::schedule_sensor_check() {
  sensor_timer_.expires_after(std::chrono::seconds(1));
  sensor_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopped_) return;
    check_sensors(wall_clock_ms());
    schedule_sensor_check();
  });
}

void Gateway::on_sensor_message(const mqtt::Message& message) {
  if (stopped_) return;
  auto topic = sensor_topics_.find(message.topic);
  if (topic == sensor_topics_.end()) return;
  auto& sensor = sensors_.at(topic->second);
  const auto now = wall_clock_ms();
  if (message.topic == sensor.settings.mqtt.topic) {
    on_reading({sensor.settings.id, parse_sensor_message(sensor.settings, message.payload, now)});
  } else if (auto sample = parse_sensor_availability(sensor.settings, message.payload, now)) {
    on_reading({sensor.settings.id, std::move(*sample)});
  }
}

void Gateway::handle_sensor_events(SensorState& sensor, const std::vector<SensorEvent>& events) {
  for (const auto& event : events) {
    if (event.kind == SensorEvent::Kind::alarm_raised || event.kind == SensorEvent::Kind::alarm_cleared) {
      raise_sensor_alarm(sensor, event);
    } else {
      raise_sensor_fault(sensor, event);
    }
  }
  // Health for the heartbeat: a fault shows even while readings arrive.
  if (sensor.health == "ok" && sensor.monitor.any_fault()) sensor.health = "fault";
  if (sensor.health == "fault" && !sensor.monitor.any_fault()) sensor.health = "ok";
  if (sensor.health == "fault") {
    std::vector<std::string> active;
    for (std::size_t i = 0; i < kSensorFaultCount; ++i) {
      if (sensor.monitor.fault_active(static_cast<SensorFault>(i))) active.emplace_back(to_string(static_cast<SensorFault>(i)));
    }
    sensor.detail = fmt::format("fault: {}", fmt::join(active, ", "));
  }
}

void Gateway::raise_sensor_alarm(SensorState& sensor, const SensorEvent& event) {
  const auto& settings = sensor.settings;
  Alert alert;
  alert.kind = AlertKind::smoke;
  alert.severity = Severity::severe;
  alert.confidence = kSensorAlarmConfidence;
  alert.detected_at_ms = event.at_ms;
  alert.location = {config_.gateway.lat, config_.gateway.lon, std::nullopt, std::nullopt, settings.id};
  if (!settings.camera.empty()) alert.location.camera = settings.camera;
  alert.value = event.value;
  if (!settings.unit.empty()) alert.unit = settings.unit;
  const bool starts = event.kind == SensorEvent::Kind::alarm_raised;
  if (starts) {
    alert.phase = Phase::start;
    alert.summary = event.by_rate_of_rise
                        ? fmt::format("Smoke sensor {} rising fast: {:.2f} {} (rate-of-rise alarm)", settings.id,
                                      event.value, settings.unit)
                        : fmt::format("Smoke sensor {} reads {:.2f} {} (alarm level {:.2f})", settings.id, event.value,
                                      settings.unit, settings.alarm.raise);
    spdlog::warn("sensor {}: SMOKE ALARM at {:.2f} {}", settings.id, event.value, settings.unit);
  } else {
    alert.phase = Phase::end;
    alert.episode_id = sensor.open_episode;
    alert.summary = fmt::format("Smoke sensor {} back to {:.2f} {} (peak {:.2f})", settings.id, event.value,
                                settings.unit, event.peak);
    spdlog::info("sensor {}: smoke alarm cleared at {:.2f} {}", settings.id, event.value, settings.unit);
  }
  const auto alert_id = raise(std::move(alert));
  // The start message's id names the episode for its update and end.
  sensor.open_episode = starts ? alert_id : std::string();
  const auto fire = starts ? fusion_.sensor_alarm_started(settings.id, alert_id, event.at_ms, kSensorAlarmConfidence)
                           : fusion_.sensor_alarm_ended(settings.id, event.at_ms);
  if (fire) raise_fire(*fire);
}

void Gateway::raise_sensor_fault(SensorState& sensor, const SensorEvent& event) {
  const auto& settings = sensor.settings;
  auto& episode = sensor.fault_episodes[static_cast<std::size_t>(event.fault)];
  const bool starts = event.kind == SensorEvent::Kind::fault_raised;
  if (!starts && episode.empty()) return;
  Alert alert;
  alert.kind = AlertKind::sensor_fault;
  alert.phase = starts ? Phase::start : Phase::end;
  alert.severity = Severity::minor;
  alert.confidence = 1.0;
  alert.detected_at_ms = event.at_ms;
  alert.location = {config_.gateway.lat, config_.gateway.lon, std::nullopt, std::nullopt, settings.id};
  if (sensor.last_value) alert.value = *sensor.last_value;
  if (!settings.unit.empty() && sensor.last_value) alert.unit = settings.unit;
  alert.episode_id = starts ? std::string() : episode;
  alert.summary = fmt::format("Smoke sensor {} {} {}: {}", settings.id, starts ? "fault" : "fault cleared",
                              to_string(event.fault), event.detail)
                      .substr(0, 256);
  if (starts) {
    spdlog::warn("sensor {}: FAULT {}: {}{}", settings.id, to_string(event.fault), event.detail,
                 sensor.monitor.alarm_active() ? " (the smoke alarm stays active)" : "");
  } else {
    spdlog::info("sensor {}: fault {} cleared: {}", settings.id, to_string(event.fault), event.detail);
  }
  const auto alert_id = raise(std::move(alert));
  episode = starts ? alert_id : std::string();
}

void Gateway::raise_fire(const FireDecision& decision) {
  auto& fire = fires_[decision.sensor_id];
  if (decision.kind == FireDecision::Kind::end && fire.episode.empty()) return;
  const auto& sensor = sensors_.at(decision.sensor_id);
  auto camera = cameras_.find(decision.camera_id);
  Alert alert;
  alert.kind = AlertKind::fire;
  alert.severity = Severity::extreme;
  alert.detected_at_ms = decision.at_ms;
  alert.location = {config_.gateway.lat, config_.gateway.lon, decision.camera_id, std::nullopt, decision.sensor_id};
  if (sensor.last_value) alert.value = *sensor.last_value;
  if (!sensor.settings.unit.empty()) alert.unit = sensor.settings.unit;
  std::optional<std::string> jpeg;
  if (camera != cameras_.end()) {
    alert.box = camera->second.smoke_box;
    jpeg = camera->second.smoke_jpeg;
  }
  if (decision.kind == FireDecision::Kind::start) {
    alert.phase = Phase::start;
    alert.confidence = decision.confidence;
    // Both cues' own alerts are named, so central can show both evidences.
    alert.summary = fmt::format("Fire: smoke seen by camera {} and sensor {} ({:.2f} {}) within {:.0f} s; cues {} + {}",
                                decision.camera_id, decision.sensor_id, alert.value.value_or(0), sensor.settings.unit,
                                static_cast<double>(std::abs(decision.sensor.started_ms - decision.camera.started_ms)) / 1000.0,
                                decision.camera.alert_id, decision.sensor.alert_id)
                        .substr(0, 256);
    spdlog::warn("FIRE: camera {} and sensor {} agree (confidence {:.2f})", decision.camera_id, decision.sensor_id,
                 decision.confidence);
  } else {
    alert.phase = Phase::end;
    alert.confidence = fused_confidence(decision.sensor.confidence, decision.camera.confidence);
    alert.episode_id = fire.episode;
    alert.summary = fmt::format("Fire at camera {} / sensor {}: both cues ended", decision.camera_id, decision.sensor_id);
    jpeg.reset();
    spdlog::info("fire at camera {} / sensor {}: both cues ended", decision.camera_id, decision.sensor_id);
  }
  const auto alert_id = raise(std::move(alert), jpeg);
  fire.episode = decision.kind == FireDecision::Kind::start ? alert_id : std::string();
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
  const bool smoke = camera_alert.kind == AlertKind::smoke;
  if (smoke && camera_alert.jpeg) camera.smoke_jpeg = camera_alert.jpeg;
  if (smoke && camera_alert.box) camera.smoke_box = camera_alert.box;
  const auto alert_id = raise(std::move(alert), camera_alert.jpeg);
  std::optional<FireDecision> fire;
  if (smoke && camera_alert.phase == Phase::start) {
    fire = fusion_.camera_smoke_started(camera_id, alert_id, at_ms, camera_alert.confidence);
  } else if (smoke && camera_alert.phase == Phase::end) {
    fire = fusion_.camera_smoke_ended(camera_id, at_ms);
  }
  if (fire) raise_fire(*fire);
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
  telemetry.config_version = config_.config_version;
  for (auto priority : kAllPriorities) {
    const auto p = static_cast<std::size_t>(priority);
    telemetry.outbox.depth[std::string(to_string(priority))] = stats.depth[p];
    telemetry.outbox.dropped[std::string(to_string(priority))] = stats.dropped[p];
  }
  telemetry.outbox.oldest_undelivered_age_s = stats.oldest_created_ms ? (now - *stats.oldest_created_ms) / 1000 : 0;
  telemetry.outbox.stored_bytes = stats.bytes;
  telemetry.outbox.awaiting_receipt = stats.awaiting_receipt_rows;
  telemetry.outbox.quarantined_databases = stats.quarantined;
  telemetry.outbox.store_errors = stats.store_errors;
  for (const auto& [id, sensor] : sensors_) telemetry.sensors.push_back({id, sensor.health, sensor.detail});
  for (const auto& [id, camera] : cameras_) telemetry.cameras.push_back({id, camera.health, camera.detail});
  outbox_.append(Priority::telemetry, make_topic(config_.gateway.id, Channel::telemetry), encode(telemetry), now);
  const auto& counters = uplink_->counters();
  spdlog::info("heartbeat: outbox {} row(s) ({} awaiting a receipt), oldest {} s; uplink {} published, {} delivered, "
               "{} retried, {} receipted, {} receipt timeouts; broker {}",
               stats.rows, stats.awaiting_receipt_rows, telemetry.outbox.oldest_undelivered_age_s, counters.published,
               counters.delivered, counters.failed, counters.receipted, counters.receipt_timeouts,
               client_->connected() ? "connected" : "DISCONNECTED");
  uplink_->pump();
}

}  // namespace gridwatch::edge
