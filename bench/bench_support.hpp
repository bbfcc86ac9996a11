#pragma once
// Shared by the benchmark executables: a tiny argument parser (CLI11 costs
// more compile time than these programs), realistic alert payloads, clock
// and /proc readings, and the report format (a table for people, then one
// JSON line for scripts). Benchmarks report figures; they never assert them.
#include <chrono>
#include <functional>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/wire.hpp"

namespace gridwatch::bench {

/// "--name value" pairs; unknown names are an error so a typo in a
/// reproduction command is not silently ignored.
class Args {
 public:
  Args(int argc, char** argv, std::map<std::string, std::string> defaults);
  std::string text(const std::string& name) const;
  std::int64_t integer(const std::string& name) const;
  bool has(const std::string& name) const;

 private:
  std::map<std::string, std::string> values_;
};

inline constexpr const char* kBenchGatewayId = "gw-bench-0001";

/// Kind of alert `seq`: parking, tamper or smoke in the ratio 7:2:1.
AlertKind alert_kind_for(std::uint64_t seq);

/// The alert a gateway would store as sequence `seq`: a parking, tamper or
/// smoke alert (7:2:1) with camera, zone, box, evidence ids and a summary,
/// encoded as on the wire: about 600 bytes.
Alert make_alert(std::uint64_t seq, const std::string& epoch, EpochMs detected_at_ms);

/// Nanoseconds of CLOCK_MONOTONIC (std::chrono::steady_clock on Linux). It
/// is system-wide, so stamps taken in two processes can be subtracted.
std::int64_t monotonic_ns();

/// CPU seconds this process has used so far, all threads (FFmpeg's
/// decoder threads too), and those of the calling thread alone.
double process_cpu_seconds();
double thread_cpu_seconds();

/// A field of /proc/self/status in KiB (e.g. "VmHWM", "VmRSS"); 0 if absent.
std::int64_t proc_status_kib(const std::string& field);

/// "model, N cores, load a b c" for the report header.
std::string machine_summary();
std::string load_average();

/// Percentile (0-100) of a sample; the sample is sorted in place.
double percentile(std::vector<double>& sample, double pct);

/// Parses "RESULT key=value key=value" lines printed by a child process.
std::optional<std::map<std::string, std::string>> parse_result_line(const std::string& log);

double mib(std::int64_t kib);

/// main() of a benchmark: parses the arguments against `defaults`, runs
/// `run`, and turns an exception into "NAME: what" on stderr and exit 2.
int bench_main(const char* name, int argc, char** argv, std::map<std::string, std::string> defaults,
               const std::function<int(const Args&)>& run);

}  // namespace gridwatch::bench
