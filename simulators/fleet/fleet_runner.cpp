#include "simulators/fleet/fleet_runner.hpp"

#include <mosquitto.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "common/topics.hpp"
#include "common/wire.hpp"
#include "simulators/mosquitto_handle.hpp"

namespace gridwatch::sim {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

std::int64_t micros(Clock::duration duration) {
  return std::chrono::duration_cast<std::chrono::microseconds>(duration).count();
}

double seconds(Clock::duration duration) { return std::chrono::duration<double>(duration).count(); }

double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

class FleetRunner {
 public:
  FleetRunner(const FleetSpec& spec, const FleetPlan& plan, const FleetRunSettings& settings)
      : spec_(spec), plan_(plan), settings_(settings), signals_(io_, SIGINT, SIGTERM), tick_(io_), alert_timer_(io_) {
    report_.scenario = spec.name;
    report_.mode = to_string(spec.mode);
    report_.gateways = spec.gateways;
    report_.alerts_planned = plan.alerts.size();
    report_.verified = settings.verify;
  }

  FleetReport run() {
    signals_.async_wait([this](const boost::system::error_code& error, int) {
      if (error) return;
      spdlog::warn("fleet: interrupted; finishing with what ran");
      interrupted_ = true;
    });
    if (settings_.verify) start_subscriber();
    for (std::uint32_t i = 0; i < plan_.gateways.size(); ++i) gateways_.push_back(make_client(i));
    phase_started_ = Clock::now();
    schedule_tick();
    io_.run();
    report_.max_rss_mib = peak_rss_mib();
    return std::move(report_);
  }

 private:
  static constexpr std::uint32_t kSubscriber = UINT32_MAX;

  struct Client {
    FleetRunner* runner = nullptr;
    std::uint32_t index = 0;
    MosquittoHandle handle;
    std::unique_ptr<asio::posix::stream_descriptor> socket;
    std::uint64_t generation = 0;  ///< bumps whenever the socket is forgotten: stale waits ignore themselves
    bool reading = false;
    bool writing = false;
    bool connected = false;
    bool ever_connected = false;
    bool connecting = false;
    bool reconnect_pending = false;
    Clock::time_point connect_started;
    double next_heartbeat_s = 0;
    /// QoS 1 messages awaiting their PUBACK: mid -> publish time, and
    /// whether it is an alert (status messages are waited for, not measured).
    struct Pending {
      Clock::time_point at;
      bool alert = false;
    };
    std::unordered_map<int, Pending> inflight;
  };

  enum class Phase { ramp, load, drain, ending, done };

  std::unique_ptr<Client> make_client(std::uint32_t index) {
    auto client = std::make_unique<Client>();
    client->runner = this;
    client->index = index;
    const std::string id =
        index == kSubscriber ? "fleet-verify-" + plan_.run_id : plan_.gateways[index].id;
    client->handle = new_externally_driven_client(id, client.get());
    if (!client->handle) throw std::runtime_error("mosquitto_new failed for " + id);
    mosquitto_connect_callback_set(client->handle.get(), &FleetRunner::on_connect);
    mosquitto_disconnect_callback_set(client->handle.get(), &FleetRunner::on_disconnect);
    mosquitto_publish_callback_set(client->handle.get(), &FleetRunner::on_publish);
    if (index != kSubscriber) {
      client->next_heartbeat_s = plan_.gateways[index].heartbeat_phase_s;
      Status offline;
      offline.gateway_id = id;
      offline.state = PresenceState::offline;
      offline.boot_id = plan_.run_id;
      offline.version = "fleet-sim";
      const auto payload = encode(offline);
      const auto topic = make_topic(id, Channel::status);
      mosquitto_will_set(client->handle.get(), topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1,
                         true);
    } else {
      mosquitto_message_callback_set(client->handle.get(), &FleetRunner::on_message);
    }
    return client;
  }

  // --- sockets -------------------------------------------------------------

