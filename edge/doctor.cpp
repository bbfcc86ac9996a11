#include "edge/doctor.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/timex.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "common/mqtt/mqtt_client.hpp"
#include "common/sqlite/sqlite.hpp"
#include "common/time.hpp"
#include "edge/camera_worker.hpp"
#include "edge/edge_config.hpp"
#include "edge/identity.hpp"
#include "edge/modbus_poller.hpp"
#include "edge/vision/boxes.hpp"
#include "edge/vision/frame_features.hpp"

namespace gridwatch::edge {
namespace {

namespace fs = std::filesystem;

enum class Verdict { ok, warn, fail, skip };

struct Line {
  Verdict verdict;
  std::string check;
  std::string detail;
  std::string hint;
};

class Report {
 public:
  explicit Report(std::ostream& out) : out_(out) {}
  void add(Verdict verdict, std::string check, std::string detail, std::string hint = "") {
    static constexpr const char* kLabels[] = {"OK", "WARN", "FAIL", "SKIP"};
    out_ << fmt::format("{:<4}  {}: {}", kLabels[static_cast<int>(verdict)], check, detail);
    if (!hint.empty() && (verdict == Verdict::warn || verdict == Verdict::fail)) out_ << "  -> fix: " << hint;
    out_ << std::endl;
    if (verdict == Verdict::fail) ++failures_;
    if (verdict == Verdict::warn) ++warnings_;
  }
  int failures() const { return failures_; }
  int warnings() const { return warnings_; }

 private:
  std::ostream& out_;
  int failures_ = 0;
  int warnings_ = 0;
};

// ---- broker ---------------------------------------------------------------

struct BrokerAddress {
  std::string host;
  std::string port;
  bool tls = false;
};

std::optional<BrokerAddress> parse_broker(const std::string& uri) {
  const auto scheme_end = uri.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  const auto scheme = uri.substr(0, scheme_end);
  BrokerAddress address;
  address.tls = scheme == "ssl" || scheme == "mqtts";
  auto rest = uri.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('/'));
  const auto colon = rest.rfind(':');
  address.host = colon == std::string::npos ? rest : rest.substr(0, colon);
  address.port = colon == std::string::npos ? (address.tls ? "8883" : "1883") : rest.substr(colon + 1);
  if (address.host.size() > 2 && address.host.front() == '[') address.host = address.host.substr(1, address.host.size() - 2);
  return address;
}

/// Empty when a TCP connection to host:port succeeds within timeout_ms.
std::string tcp_probe(const BrokerAddress& address, int timeout_ms) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = getaddrinfo(address.host.c_str(), address.port.c_str(), &hints, &found); rc != 0) {
    return fmt::format("cannot resolve {}: {}", address.host, gai_strerror(rc));
  }
  std::string error = "no address";
  for (auto* candidate = found; candidate != nullptr; candidate = candidate->ai_next) {
    const int fd = ::socket(candidate->ai_family, candidate->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int rc = ::connect(fd, candidate->ai_addr, candidate->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd waiting{fd, POLLOUT, 0};
      rc = ::poll(&waiting, 1, timeout_ms);
      int so_error = rc == 0 ? ETIMEDOUT : 0;
      socklen_t length = sizeof so_error;
      if (rc > 0) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length);
      rc = so_error == 0 ? 0 : -1;
      errno = so_error;
    }
    const int saved = errno;
    ::close(fd);
    if (rc == 0) {
      freeaddrinfo(found);
      return "";
    }
    error = std::strerror(saved);
  }
  freeaddrinfo(found);
  return fmt::format("{}:{}: {}", address.host, address.port, error);
}

