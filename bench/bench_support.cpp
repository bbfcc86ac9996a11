#include "bench/bench_support.hpp"

#include <fmt/format.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gridwatch::bench {

Args::Args(int argc, char** argv, std::map<std::string, std::string> defaults) : values_(std::move(defaults)) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || i + 1 >= argc) {
      throw std::invalid_argument("expected --name value, got '" + arg + "'");
    }
    const auto name = arg.substr(2);
    if (values_.count(name) == 0) throw std::invalid_argument("unknown option --" + name);
    values_[name] = argv[++i];
  }
}

std::string Args::text(const std::string& name) const { return values_.at(name); }

std::int64_t Args::integer(const std::string& name) const {
  const auto& value = values_.at(name);
  std::size_t used = 0;
  const auto number = std::stoll(value, &used);
  if (used != value.size()) throw std::invalid_argument("--" + name + " needs an integer, got '" + value + "'");
  return number;
}

bool Args::has(const std::string& name) const {
  auto it = values_.find(name);
  return it != values_.end() && !it->second.empty();
}

AlertKind alert_kind_for(std::uint64_t seq) {
  const auto slot = seq % 10;
  return slot == 0 ? AlertKind::smoke : slot <= 2 ? AlertKind::tamper : AlertKind::parking;
}

Alert make_alert(std::uint64_t seq, const std::string& epoch, EpochMs detected_at_ms) {
  Alert alert;
  alert.gateway_id = kBenchGatewayId;
  alert.seq = seq;
  alert.alert_id = fmt::format("{}:{}:{}", kBenchGatewayId, epoch, seq);
  alert.episode_id = alert.alert_id;
  alert.phase = Phase::start;
  alert.detected_at_ms = detected_at_ms;
  alert.location = {52.229676, 21.012229, std::string("cam-north-gate-02"), std::nullopt, std::nullopt};
  // Field values vary with seq so payloads are not byte-identical (SQLite
  // and the broker never see an artificially compressible stream).
  const auto jitter = static_cast<double>(seq % 997) / 997.0;
  switch (alert_kind_for(seq)) {
    case AlertKind::smoke:
      alert.kind = AlertKind::smoke;
      alert.severity = Severity::severe;
      alert.confidence = 0.8;
      alert.location.sensor = "smoke-kiosk-07";
      alert.value = 0.12 + jitter * 0.5;
      alert.unit = "dB/m";
      alert.summary = fmt::format(
          "Smoke sensor smoke-kiosk-07 reads {:.2f} dB/m (alarm level 0.10) by the bus shelter at the north gate",
          *alert.value);
      break;
    case AlertKind::tamper:
      alert.kind = AlertKind::tamper;
      alert.severity = Severity::moderate;
      alert.confidence = 0.7 + jitter * 0.29;
      alert.summary = fmt::format(
          "Camera cam-north-gate-02 view changed abruptly ({:.0f}% of the frame differs from the reference "
          "for 12 s): covered, sprayed or moved",
          60 + jitter * 39);
      break;
    default:
      alert.kind = AlertKind::parking;
      alert.severity = Severity::minor;
      alert.confidence = 0.6 + jitter * 0.39;
      alert.location.zone = "no-parking-bus-stop";
      alert.box = Box{0.41 + jitter * 0.1, 0.55, 0.19, 0.13 + jitter * 0.05};
      alert.summary = fmt::format(
          "Vehicle stationary for {} s in zone no-parking-bus-stop (limit 120 s) at the north gate; track {} "
          "stable across 18 detections",
          180 + seq % 600, 1000 + seq % 9000);
      break;
  }
  alert.evidence = {alert.alert_id + "-snap-1", alert.alert_id + "-snap-2"};
  return alert;
}

std::int64_t monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {

double clock_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

double process_cpu_seconds() { return clock_seconds(CLOCK_PROCESS_CPUTIME_ID); }

double thread_cpu_seconds() { return clock_seconds(CLOCK_THREAD_CPUTIME_ID); }

std::int64_t proc_status_kib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream value(line.substr(field.size() + 1));
      std::int64_t kib = 0;
      value >> kib;
      return kib;
    }
  }
  return 0;
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  double one = 0;
  double five = 0;
  double fifteen = 0;
  in >> one >> five >> fifteen;
  return fmt::format("{:.2f} {:.2f} {:.2f}", one, five, fifteen);
}

std::string machine_summary() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  std::string model = "unknown CPU";
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return fmt::format("{}, {} cores online, load average {}", model, sysconf(_SC_NPROCESSORS_ONLN), load_average());
}

double percentile(std::vector<double>& sample, double pct) {
  if (sample.empty()) return 0;
  std::sort(sample.begin(), sample.end());
  const auto rank = pct / 100.0 * static_cast<double>(sample.size() - 1);
  return sample[static_cast<std::size_t>(std::lround(rank))];
}

std::optional<std::map<std::string, std::string>> parse_result_line(const std::string& log) {
  std::istringstream lines(log);
  std::string line;
  std::optional<std::map<std::string, std::string>> result;
  while (std::getline(lines, line)) {
    if (line.rfind("RESULT ", 0) != 0) continue;
    std::map<std::string, std::string> fields;
    std::istringstream words(line.substr(7));
    std::string word;
    while (words >> word) {
      const auto eq = word.find('=');
      if (eq != std::string::npos) fields[word.substr(0, eq)] = word.substr(eq + 1);
    }
    result = std::move(fields);
  }
  return result;
}

double mib(std::int64_t kib) { return static_cast<double>(kib) / 1024.0; }

int bench_main(const char* name, int argc, char** argv, std::map<std::string, std::string> defaults,
               const std::function<int(const Args&)>& run) {
  try {
    const Args args(argc, argv, std::move(defaults));
    return run(args);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s: %s\n", name, error.what());
    return 2;
  }
}

}  // namespace gridwatch::bench