  void watch(Client& client) {
    const int fd = mosquitto_socket(client.handle.get());
    if (fd < 0) return;
    if (!client.socket) {
      client.socket = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
      client.reading = client.writing = false;
    }
    const auto generation = client.generation;
    if (!client.reading) {
      client.reading = true;
      client.socket->async_wait(asio::posix::stream_descriptor::wait_read,
                                [this, &client, generation](const boost::system::error_code& error) {
                                  if (generation != client.generation) return;
                                  client.reading = false;
                                  if (error) return;
                                  after_io(client, read_all(client));
                                });
    }
    if (!client.writing && mosquitto_want_write(client.handle.get())) {
      client.writing = true;
      client.socket->async_wait(asio::posix::stream_descriptor::wait_write,
                                [this, &client, generation](const boost::system::error_code& error) {
                                  if (generation != client.generation) return;
                                  client.writing = false;
                                  if (error) return;
                                  after_io(client, mosquitto_loop_write(client.handle.get(), 1));
                                });
    }
  }

  // Reads until the socket has nothing left: the reactor reports a socket
  // again only when new data arrives, so nothing may stay unread.
  static int read_all(Client& client) {
    int rc = MOSQ_ERR_SUCCESS;
    for (int round = 0; round < 256 && rc == MOSQ_ERR_SUCCESS; ++round) {
      rc = mosquitto_loop_read(client.handle.get(), 1);
      const int fd = mosquitto_socket(client.handle.get());
      int available = 0;
      if (fd < 0 || ::ioctl(fd, FIONREAD, &available) != 0 || available == 0) break;
    }
    return rc;
  }

  void after_io(Client& client, int rc) {
    if (rc == MOSQ_ERR_SUCCESS) {
      watch(client);
      return;
    }
    // The connection broke (or never came up). libmosquitto keeps the
    // socket open until we reconnect; stop watching it first.
    if (client.connected) ++report_.disconnects;
    if (client.connecting && !client.ever_connected) ++report_.connect_failures;
    client.connected = client.connecting = false;
    forget_socket(client);
    schedule_reconnect(client);
  }

  void forget_socket(Client& client) {
    ++client.generation;
    if (client.socket) {
      client.socket->release();  // the fd belongs to libmosquitto
      client.socket.reset();
    }
    client.reading = client.writing = false;
  }

  void schedule_reconnect(Client& client) {
    if (client.reconnect_pending || phase_ >= Phase::ending || interrupted_) return;
    client.reconnect_pending = true;
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(1));
    timer->async_wait([this, &client, timer](const boost::system::error_code&) {
      client.reconnect_pending = false;
      if (phase_ >= Phase::ending || interrupted_) return;
      ++report_.reconnects;
      client.connecting = true;
      client.connect_started = Clock::now();
      after_io(client, mosquitto_reconnect_async(client.handle.get()));
    });
  }

  void connect(Client& client) {
    client.connecting = true;
    client.connect_started = Clock::now();
    const int rc = mosquitto_connect_async(client.handle.get(), settings_.host.c_str(), settings_.port,
                                           settings_.keepalive_s);
    if (rc != MOSQ_ERR_SUCCESS) {
      ++report_.connect_failures;
      client.connecting = false;
      spdlog::debug("fleet: connect failed: {}", mosquitto_strerror(rc));
      return;
    }
    watch(client);
  }

  // --- libmosquitto callbacks (run inside loop_read/loop_write, on the io_context) ---