void check_broker(const EdgeConfig& config, const DoctorOptions& options, Report& report) {
  const auto address = parse_broker(config.mqtt.broker);
  if (!address) {
    report.add(Verdict::fail, "broker", "cannot parse " + config.mqtt.broker, "set mqtt.broker to ssl://HOST:8883");
    return;
  }
  if (const auto unreachable = tcp_probe(*address, std::min(options.broker_timeout_ms, 5000)); !unreachable.empty()) {
    report.add(Verdict::fail, "broker", "not reachable: " + unreachable,
               "check mqtt.broker, the uplink (ping the host) and any firewall; is mosquitto running at central?");
    return;
  }
  // A throw-away session under its own client id: the running service's
  // session (and its queued messages) must not be taken over.
  auto client_options = to_client_options(config.mqtt);
  client_options.client_id = config.gateway.id + "-doctor";
  client_options.clean_start = true;
  client_options.session_expiry_s = 0;
  client_options.reconnect_min_ms = 60'000;
  client_options.reconnect_max_ms = 60'000;
  boost::asio::io_context io;
  bool connected = false;
  std::string refused;
  mqtt::Handlers handlers;
  handlers.on_connected = [&](bool) {
    connected = true;
    io.stop();
  };
  handlers.on_disconnected = [&](const std::string& reason) {
    refused = reason;
    io.stop();
  };
  auto client = mqtt::make_paho_client(io, client_options, std::move(handlers));
  // Paho's callbacks arrive from its own threads: without the guard the
  // io_context has no work yet and run_for() would return at once.
  const auto keep_running = boost::asio::make_work_guard(io);
  client->start();
  io.run_for(std::chrono::milliseconds(options.broker_timeout_ms));
  client->stop(std::nullopt, 1000);
  const auto where = fmt::format("{}:{}", address->host, address->port);
  if (!connected) {
    report.add(Verdict::fail, "broker",
               fmt::format("{} reachable, but the MQTT{} session was refused: {}", where, address->tls ? "/TLS" : "",
                           refused.empty() ? "no answer" : refused),
               address->tls ? "the broker did not accept this certificate: is it revoked (gridwatch-ca list at "
                              "central), is mqtt.tls.ca_file the CA that signed the broker, does the port speak TLS?"
                            : "the broker refused us: does it require TLS (use ssl://...:8883 and provision)?");
    return;
  }
  if (!address->tls) {
    report.add(Verdict::warn, "broker", "connected to " + where + " in plaintext: no identity, no encryption",
               "for the field, provision a certificate and use ssl://HOST:8883");
    return;
  }
  report.add(Verdict::ok, "broker", "connected to " + where + " over TLS as " + config.gateway.id);
}

// ---- identity -------------------------------------------------------------

void check_identity(const EdgeConfig& config, Report& report) {
  if (!config.mqtt.tls || config.mqtt.tls->cert_file.empty()) {
    report.add(config.mqtt.tls ? Verdict::warn : Verdict::skip, "identity",
               "no client certificate configured (mqtt.tls.cert_file)",
               "gridwatch-edge provision --id ID --lat LAT --lon LON --broker ssl://HOST:8883 --ca ca.crt");
    return;
  }
  const auto& tls = *config.mqtt.tls;
  const auto now = wall_clock_ms();
  const auto problems = certificate_problems(tls.cert_file, tls.key_file, tls.ca_file, config.gateway.id, now);
  if (!problems.empty()) {
    std::string all;
    for (const auto& problem : problems) all += (all.empty() ? "" : "; ") + problem;
    report.add(Verdict::fail, "identity", all,
               "have central sign this gateway's CSR (gridwatch-ca sign), then gridwatch-edge provision --cert FILE");
    return;
  }
  struct stat key_status {};
  if (::stat(tls.key_file.c_str(), &key_status) == 0 && (key_status.st_mode & 077) != 0) {
    report.add(Verdict::fail, "identity", fmt::format("{} is readable by others (mode {:o})", tls.key_file,
                                                      key_status.st_mode & 0777),
               "chmod 600 " + tls.key_file);
    return;
  }
  const auto info = read_certificate(tls.cert_file);
  const auto days_left = (info.not_after_ms - now) / 86'400'000;
  if (days_left < 30) {
    report.add(Verdict::warn, "identity", fmt::format("certificate for {} expires in {} day(s)", info.subject_cn, days_left),
               "re-key before it expires: gridwatch-edge provision --new-key, then have central sign the new CSR");
    return;
  }
  report.add(Verdict::ok, "identity",
             fmt::format("certificate for {} valid until {}, key private", info.subject_cn, format_utc(info.not_after_ms)));
}

