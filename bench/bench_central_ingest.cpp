// Central ingest: a fleet of virtual gateways (`gridwatch-sim fleet`)
// publishes alerts through a private Mosquitto into a real
// `gridwatch-central` process; the real `mosquitto_sub` (QoS 1, the same
// topic filter) counts the same alert stream in the same run as the
// baseline.
//
// What is measured, and where each figure comes from:
//   - raw receive rate: mosquitto_sub stamps every message (-F %U); the
//     rate is messages / (last stamp - first stamp);
//   - central's durable rate: a read-only SQLite connection polls central's
//     store every --poll-ms for newly committed alert rows (each row is
//     written in the same transaction as its incident, so a visible row is
//     a committed dispatch event); rate = rows / (last seen - first seen);
//   - latency: the gateway's detection stamp (detected_at_ms, wall clock,
//     set when the simulated gateway publishes) to the poll that first saw
//     the row committed. It is an upper bound: up to one poll interval
//     late, and up to 1 ms more because detected_at_ms is truncated to
//     whole milliseconds. Central's own `received_ms` splits it into
//     detection -> handler and handler -> commit; the auto-dispatch
//     event ("dispatch" by `auto` on the incident's timeline) is polled too;
//   - central's peak RSS: VmHWM of its /proc/<pid>/status just before it
//     is stopped, and its CPU time from /proc/<pid>/stat.
// Benchmarks report figures; they never assert them.
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/bench_support.hpp"
#include "common/sqlite/sqlite.hpp"
#include "common/topics.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/test_env.hpp"

namespace gridwatch::bench {
namespace {

using namespace std::chrono_literals;
using test::ChildProcess;

constexpr double kGoalRatio = 0.7;
constexpr double kGoalP99Ms = 100;
constexpr double kGoalRateForLatency = 1000;

double wall_ms_now() {
  return std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Each virtual gateway is one socket in the simulator and one in the
// broker; children inherit the raised limit.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

/// A field of /proc/<pid>/status in KiB; 0 if absent.
std::int64_t child_status_kib(pid_t pid, const std::string& field) {
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1));
  }
  return 0;
}