  static void on_connect(mosquitto*, void* object, int rc) {
    auto& client = *static_cast<Client*>(object);
    client.runner->connected(client, rc);
  }
  static void on_disconnect(mosquitto*, void* object, int) {
    auto& client = *static_cast<Client*>(object);
    if (client.connected && client.runner->phase_ < Phase::ending) ++client.runner->report_.disconnects;
    client.connected = false;
    // libmosquitto closed the socket (keepalive timeout, our DISCONNECT):
    // drop the descriptor before the fd number can be reused.
    client.runner->forget_socket(client);
    client.runner->schedule_reconnect(client);
  }
  static void on_publish(mosquitto*, void* object, int mid) {
    auto& client = *static_cast<Client*>(object);
    auto& runner = *client.runner;
    const auto found = client.inflight.find(mid);
    if (found == client.inflight.end()) return;  // telemetry (QoS 0) or the birth status
    if (found->second.alert) {
      runner.report_.ack_latency.add(micros(Clock::now() - found->second.at));
      ++runner.report_.alerts_acked;
    }
    client.inflight.erase(found);
  }
  static void on_message(mosquitto*, void* object, const mosquitto_message* message) {
    static_cast<Client*>(object)->runner->delivered(message);
  }

  void connected(Client& client, int rc) {
    client.connecting = false;
    if (rc != 0) {
      spdlog::debug("fleet: CONNACK refused ({})", mosquitto_connack_string(rc));
      if (!client.ever_connected) ++report_.connect_failures;
      return;
    }
    client.connected = true;
    if (!client.ever_connected) {
      client.ever_connected = true;
      report_.connect_latency.add(micros(Clock::now() - client.connect_started));
      last_connack_ = Clock::now();
      if (client.index != kSubscriber) ++report_.connected;
    }
    if (client.index == kSubscriber) {
      const auto filter = all_gateways_filter(Channel::alert);
      mosquitto_subscribe(client.handle.get(), nullptr, filter.c_str(), 1);
      return;
    }
    Status online;
    online.gateway_id = plan_.gateways[client.index].id;
    online.state = PresenceState::online;
    online.boot_id = plan_.run_id;
    online.ts_ms = wall_clock_ms();
    online.version = "fleet-sim";
    publish(client, Channel::status, encode(online), nullptr);
    ++report_.status_sent;
  }

  void delivered(const mosquitto_message* message) {
    const std::string_view payload(static_cast<const char*>(message->payload),
                                   static_cast<std::size_t>(message->payloadlen));
    const auto body = nlohmann::json::parse(payload, nullptr, false);
    const auto id = body.is_object() && body.contains("alert_id") && body["alert_id"].is_string()
                        ? body["alert_id"].get<std::string>()
                        : std::string();
    const auto found = sent_at_.find(id);
    if (found == sent_at_.end()) {
      ++report_.delivered_unknown;
      return;
    }
    if (found->second.delivered) {
      ++report_.delivered_duplicates;
      return;
    }
    found->second.delivered = true;
    ++report_.delivered_unique;
    report_.delivery_latency.add(micros(Clock::now() - found->second.at));
  }

  // --- publishing ----------------------------------------------------------

  /// Publishes with the channel's QoS and retain flag; `mid_out` receives
  /// the message id. False when the client refused (not connected).
  bool publish(Client& client, Channel channel, const std::string& payload, int* mid_out) {
    const auto policy = policy_for(channel);
    const auto topic = make_topic(plan_.gateways[client.index].id, channel);
    const int rc = mosquitto_publish(client.handle.get(), mid_out, topic.c_str(), static_cast<int>(payload.size()),
                                     payload.data(), policy.qos, policy.retain);
    if (rc != MOSQ_ERR_SUCCESS) {
      ++report_.publish_errors;
      return false;
    }
    watch(client);
    return true;
  }