// ---- clock ----------------------------------------------------------------

void check_clock(Report& report) {
  // The kernel's NTP state, which timedatectl's NTPSynchronized also reports;
  // it needs neither systemd nor D-Bus.
  timex state{};
  const int clock_state = ::ntp_adjtime(&state);
  if (clock_state == -1) {
    report.add(Verdict::fail, "clock", std::string("cannot read the kernel clock state: ") + std::strerror(errno),
               "check the board's time with `timedatectl`");
    return;
  }
  if ((state.status & STA_UNSYNC) != 0 || clock_state == TIME_ERROR) {
    report.add(Verdict::fail, "clock", fmt::format("not synchronised (now {})", format_utc(wall_clock_ms())),
               "enable NTP (timedatectl set-ntp true; systemd-timesyncd) and allow UDP 123; alerts carry this clock");
    return;
  }
  report.add(Verdict::ok, "clock",
             fmt::format("synchronised by NTP, estimated error {:.1f} ms", static_cast<double>(state.esterror) / 1000.0));
}

// ---- disk and outbox ------------------------------------------------------

/// The directory itself, or its nearest existing ancestor (the service
/// creates the rest).
fs::path existing_ancestor(fs::path path) {
  path = fs::absolute(path);
  while (!path.empty() && !fs::exists(path) && path != path.root_path()) path = path.parent_path();
  return path;
}

void check_disk(const EdgeConfig& config, Report& report) {
  struct Need {
    std::string what;
    fs::path directory;
    std::uint64_t bytes;
  };
  const std::vector<Need> needs{
      {"outbox", existing_ancestor(fs::path(config.outbox_path()).parent_path()),
       static_cast<std::uint64_t>(config.outbox.max_mib) << 20},
      {"evidence", existing_ancestor(config.evidence_directory()), static_cast<std::uint64_t>(config.evidence.max_mib) << 20}};
  // Both limits count against one filesystem when they share it.
  std::map<dev_t, std::pair<std::uint64_t, std::string>> per_device;
  std::vector<std::string> details;
  for (const auto& need : needs) {
    struct stat status {};
    struct statvfs space {};
    if (::stat(need.directory.c_str(), &status) != 0 || ::statvfs(need.directory.c_str(), &space) != 0) {
      report.add(Verdict::fail, "disk", fmt::format("{}: cannot stat {}", need.what, need.directory.string()),
                 "create state_dir and give it to the service user");
      return;
    }
    if (::access(need.directory.c_str(), W_OK) != 0) {
      report.add(Verdict::fail, "disk", fmt::format("{}: {} is not writable", need.what, need.directory.string()),
                 "chown gridwatch: " + need.directory.string());
      return;
    }
    auto& [bytes, where] = per_device[status.st_dev];
    bytes += need.bytes;
    where = need.directory.string();
    const auto free_bytes = static_cast<std::uint64_t>(space.f_bavail) * space.f_frsize;
    details.push_back(fmt::format("{} {} MiB free", need.what, free_bytes >> 20));
    if (free_bytes < bytes) {
      report.add(Verdict::fail, "disk",
                 fmt::format("{} has {} MiB free, the outbox and evidence limits need {} MiB", where, free_bytes >> 20,
                             bytes >> 20),
                 "free space there, or lower outbox.max_mib / evidence.max_mib");
      return;
    }
  }
  report.add(Verdict::ok, "disk",
             fmt::format("{}, {}; limits {} + {} MiB fit", details[0], details[1], config.outbox.max_mib,
                         config.evidence.max_mib));
}

