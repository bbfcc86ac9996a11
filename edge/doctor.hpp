#pragma once
// `gridwatch-edge doctor`: the installer's check before climbing down the
// ladder. One line per check with a fix hint; the exit code says whether
// the gateway is fit to leave. It reads the same config and opens the same
// sources as the service, but never writes to the outbox or the broker.
#include <ostream>
#include <set>
#include <string>

namespace gridwatch::edge {

struct DoctorOptions {
  std::string config_path;
  std::string snapshot_dir;          ///< non-empty: one JPEG per camera with zones and masks drawn
  double camera_seconds = 3;         ///< how long each live camera is watched to measure its frame rate
  int broker_timeout_ms = 10'000;
  std::set<std::string> skip;        ///< check names to leave out (reported as SKIP)
};

/// The check names `skip` accepts, in the order they run.
const std::set<std::string>& doctor_check_names();

/// Exit codes: 0 fit to leave (no FAIL; WARN allowed); 1 at least one
/// check failed.
int run_doctor(const DoctorOptions& options, std::ostream& out);

}  // namespace gridwatch::edge