  void send_due_alerts() {
    const double now_s = seconds(Clock::now() - phase_started_);
    while (next_alert_ < plan_.alerts.size() && plan_.alerts[next_alert_].at_s <= now_s) {
      const auto& planned = plan_.alerts[next_alert_++];
      auto& client = *gateways_[planned.gateway];
      if (!client.connected) {
        ++report_.alerts_skipped_offline;
        continue;
      }
      const auto alert = plan_.make_alert(planned, wall_clock_ms());
      const auto now = Clock::now();
      if (settings_.verify) sent_at_[alert.alert_id] = {now, false};
      int mid = 0;
      if (publish(client, Channel::alert, encode(alert), &mid)) {
        client.inflight[mid] = {now, true};
        ++report_.alerts_sent;
      }
    }
    if (next_alert_ < plan_.alerts.size() && phase_ == Phase::load) {
      const double wait_s = std::min(1.0, plan_.alerts[next_alert_].at_s - now_s);
      alert_timer_.expires_after(std::chrono::microseconds(static_cast<std::int64_t>(std::max(0.0, wait_s) * 1e6)));
      alert_timer_.async_wait([this](const boost::system::error_code& error) {
        if (!error && phase_ == Phase::load && !interrupted_) send_due_alerts();
      });
    }
  }

  void send_heartbeats(double now_s) {
    if (spec_.heartbeat_s <= 0) return;
    for (auto& client : gateways_) {
      if (!client->connected || client->next_heartbeat_s > now_s) continue;
      client->next_heartbeat_s += spec_.heartbeat_s;
      Telemetry telemetry;
      telemetry.gateway_id = plan_.gateways[client->index].id;
      telemetry.boot_id = plan_.run_id;
      telemetry.ts_ms = wall_clock_ms();
      telemetry.uptime_s = static_cast<std::int64_t>(now_s);
      if (publish(*client, Channel::telemetry, encode(telemetry), nullptr)) ++report_.heartbeats_sent;
    }
  }

  // --- phases ----------------------------------------------------------------

  void start_subscriber() {
    subscriber_ = make_client(kSubscriber);
    connect(*subscriber_);
    if (!subscriber_->connecting) throw std::runtime_error("cannot reach the broker for the verifying subscriber");
  }

  void schedule_tick() {
    tick_.expires_after(std::chrono::milliseconds(10));
    tick_.async_wait([this](const boost::system::error_code& error) {
      if (error) return;
      on_tick();
      if (phase_ != Phase::done) schedule_tick();
    });
  }

  // Every 10 ms: ramp connections, then run the phases; once a second,
  // keepalives (loop_misc) and heartbeats.
  void on_tick() {
    const auto now = Clock::now();
    const double in_phase = seconds(now - phase_started_);
    if (now - last_misc_ >= std::chrono::seconds(1)) {
      last_misc_ = now;
      for (auto& client : gateways_) misc(*client);
      if (subscriber_) misc(*subscriber_);
      if (phase_ == Phase::load) send_heartbeats(in_phase);
      log_progress();
    }
    if (interrupted_ && phase_ < Phase::ending) begin_end();
    switch (phase_) {
      case Phase::ramp: ramp(in_phase); break;
      case Phase::load:
        if (in_phase >= spec_.duration_s) {
          report_.load_s = in_phase;
          enter(Phase::drain);
        }
        break;
      case Phase::drain:
        if (drained() || in_phase >= settings_.drain_s) begin_end();
        break;
      case Phase::ending:
        if (unacked() == 0 || in_phase >= 10) finish();
        break;
      case Phase::done: break;
    }
  }

  void misc(Client& client) {
    if (!client.socket) return;
    const int rc = mosquitto_loop_misc(client.handle.get());
    if (rc == MOSQ_ERR_SUCCESS) {
      watch(client);
    } else if (client.socket) {
      after_io(client, rc);
    }
  }

  void ramp(double in_phase) {
    const bool subscriber_ready = !subscriber_ || subscriber_->connected;
    if (subscriber_ready) {
      if (ramp_started_ < 0) ramp_started_ = in_phase;
      const auto due = static_cast<std::size_t>((in_phase - ramp_started_) * spec_.connect_rate_per_s) + 1;
      while (next_connect_ < gateways_.size() && next_connect_ < due) connect(*gateways_[next_connect_++]);
    }
    const bool all_tried = next_connect_ == gateways_.size();
    const int settled = report_.connected + report_.connect_failures;
    const double timeout_s = 30 + 2.0 * spec_.gateways / spec_.connect_rate_per_s;
    if ((all_tried && settled >= spec_.gateways) || in_phase > timeout_s) {
      report_.connect_ramp_s = report_.connected > 0 ? seconds(last_connack_ - phase_started_) - ramp_started_ : 0;
      spdlog::info("fleet: {} of {} gateways connected in {:.1f} s; load phase of {} s starts", report_.connected,
                   spec_.gateways, report_.connect_ramp_s, spec_.duration_s);
      enter(Phase::load);
      send_due_alerts();
    }
  }