/// User + system CPU seconds of a running process (/proc/<pid>/stat fields 14 and 15).
double child_cpu_s(pid_t pid) {
  std::ifstream stat_file(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  const auto after_name = text.rfind(')');
  if (after_name == std::string::npos) return 0;
  std::istringstream fields(text.substr(after_name + 2));
  std::string field;
  double ticks = 0;
  for (int index = 3; fields >> field; ++index) {
    if (index == 14 || index == 15) ticks += std::stod(field);
    if (index == 15) break;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// The main (io_context) thread's time on a CPU and waiting for one, in
/// seconds (/proc/<pid>/schedstat: run ns, run-queue wait ns, slices).
struct SchedTimes {
  double on_cpu_s = 0;
  double waiting_s = 0;
};
SchedTimes main_thread_sched(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/schedstat", pid));
  double on_cpu_ns = 0;
  double waiting_ns = 0;
  in >> on_cpu_ns >> waiting_ns;
  return {on_cpu_ns / 1e9, waiting_ns / 1e9};
}

// Grid cells covering the simulator's square of gateways (about 300 m
// apart around 30.66 N 104.06 E, docs/simulators.md): one county, four
// towns and an 8 x 8 grid of grid cells, each routing every kind, so
// every incident is located, routed and (for smoke and parking)
// auto-dispatched as in production.
std::string grid_cells_geojson(int gateways) {
  const double side = std::ceil(std::sqrt(static_cast<double>(gateways)));
  const double half_lat = (side / 2 + 1) * 0.0027;
  const double half_lon = (side / 2 + 1) * 0.0031;
  const double lat0 = 30.66 - half_lat;
  const double lon0 = 104.06 - half_lon;
  nlohmann::json features = nlohmann::json::array();
  auto cell = [&](const std::string& id, const std::string& level, const std::string& parent, double lat_a,
                  double lon_a, double lat_b, double lon_b) {
    nlohmann::json properties{{"id", id},
                              {"level", level},
                              {"routes",
                               {{"default", {{"department", "grid"}, {"unit", id + "-duty"}}},
                                {"smoke", {{"department", "fire"}, {"unit", id + "-fire"}}},
                                {"parking", {{"department", "traffic"}, {"unit", id + "-traffic"}}}}}};
    if (!parent.empty()) properties["parent"] = parent;
    const nlohmann::json ring = {{lon_a, lat_a}, {lon_b, lat_a}, {lon_b, lat_b}, {lon_a, lat_b}, {lon_a, lat_a}};
    features.push_back({{"type", "Feature"},
                        {"properties", properties},
                        {"geometry", {{"type", "Polygon"}, {"coordinates", {ring}}}}});
  };
  cell("county", "county", "", lat0, lon0, lat0 + 2 * half_lat, lon0 + 2 * half_lon);
  for (int town = 0; town < 4; ++town) {
    const double lat_a = lat0 + (town / 2) * half_lat;
    const double lon_a = lon0 + (town % 2) * half_lon;
    cell(fmt::format("town-{}", town), "town", "county", lat_a, lon_a, lat_a + half_lat, lon_a + half_lon);
  }
  constexpr int kGridSide = 8;
  for (int row = 0; row < kGridSide; ++row) {
    for (int column = 0; column < kGridSide; ++column) {
      const double lat_a = lat0 + row * 2 * half_lat / kGridSide;
      const double lon_a = lon0 + column * 2 * half_lon / kGridSide;
      const int town = (row * 2 / kGridSide) * 2 + column * 2 / kGridSide;
      cell(fmt::format("grid-{}-{}", row, column), "grid", fmt::format("town-{}", town), lat_a, lon_a,
           lat_a + 2 * half_lat / kGridSide, lon_a + 2 * half_lon / kGridSide);
    }
  }
  return nlohmann::json{{"type", "FeatureCollection"}, {"features", features}}.dump(1);
}

// The registry of the deployment (fleet.gateways_file): the simulator's
// gateway ids, "fleet-00001" ... as simulators/fleet/fleet_plan.cpp names
// them, so central checks every message against 10,000 registered ids.
std::string registered_gateways_yaml(int gateways) {
  const int digits = std::max(5, static_cast<int>(std::to_string(gateways).size()));
  std::string yaml = "gateways:\n";
  for (int index = 1; index <= gateways; ++index) yaml += fmt::format("  - id: fleet-{:0{}}\n", index, digits);
  return yaml;
}

std::string central_config(int broker_port, const std::string& db_path, const std::string& cells_path,
                           const std::string& gateways_path, const std::string& log_level) {
  return fmt::format(
      "instance_id: bench-central\n"
      "log_level: {}\n"
      "stats_log_interval_s: 10\n"
      "mqtt:\n"
      "  broker: tcp://127.0.0.1:{}\n"
      "store:\n"
      "  backend: sqlite\n"
      "  sqlite_path: {}\n"
      "http:\n"
      "  enabled: false\n"
      // Presence as in production for 30 s heartbeats, but no maintenance
      // incidents: the fleet goes offline at the end of each run.
      "fleet:\n"
      "  heartbeat_timeout_s: 90\n"
      "  maintenance_after_s: 86400\n"
      "  gateways_file: {}\n"
      "dispatch:\n"
      "  cells_file: {}\n",
      log_level, broker_port, db_path, gateways_path, cells_path);
}

/// Polls central's store for committed alerts and auto-dispatch events.
class CommitWatcher {
 public:
  CommitWatcher(std::string db_path, std::chrono::milliseconds interval)
      : db_path_(std::move(db_path)), interval_(interval), thread_([this] { run(); }) {}
  ~CommitWatcher() { stop(); }

  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }

  struct Snapshot {
    std::uint64_t alerts = 0;
    std::uint64_t dispatches = 0;
    double first_ms = 0;  ///< wall clock of the first and last polls that saw new alerts
    double last_ms = 0;
    std::vector<double> detect_to_commit_ms;
    std::vector<double> detect_to_received_ms;
    std::vector<double> received_to_commit_ms;
    std::vector<double> detect_to_dispatch_ms;
    std::uint64_t polls = 0;
    std::string error;
  };

  std::uint64_t alerts() const { return alerts_seen_; }

  Snapshot snapshot() {
    std::lock_guard lock(mutex_);
    return data_;
  }

 private:
  void run() {
    try {
      while (!stopping_ && !test::wait_until([&] { return access(db_path_.c_str(), F_OK) == 0; }, 100ms)) {
      }
      if (stopping_) return;
      sqlite::Database db(db_path_, sqlite::Database::Mode::read_only);
      db.exec("PRAGMA busy_timeout=1000");
      std::int64_t last_alert = 0;
      std::int64_t last_event = 0;
      while (!stopping_) {
        poll(db, last_alert, last_event);
        std::this_thread::sleep_for(interval_);
      }
      poll(db, last_alert, last_event);
    } catch (const std::exception& error) {
      std::lock_guard lock(mutex_);
      data_.error = error.what();
    }
  }

  void poll(sqlite::Database& db, std::int64_t& last_alert, std::int64_t& last_event) {
    std::optional<sqlite::Statement> alerts;
    std::optional<sqlite::Statement> events;
    try {
      alerts.emplace(db.prepare("SELECT rowid, detected_at_ms, received_ms FROM alerts WHERE rowid > ? ORDER BY rowid"));
      events.emplace(db.prepare(
          "SELECT e.id, i.detected_at_ms FROM incident_events e JOIN incidents i ON i.id = e.incident_id "
          "WHERE e.id > ? AND e.action = 'dispatch' AND e.actor = 'auto' ORDER BY e.id"));
    } catch (const sqlite::SqliteError& error) {
      // The schema appears with central's first migration; until then there is nothing to see.
      if (std::string(error.what()).find("no such table") != std::string::npos) return;
      throw;
    }
    alerts->bind(1, last_alert);
    events->bind(1, last_event);
    // One read transaction for both queries. The stamp is taken once the
    // snapshot exists (after the first step), so every row it shows was
    // committed at or before the stamp: the latency is never understated.
    db.exec("BEGIN");
    bool has_row = alerts->step();
    const double seen_ms = wall_ms_now();
    std::lock_guard lock(mutex_);
    const auto before = data_.alerts;
    for (; has_row; has_row = alerts->step()) {
      last_alert = alerts->column_int64(0);
      const auto detected = static_cast<double>(alerts->column_int64(1));
      const auto received = static_cast<double>(alerts->column_int64(2));
      data_.detect_to_commit_ms.push_back(seen_ms - detected);
      data_.detect_to_received_ms.push_back(received - detected);
      data_.received_to_commit_ms.push_back(seen_ms - received);
      ++data_.alerts;
    }
    while (events->step()) {
      last_event = events->column_int64(0);
      data_.detect_to_dispatch_ms.push_back(seen_ms - static_cast<double>(events->column_int64(1)));
      ++data_.dispatches;
    }
    db.exec("COMMIT");
    if (data_.alerts > before) {
      if (before == 0) data_.first_ms = seen_ms;
      data_.last_ms = seen_ms;
    }
    ++data_.polls;
    alerts_seen_ = data_.alerts;
  }

  std::string db_path_;
  std::chrono::milliseconds interval_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> alerts_seen_{0};
  std::mutex mutex_;
  Snapshot data_;
  std::thread thread_;
};

struct RawCount {
  std::uint64_t messages = 0;
  double first_s = 0;
  double last_s = 0;
  std::vector<double> detect_to_receive_ms;  ///< the same latency, seen by mosquitto_sub
};

// mosquitto_sub -F "%U %p" prints one "seconds.nanoseconds payload" line
// per message; the payload's detected_at_ms gives the baseline latency.
RawCount count_raw(const std::string& path, bool with_latency) {
  RawCount count;
  std::ifstream in(path);
  std::string line;
  static constexpr std::string_view kDetected = "\"detected_at_ms\":";
  while (std::getline(in, line)) {
    char* end = nullptr;
    const double stamp = std::strtod(line.c_str(), &end);
    if (end == line.c_str() || stamp < 1e9) continue;  // an error line, not a stamp
    if (count.messages == 0) count.first_s = stamp;
    count.last_s = stamp;
    ++count.messages;
    if (!with_latency) continue;
    const auto at = line.find(kDetected);
    if (at != std::string::npos) {
      const double detected_ms = std::strtod(line.c_str() + at + kDetected.size(), nullptr);
      count.detect_to_receive_ms.push_back(stamp * 1000.0 - detected_ms);
    }
  }
  return count;
}

/// Counts the lines of a growing file, reading only what was added since
/// the last call (the raw log grows by about 1 MB per 1,000 alerts).
class LineCounter {
 public:
  explicit LineCounter(std::string path) : path_(std::move(path)) {}
  std::uint64_t count() {
    std::ifstream in(path_, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset_));
    char buffer[65536];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
      const auto got = static_cast<std::size_t>(in.gcount());
      lines_ += static_cast<std::uint64_t>(std::count(buffer, buffer + got, '\n'));
      offset_ += got;
    }
    return lines_;
  }

 private:
  std::string path_;
  std::uint64_t offset_ = 0;
  std::uint64_t lines_ = 0;
};