void check_outbox(const EdgeConfig& config, Report& report) {
  const auto path = config.outbox_path();
  if (!fs::exists(path)) {
    report.add(Verdict::ok, "outbox", path + " does not exist yet; the service creates it");
    return;
  }
  const std::string hint =
      "restart gridwatch-edge: it moves a damaged outbox aside and starts a new one (its undelivered alerts are lost)";
  try {
    sqlite::Database database(path, sqlite::Database::Mode::read_only);
    const auto verdict = database.quick_check();
    if (verdict != "ok") {
      report.add(Verdict::fail, "outbox", path + " is damaged: " + verdict, hint);
      return;
    }
    const auto rows = database.query_text("SELECT count(*) FROM outbox").value_or("?");
    report.add(Verdict::ok, "outbox", fmt::format("{} intact, {} undelivered message(s)", path, rows));
  } catch (const std::exception& error) {
    report.add(Verdict::fail, "outbox", path + " cannot be read: " + error.what(), hint);
  }
}

// ---- sensors --------------------------------------------------------------

/// The first reading of the sensor's own poller (the service's code path),
/// or nullopt when none came within its timeout and a margin.
std::optional<SensorReading> read_once(const SensorSettings& sensor) {
  std::mutex mutex;
  std::condition_variable arrived;
  std::optional<SensorReading> first;
  ModbusPoller poller(sensor, [&](SensorReading reading) {
    const std::lock_guard lock(mutex);
    if (!first) first = std::move(reading);
    arrived.notify_all();
  });
  poller.start();
  {
    std::unique_lock lock(mutex);
    arrived.wait_for(lock, std::chrono::milliseconds(2 * sensor.timeout_ms + 2000), [&] { return first.has_value(); });
  }
  poller.stop();
  const std::lock_guard lock(mutex);
  return first;
}

void check_sensors(const EdgeConfig& config, Report& report) {
  if (config.sensors.empty()) {
    report.add(Verdict::skip, "sensors", "none configured");
    return;
  }
  for (const auto& sensor : config.sensors) {
    const auto name = "sensor " + sensor.id;
    if (!sensor.is_modbus()) {
      report.add(Verdict::skip, name, "MQTT JSON sensor: it reports through the broker, not polled here");
      continue;
    }
    const auto reading = read_once(sensor);
    const auto where = sensor.type == "modbus_rtu" ? "the serial port settings" : fmt::format("host {} port {}", sensor.host, sensor.port);
    if (!reading || !reading->sample.value) {
      report.add(Verdict::fail, name, "no answer: " + (reading ? reading->sample.error : std::string("no reading")),
                 fmt::format("check power and cabling, and {} and unit_id {} in the config", where, sensor.unit_id));
    } else if (reading->sample.device_fault) {
      report.add(Verdict::fail, name, fmt::format("answers, but reports a device fault (reads {:.2f} {})",
                                                  *reading->sample.value, sensor.unit),
                 "clean or replace the sensor; see its manual for the fault bit");
    } else if (*reading->sample.value >= sensor.alarm.raise) {
      report.add(Verdict::warn, name,
                 fmt::format("reads {:.2f} {}, at or above its alarm level {:.2f}", *reading->sample.value, sensor.unit,
                             sensor.alarm.raise),
                 "check for smoke or a dirty sensor chamber; check the register map and alarm.raise");
    } else {
      report.add(Verdict::ok, name, fmt::format("answers, reads {:.2f} {}", *reading->sample.value, sensor.unit));
    }
  }
}

// ---- cameras --------------------------------------------------------------

