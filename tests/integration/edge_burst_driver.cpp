// Test harness for the store-and-forward tests: runs the real Gateway (the
// same code gridwatch-edge runs) and raises a burst of alerts through
// Gateway::raise. It prints "stored <alert_id> <kind>" only after the
// outbox commit returned, so the harness knows exactly which alerts the
// gateway had reported as stored when it was killed.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdio>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include "common/logging.hpp"
#include "edge/edge_config.hpp"
#include "edge/gateway.hpp"

using namespace gridwatch;

namespace {

std::string make_jpeg(int index) {
  cv::Mat frame(120, 160, CV_8UC3, cv::Scalar(40, 40, 40));
  cv::putText(frame, std::to_string(index), {10, 70}, cv::FONT_HERSHEY_SIMPLEX, 1.2, {255, 255, 255}, 2);
  std::vector<unsigned char> bytes;
  cv::imencode(".jpg", frame, bytes);
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edge burst driver (tests only)"};
  std::string config_path;
  int count = 100;
  double rate = 100;
  std::string kinds_text = "smoke";
  bool with_evidence = false;
  app.add_option("--config", config_path)->required();
  app.add_option("--count", count, "alerts to raise (0 = none, just drain)");
  app.add_option("--rate", rate, "alerts per second");
  app.add_option("--kinds", kinds_text, "comma-separated kinds, cycled");
  app.add_flag("--evidence", with_evidence, "attach a JPEG to each alert");
  CLI11_PARSE(app, argc, argv);

  std::vector<AlertKind> kinds;
  std::stringstream list(kinds_text);
  for (std::string item; std::getline(list, item, ',');) {
    auto kind = alert_kind_from_string(item);
    if (!kind) {
      std::fprintf(stderr, "unknown kind %s\n", item.c_str());
      return 2;
    }
    kinds.push_back(*kind);
  }
  const auto config = edge::load_edge_config(config_path);
  setup_logging("driver", config.log_level);

  boost::asio::io_context io;
  edge::Gateway gateway(io, config);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int) {
    if (error) return;
    gateway.stop();
    io.stop();
  });
  gateway.start();

  boost::asio::steady_timer timer(io);
  int raised = 0;
  const auto period = std::chrono::microseconds(static_cast<std::int64_t>(1e6 / std::max(rate, 0.001)));
  std::function<void()> tick = [&] {
    if (raised >= count) return;
    Alert alert;
    alert.kind = kinds[static_cast<std::size_t>(raised) % kinds.size()];
    alert.phase = Phase::start;
    alert.severity = alert.kind == AlertKind::parking ? Severity::minor : Severity::severe;
    alert.confidence = 0.9;
    alert.detected_at_ms = wall_clock_ms();
    alert.location = {config.gateway.lat, config.gateway.lon, std::string("cam1"), std::nullopt, std::nullopt};
    alert.summary = "burst " + std::to_string(raised);
    const auto id = gateway.raise(alert, with_evidence ? std::optional<std::string>(make_jpeg(raised)) : std::nullopt);
    std::printf("stored %s %s\n", id.c_str(), std::string(to_string(alert.kind)).c_str());
    std::fflush(stdout);
    ++raised;
    timer.expires_after(period);
    timer.async_wait([&](const boost::system::error_code& error) {
      if (!error) tick();
    });
  };
  tick();
  io.run();
  return 0;
}