double rate(std::uint64_t count, double span_s) { return count > 1 && span_s > 0 ? static_cast<double>(count - 1) / span_s : 0; }

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
  std::size_t n = 0;
};

Percentiles percentiles(std::vector<double> sample) {
  Percentiles out;
  out.n = sample.size();
  if (sample.empty()) return out;
  out.p50 = percentile(sample, 50);
  out.p90 = percentile(sample, 90);
  out.p99 = percentile(sample, 99);
  out.max = sample.back();
  return out;
}

std::string format_latency(const Percentiles& p) {
  return fmt::format("{:>8.1f} {:>8.1f} {:>8.1f} {:>9.1f} {:>8}", p.p50, p.p90, p.p99, p.max, p.n);
}

int run(const Args& args) {
  raise_descriptor_limit();
  const int gateways = static_cast<int>(args.integer("gateways"));
  const double alerts_per_s = static_cast<double>(args.integer("rate"));
  const auto duration_s = args.integer("duration-s");
  const auto poll_ms = args.integer("poll-ms");
  const auto settle_s = args.integer("settle-s");
  const auto machine = machine_summary();
  const auto load_before = load_average();

  test::TempDir temp;
  const std::string dir = args.text("dir").empty() ? temp.path() : args.text("dir");
  std::filesystem::create_directories(dir);
  const auto file = [&](const std::string& name) { return dir + "/" + name; };
  // A reused --dir starts clean: the logs are appended to, the store would be reused.
  for (const char* stale : {"central.db", "central.db-wal", "central.db-shm", "central.log", "raw.log",
                            "fleet-report.json"}) {
    std::filesystem::remove(file(stale));
  }

  // 10,000 clients: no connection cap; the per-client queue stays far
  // above what a run produces (the fixture's default).
  test::MosquittoBroker broker("max_connections -1\n");
  test::write_file(file("cells.geojson"), grid_cells_geojson(gateways));
  test::write_file(file("gateways.yaml"), registered_gateways_yaml(gateways));
  test::write_file(file("central.yaml"), central_config(broker.port(), file("central.db"), file("cells.geojson"),
                                                        file("gateways.yaml"), args.text("central-log-level")));
  ChildProcess central({test::binary_path("gridwatch-central"), "-c", file("central.yaml")}, file("central.log"));
  CommitWatcher watcher(file("central.db"), std::chrono::milliseconds(poll_ms));
  const bool central_logs_connect = args.text("central-log-level") == "info" || args.text("central-log-level") == "debug";
  if (central_logs_connect) {
    if (!test::wait_until([&] { return central.log().find("mqtt: connected") != std::string::npos || !central.running(); },
                          30s) ||
        !central.running()) {
      throw std::runtime_error("central did not connect; its log:\n" + central.log());
    }
  }
  std::this_thread::sleep_for(central_logs_connect ? 500ms : 3s);  // its subscriptions follow the CONNACK

  ChildProcess raw({"stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(broker.port()), "-q",
                    "1", "-i", "bench-raw-sub", "-t", all_gateways_filter(Channel::alert), "-F", "%U %p"},
                   file("raw.log"));
  std::this_thread::sleep_for(500ms);
  if (!raw.running()) throw std::runtime_error("mosquitto_sub exited: " + raw.log());

  // Alerts per gateway per hour for the requested total rate.
  const double per_gateway_h = alerts_per_s * 3600.0 / gateways;
  const std::vector<std::string> fleet_command{test::binary_path("gridwatch-sim"),
                                               "fleet",
                                               "--gateways",
                                               std::to_string(gateways),
                                               "--duration-s",
                                               std::to_string(duration_s),
                                               "--rate-per-gateway-h",
                                               fmt::format("{:.3f}", per_gateway_h),
                                               "--heartbeat-s",
                                               args.text("heartbeat-s"),
                                               "--connect-rate",
                                               args.text("connect-rate"),
                                               "--seed",
                                               args.text("seed"),
                                               "--broker-port",
                                               std::to_string(broker.port()),
                                               "--drain-s",
                                               "30",
                                               "--report",
                                               file("fleet-report.json"),
                                               "--log-level",
                                               "warn"};
  const double cpu_before = child_cpu_s(central.pid());
  const auto sched_before = main_thread_sched(central.pid());
  const auto wall_before = std::chrono::steady_clock::now();
  const auto fleet = test::run_command(fleet_command, std::chrono::seconds(duration_s + 600));
  if (fleet.exit_code != 0) {
    throw std::runtime_error(fmt::format("gridwatch-sim fleet exited {}:\n{}", fleet.exit_code, fleet.output));
  }
  const auto report = nlohmann::json::parse(test::read_file(file("fleet-report.json")));
  const auto sent = report.value("alerts_sent", std::uint64_t{0});
  const auto acked = report.value("alerts_acked", std::uint64_t{0});

  // Let both consumers finish the stream: stop once every acknowledged
  // alert arrived at both, or nothing new came for --settle-s.
  LineCounter raw_lines(file("raw.log"));
  auto last_progress = std::chrono::steady_clock::now();
  std::uint64_t last_total = 0;
  while (true) {
    const auto raw_count = raw_lines.count();
    const auto committed = watcher.alerts();
    if (raw_count >= acked && committed >= acked) break;
    if (raw_count + committed != last_total) {
      last_total = raw_count + committed;
      last_progress = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_progress > std::chrono::seconds(settle_s)) {
      break;
    }
    if (!central.running()) throw std::runtime_error("central exited during the run; its log:\n" + central.log());
    std::this_thread::sleep_for(200ms);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(3 * poll_ms));
  watcher.stop();
  const auto central_hwm_kib = child_status_kib(central.pid(), "VmHWM");
  const auto central_rss_kib = child_status_kib(central.pid(), "VmRSS");
  const double central_cpu_s = child_cpu_s(central.pid()) - cpu_before;
  const auto sched_after = main_thread_sched(central.pid());
  const double io_wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
  const double io_on_cpu_s = sched_after.on_cpu_s - sched_before.on_cpu_s;
  const double io_waiting_s = sched_after.waiting_s - sched_before.waiting_s;
  const auto load_after = load_average();
  raw.stop();
  const int central_exit = central.stop();

  const auto commits = watcher.snapshot();
  if (!commits.error.empty()) throw std::runtime_error("polling central's store: " + commits.error);
  const auto raw_count = count_raw(file("raw.log"), true);
  const double raw_rate = rate(raw_count.messages, raw_count.last_s - raw_count.first_s);
  const double central_rate = rate(commits.alerts, (commits.last_ms - commits.first_ms) / 1000.0);
  const double ratio = raw_rate > 0 ? central_rate / raw_rate : 0;
  const double offered = report.value("load_s", 0.0) > 0 ? static_cast<double>(sent) / report.value("load_s", 1.0) : 0;
  const auto detect_commit = percentiles(commits.detect_to_commit_ms);
  const auto detect_received = percentiles(commits.detect_to_received_ms);
  const auto received_commit = percentiles(commits.received_to_commit_ms);
  const auto detect_dispatch = percentiles(commits.detect_to_dispatch_ms);
  const auto detect_raw = percentiles(raw_count.detect_to_receive_ms);
  const bool latency_applies = alerts_per_s <= kGoalRateForLatency;

  fmt::print("\nbench_central_ingest: {} gateways, {:.0f} alerts/s requested ({:.1f} per gateway per hour), "
             "load phase {} s, heartbeats every {} s, SQLite store, routing + auto-dispatch on\n",
             gateways, alerts_per_s, per_gateway_h, duration_s, args.text("heartbeat-s"));
  fmt::print("machine: {}; load average before {}, after {}\n", machine, load_before, load_after);
  fmt::print("fleet: {} connected, ramp {:.1f} s, {} alerts sent ({:.0f}/s offered over {:.1f} s), {} acked by the "
             "broker, {} skipped offline, publish errors {}\n",
             report.value("connected", 0), report.value("connect_ramp_s", 0.0), sent, offered,
             report.value("load_s", 0.0), acked, report.value("alerts_skipped_offline", 0),
             report.value("publish_errors", 0));
  fmt::print("\n{:<44} {:>10} {:>10} {:>10}\n", "", "messages", "span s", "rate/s");
  fmt::print("{:<44} {:>10} {:>10.2f} {:>10.0f}\n", "raw: mosquitto_sub QoS 1, received", raw_count.messages,
             raw_count.last_s - raw_count.first_s, raw_rate);
  fmt::print("{:<44} {:>10} {:>10.2f} {:>10.0f}\n", "central: alerts committed with their incident", commits.alerts,
             (commits.last_ms - commits.first_ms) / 1000.0, central_rate);
  fmt::print("ratio central/raw: {:.2f} (goal >= {:.1f}: {})\n", ratio, kGoalRatio, ratio >= kGoalRatio ? "met" : "NOT met");
  fmt::print("auto-dispatch events committed: {}\n", commits.dispatches);
  fmt::print("\nlatency, ms (polled every {} ms; an upper bound)  {:>8} {:>8} {:>8} {:>9} {:>8}\n", poll_ms, "p50",
             "p90", "p99", "max", "n");
  fmt::print("{:<48} {}\n", "detection -> alert + incident committed", format_latency(detect_commit));
  fmt::print("{:<48} {}\n", "  detection -> central's handler (received_ms)", format_latency(detect_received));
  fmt::print("{:<48} {}\n", "  central's handler -> committed", format_latency(received_commit));
  fmt::print("{:<48} {}\n", "detection -> auto-dispatch committed", format_latency(detect_dispatch));
  fmt::print("{:<48} {}\n", "baseline: detection -> mosquitto_sub received", format_latency(detect_raw));
  fmt::print("p99 detection -> committed: {:.1f} ms (goal < {:.0f} ms at {:.0f} alerts/s: {})\n", detect_commit.p99,
             kGoalP99Ms, kGoalRateForLatency,
             !latency_applies ? "not applicable at this rate" : detect_commit.p99 < kGoalP99Ms ? "met" : "NOT met");
  fmt::print("central: peak RSS (VmHWM) {:.1f} MiB, RSS at the end {:.1f} MiB, CPU {:.1f} s ({:.0f} us per alert), "
             "exit {}\n",
             mib(central_hwm_kib), mib(central_rss_kib), central_cpu_s,
             commits.alerts > 0 ? central_cpu_s * 1e6 / static_cast<double>(commits.alerts) : 0.0, central_exit);
  fmt::print("central's io_context thread over the {:.1f} s from the fleet's start to the end: on a CPU {:.1f} s, "
             "runnable but waiting for a CPU {:.1f} s, idle or blocked {:.1f} s\n",
             io_wall_s, io_on_cpu_s, io_waiting_s, std::max(0.0, io_wall_s - io_on_cpu_s - io_waiting_s));
  fmt::print("fleet peak RSS {:.1f} MiB; work dir {}\n", report.value("max_rss_mib", 0.0),
             args.text("dir").empty() ? "(temporary)" : dir);
  fmt::print(
      "{{\"bench\":\"central_ingest\",\"gateways\":{},\"requested_per_s\":{:.0f},\"offered_per_s\":{:.0f},"
      "\"duration_s\":{},\"sent\":{},\"acked\":{},\"raw_received\":{},\"raw_per_s\":{:.0f},\"committed\":{},"
      "\"central_per_s\":{:.0f},\"ratio\":{:.3f},\"goal_ratio\":{},\"latency_p50_ms\":{:.1f},"
      "\"latency_p99_ms\":{:.1f},\"latency_max_ms\":{:.1f},\"dispatch_p99_ms\":{:.1f},\"raw_p50_ms\":{:.1f},\"raw_p99_ms\":{:.1f},\"goal_p99_ms\":{},"
      "\"central_rss_peak_mib\":{:.1f},\"central_cpu_us_per_alert\":{:.0f},\"io_thread_on_cpu_s\":{:.1f},\"io_thread_cpu_wait_s\":{:.1f},\"poll_ms\":{},\"load_before\":\"{}\","
      "\"load_after\":\"{}\"}}\n",
      gateways, alerts_per_s, offered, duration_s, sent, acked, raw_count.messages, raw_rate, commits.alerts,
      central_rate, ratio, kGoalRatio, detect_commit.p50, detect_commit.p99, detect_commit.max, detect_dispatch.p99,
      detect_raw.p50, detect_raw.p99, kGoalP99Ms, mib(central_hwm_kib),
      commits.alerts > 0 ? central_cpu_s * 1e6 / static_cast<double>(commits.alerts) : 0.0, io_on_cpu_s, io_waiting_s,
      poll_ms, load_before,
      load_after);
  if (args.text("require-all") == "yes" && (commits.alerts < acked || raw_count.messages < acked || acked < sent)) {
    std::fprintf(stderr, "bench_central_ingest: --require-all: %llu sent, %llu acked, %llu committed, %llu at mosquitto_sub\n",
                 static_cast<unsigned long long>(sent), static_cast<unsigned long long>(acked),
                 static_cast<unsigned long long>(commits.alerts), static_cast<unsigned long long>(raw_count.messages));
    return 3;
  }
  return 0;
}

}  // namespace
}  // namespace gridwatch::bench

int main(int argc, char** argv) {
  return gridwatch::bench::bench_main("bench_central_ingest", argc, argv,
                                      {{"gateways", "10000"},
                                       {"rate", "1000"},
                                       {"duration-s", "60"},
                                       {"heartbeat-s", "30"},
                                       {"connect-rate", "2000"},
                                       {"seed", "1"},
                                       {"poll-ms", "5"},
                                       {"settle-s", "20"},
                                       {"central-log-level", "info"},
                                       {"require-all", "no"},
                                       {"dir", ""}},
                                      gridwatch::bench::run);
}