void check_zones(const CameraConfig& camera, cv::Size frame, Report& report) {
  const auto name = "zones " + camera.vision.id;
  if (camera.vision.zones.empty()) {
    report.add(Verdict::skip, name, "no zones configured");
    return;
  }
  // At analysis resolution: that is what the detector sees.
  const cv::Size analysis = vision::analysis_size(frame, camera.vision.analysis.width);
  const int width = analysis.width;
  const int height = analysis.height;
  cv::Mat masked = cv::Mat::zeros(analysis, CV_8U);
  for (const auto& mask : camera.vision.masks) {
    const std::vector<std::vector<cv::Point>> polygons{vision::to_pixels(mask, analysis)};
    cv::fillPoly(masked, polygons, cv::Scalar(255));
  }
  const double min_vehicle_px = camera.vision.vehicle.min_width * width * camera.vision.vehicle.min_height * height;
  std::vector<std::string> problems;
  std::string smallest;
  double smallest_px = 0;
  for (const auto& zone : camera.vision.zones) {
    bool inside = true;
    for (const auto& point : zone.polygon) inside = inside && point.x >= 0 && point.x <= 1 && point.y >= 0 && point.y <= 1;
    cv::Mat area = cv::Mat::zeros(analysis, CV_8U);
    const std::vector<std::vector<cv::Point>> polygons{vision::to_pixels(zone.polygon, analysis)};
    cv::fillPoly(area, polygons, cv::Scalar(255));
    const double pixels = cv::countNonZero(area);
    cv::Mat visible;
    cv::bitwise_and(area, ~masked, visible);
    const double visible_pixels = cv::countNonZero(visible);
    if (!inside) problems.push_back(zone.id + " has points outside the frame");
    if (visible_pixels < std::max(16.0, min_vehicle_px)) {
      problems.push_back(fmt::format("{} shows {:.0f} px at {}x{} (masks hide {:.0f}), smaller than one vehicle ({:.0f} px)",
                                     zone.id, visible_pixels, width, height, pixels - visible_pixels, min_vehicle_px));
    }
    if (smallest.empty() || visible_pixels < smallest_px) {
      smallest = zone.id;
      smallest_px = visible_pixels;
    }
  }
  if (!problems.empty()) {
    std::string all;
    for (const auto& problem : problems) all += (all.empty() ? "" : "; ") + problem;
    report.add(Verdict::fail, name, all,
               "redraw the zone over the kerb where cars stop (check the --snapshot image), or shrink the masks");
    return;
  }
  report.add(Verdict::ok, name,
             fmt::format("{} zone(s) inside the {}x{} frame; smallest {} covers {:.0f} px at analysis size",
                         camera.vision.zones.size(), frame.width, frame.height, smallest, smallest_px));
}

void save_snapshot(const CameraConfig& camera, const cv::Mat& frame, const std::string& directory, Report& report) {
  cv::Mat picture = frame.clone();
  cv::Mat overlay = picture.clone();
  for (const auto& mask : camera.vision.masks) {
    const std::vector<std::vector<cv::Point>> polygons{vision::to_pixels(mask, picture.size())};
    cv::fillPoly(overlay, polygons, cv::Scalar(0, 0, 200));
  }
  cv::addWeighted(overlay, 0.4, picture, 0.6, 0, picture);
  const int thickness = std::max(2, picture.cols / 400);
  for (const auto& zone : camera.vision.zones) {
    const std::vector<std::vector<cv::Point>> polygons{vision::to_pixels(zone.polygon, picture.size())};
    cv::polylines(picture, polygons, true, cv::Scalar(0, 255, 0), thickness);
    cv::putText(picture, zone.id, polygons[0][0], cv::FONT_HERSHEY_SIMPLEX, picture.cols / 1000.0 + 0.4,
                cv::Scalar(0, 255, 0), thickness);
  }
  std::error_code ignored;
  fs::create_directories(directory, ignored);
  const auto path = directory + "/" + camera.vision.id + ".jpg";
  bool written = false;
  try {
    written = cv::imwrite(path, picture);
  } catch (const cv::Exception&) {
  }
  if (written) {
    report.add(Verdict::ok, "snapshot " + camera.vision.id, path + " (zones green, masks red)");
  } else {
    report.add(Verdict::fail, "snapshot " + camera.vision.id, "cannot write " + path, "choose a writable --snapshot directory");
  }
}