  std::size_t unacked() const {
    std::size_t count = 0;
    for (const auto& client : gateways_) count += client->inflight.size();
    return count;
  }

  bool drained() const {
    if (unacked() > 0) return false;
    return !settings_.verify || report_.delivered_unique >= report_.alerts_acked;
  }

  void begin_end() {
    if (report_.load_s == 0) report_.load_s = seconds(Clock::now() - phase_started_);
    enter(Phase::ending);
    alert_timer_.cancel();
    if (settings_.end == FleetEnd::abrupt) {
      finish();
      return;
    }
    for (auto& client : gateways_) {
      if (!client->connected) continue;
      Status offline;
      offline.gateway_id = plan_.gateways[client->index].id;
      offline.state = PresenceState::offline;
      offline.boot_id = plan_.run_id;
      offline.ts_ms = wall_clock_ms();
      offline.version = "fleet-sim";
      int mid = 0;
      if (publish(*client, Channel::status, encode(offline), &mid)) {
        client->inflight[mid] = {Clock::now(), false};  // wait for its PUBACK before DISCONNECT
        ++report_.status_sent;
      }
    }
  }

  void finish() {
    enter(Phase::done);
    for (auto& client : gateways_) {
      if (settings_.end == FleetEnd::clean && client->connected) {
        mosquitto_disconnect(client->handle.get());  // writes DISCONNECT and closes (via on_disconnect)
      }
      forget_socket(*client);
    }
    if (subscriber_) {
      mosquitto_disconnect(subscriber_->handle.get());
      forget_socket(*subscriber_);
    }
    signals_.cancel();
    tick_.cancel();
    alert_timer_.cancel();
    // Abrupt end: destroying the clients closes their sockets without a
    // DISCONNECT, and the broker publishes every Last Will.
  }

  void enter(Phase phase) {
    phase_ = phase;
    phase_started_ = Clock::now();
  }

  void log_progress() {
    if (++seconds_logged_ % 10 != 0) return;
    spdlog::info("fleet: {} connected, alerts sent {}, acked {}, delivered {}, heartbeats {}", report_.connected,
                 report_.alerts_sent, report_.alerts_acked, report_.delivered_unique, report_.heartbeats_sent);
  }

  struct SentAlert {
    Clock::time_point at;
    bool delivered = false;
  };

  const FleetSpec& spec_;
  const FleetPlan& plan_;
  const FleetRunSettings& settings_;
  MosquittoLibrary library_;
  asio::io_context io_;
  asio::signal_set signals_;
  asio::steady_timer tick_;
  asio::steady_timer alert_timer_;
  std::vector<std::unique_ptr<Client>> gateways_;
  std::unique_ptr<Client> subscriber_;
  std::unordered_map<std::string, SentAlert> sent_at_;
  FleetReport report_;
  Phase phase_ = Phase::ramp;
  Clock::time_point phase_started_;
  Clock::time_point last_misc_;
  Clock::time_point last_connack_;
  double ramp_started_ = -1;
  std::size_t next_connect_ = 0;
  std::size_t next_alert_ = 0;
  std::uint64_t seconds_logged_ = 0;
  bool interrupted_ = false;
};

}  // namespace

FleetReport run_fleet(const FleetSpec& spec, const FleetPlan& plan, const FleetRunSettings& settings) {
  FleetRunner runner(spec, plan, settings);
  return runner.run();
}

}  // namespace gridwatch::sim