void check_camera(const CameraConfig& camera, const DoctorOptions& options, Report& report) {
  const auto name = "camera " + camera.vision.id;
  const auto& source = camera.source;
  const auto where = describe_camera_source(source);
  cv::VideoCapture capture;
  if (!open_camera_source(capture, source)) {
    report.add(Verdict::fail, name, camera_open_failure(source),
               source.url.empty() ? "check the path or device" : "check the URL, user and password, and that the camera is powered and on the network");
    report.add(Verdict::skip, "zones " + camera.vision.id, "not checked: no frame to check them against");
    return;
  }
  cv::Mat frame;
  cv::Mat first;
  int frames = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto until = start + std::chrono::duration<double>(options.camera_seconds);
  try {
    while (capture.read(frame) && !frame.empty()) {
      if (frames++ == 0) first = frame.clone();
      if (!source.file.empty() || std::chrono::steady_clock::now() >= until) break;
    }
  } catch (const cv::Exception&) {
  }
  if (first.empty()) {
    report.add(Verdict::fail, name, where + " opened but delivered no frame",
               "check the stream path and codec (H.264 or MJPEG), and the camera's own web page");
    return;
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // A file is read faster than real time: its nominal rate is what counts.
  const double fps = !source.file.empty() ? capture.get(cv::CAP_PROP_FPS)
                                         : (frames > 1 && elapsed > 0 ? (frames - 1) / elapsed : 0.0);
  const auto& analysis = camera.vision.analysis;
  const auto summary = fmt::format("{}x{} at {:.1f} fps", first.cols, first.rows, fps);
  if (fps + 1e-6 < analysis.fps * 0.9) {
    report.add(Verdict::fail, name, fmt::format("{}, below the {:.1f} fps the analysis needs", summary, analysis.fps),
               "raise the camera's frame rate (or its sub-stream's) or lower analysis.fps; check the uplink to the camera");
  } else if (first.cols < analysis.width) {
    report.add(Verdict::fail, name, fmt::format("{}, narrower than analysis.width {}", summary, analysis.width),
               "use a higher-resolution stream or lower analysis.width");
  } else {
    report.add(Verdict::ok, name, fmt::format("{} (analysis needs {:.1f} fps, {} px wide)", summary, analysis.fps,
                                              analysis.width));
  }
  check_zones(camera, first.size(), report);
  if (!options.snapshot_dir.empty()) save_snapshot(camera, first, options.snapshot_dir, report);
}

}  // namespace

const std::set<std::string>& doctor_check_names() {
  static const std::set<std::string> names{"identity", "broker", "clock", "disk", "outbox", "sensors", "cameras"};
  return names;
}

int run_doctor(const DoctorOptions& options, std::ostream& out) {
  Report report(out);
  EdgeConfig config;
  try {
    config = load_edge_config(options.config_path);
  } catch (const ConfigInvalid& invalid) {
    for (const auto& error : invalid.errors().list()) {
      report.add(Verdict::fail, "config", error.to_string(), "edit the file; docs/configuration.md lists every key");
    }
    out << "NOT fit to leave: the config is invalid, nothing else was checked" << std::endl;
    return 1;
  }
  report.add(Verdict::ok, "config",
             fmt::format("{} valid: gateway {} at {:.5f}, {:.5f}; {} sensor(s), {} camera(s)", options.config_path,
                         config.gateway.id, config.gateway.lat, config.gateway.lon, config.sensors.size(),
                         config.cameras.size()));
  const auto wanted = [&](const std::string& check) {
    if (options.skip.count(check) == 0) return true;
    report.add(Verdict::skip, check, "skipped on request (--skip " + check + ")");
    return false;
  };
  if (wanted("identity")) check_identity(config, report);
  if (wanted("broker")) check_broker(config, options, report);
  if (wanted("clock")) check_clock(report);
  if (wanted("disk")) check_disk(config, report);
  if (wanted("outbox")) check_outbox(config, report);
  if (wanted("sensors")) check_sensors(config, report);
  if (wanted("cameras")) {
    if (config.cameras.empty()) report.add(Verdict::skip, "cameras", "none configured");
    // A V4L2 camera that hangs fails its check after stall_s, as in service.
    limit_v4l2_frame_wait(config.cameras);
    for (const auto& camera : config.cameras) check_camera(camera, options, report);
  }
  if (report.failures() > 0) {
    out << fmt::format("NOT fit to leave: {} check(s) failed, {} warning(s)", report.failures(), report.warnings())
        << std::endl;
    return 1;
  }
  out << fmt::format("fit to leave: all checks passed ({} warning(s))", report.warnings()) << std::endl;
  return 0;
}

}  // namespace gridwatch::edge
