// Backlog drain: how fast the gateway empties an outbox of queued alerts
// into a broker, against raw Paho QoS1 publishing of the same payloads to
// the same broker with the same in-flight window, in the same run.
//
// One executable, three roles:
//   (default)     the orchestrator: seeds the outbox, starts a private
//                 Mosquitto and a counting subscriber, runs the two roles
//                 below as child processes and prints the report;
//   --role raw    the baseline publisher (Paho C++ directly);
//   --role drain  the gateway side: edge::Outbox + edge::Uplink +
//                 mqtt::make_paho_client on an io_context.
// Each publisher runs in a process of its own so its peak RSS is its own:
// the baseline holds every payload in memory, the subscriber buffers what
// it receives, and neither belongs in the gateway's figure. Both are timed
// the same way: from the publisher's first publish (CLOCK_MONOTONIC is
// system-wide, so the child's stamp and the subscriber's compare) until
// the subscriber has counted every distinct payload.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <mqtt/async_client.h>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "bench/bench_support.hpp"
#include "common/mqtt/mqtt_client.hpp"
#include "common/sqlite/sqlite.hpp"
#include "common/topics.hpp"
#include "edge/outbox.hpp"
#include "edge/uplink.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/test_env.hpp"

namespace gridwatch::bench {
namespace {

namespace asio = boost::asio;

constexpr double kGoalRatio = 0.8;
constexpr double kGoalRssMib = 64;
// Bumped whenever make_alert or the outbox schema changes, so a cached
// seed file from an older build is never reused.
constexpr int kSeedVersion = 1;

edge::OutboxLimits unlimited() {
  edge::OutboxLimits limits;
  limits.max_rows = std::numeric_limits<std::int64_t>::max() / 2;
  limits.max_bytes = std::numeric_limits<std::int64_t>::max() / 2;
  return limits;
}

// User + system CPU this process used so far, all threads (Paho's too).
std::int64_t cpu_ms() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto ms = [](const timeval& t) { return static_cast<std::int64_t>(t.tv_sec) * 1000 + t.tv_usec / 1000; };
  return ms(usage.ru_utime) + ms(usage.ru_stime);
}

// Writes a file's dirty pages to disk now. The drain works on a fresh
// 79 MiB copy of the seed; left to the kernel, that copy's writeback would
// run during the timed drain and compete with the outbox's own I/O, which
// a gateway's long-written outbox never has to.
void flush_to_disk(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path + " to flush it");
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw std::runtime_error("cannot flush " + path);
}

// Voluntary context switches of this process so far, all threads: each
// is a thread going to sleep (a futex, poll or epoll wait), so their count
// per message shows how often threads hand work to each other.
std::int64_t voluntary_switches() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_nvcsw;
}

// ---------------------------------------------------------------- raw role

// Paho's action listener runs on Paho's thread; the publishing loop waits
// on the condition variable for a free slot in the window.
class WindowListener final : public ::mqtt::iaction_listener {
 public:
  void on_success(const ::mqtt::token&) override { finish(true); }
  void on_failure(const ::mqtt::token&) override { finish(false); }

  void acquire(std::size_t window) {
    std::unique_lock lock(mutex_);
    freed_.wait(lock, [&] { return in_flight_ < window; });
    ++in_flight_;
  }
  /// Never waits: for Paho's own thread, which must not block.
  bool try_acquire(std::size_t window) {
    std::lock_guard lock(mutex_);
    if (in_flight_ >= window) return false;
    ++in_flight_;
    return true;
  }
  void release_unused() {
    std::lock_guard lock(mutex_);
    --in_flight_;
    freed_.notify_one();
  }
  void wait_idle() {
    std::unique_lock lock(mutex_);
    freed_.wait(lock, [&] { return in_flight_ == 0; });
  }
  /// Until `count` publishes have ended (PUBACK or failure). Woken once,
  /// at the end, not at every result.
  void wait_ended(std::uint64_t count) {
    std::unique_lock lock(mutex_);
    ended_target_ = count;
    ended_.wait(lock, [&] { return acked_ + failed_ >= count; });
  }
  /// Called on Paho's thread after each result, outside the lock.
  void set_on_result(std::function<void()> on_result) { on_result_ = std::move(on_result); }
  std::int64_t last_ack_ns() const { return last_ack_ns_; }
  std::uint64_t acked() const { return acked_; }
  std::uint64_t failed() const { return failed_; }

 private:
  void finish(bool ok) {
    {
      std::lock_guard lock(mutex_);
      --in_flight_;
      if (ok) {
        ++acked_;
      } else {
        ++failed_;
      }
      last_ack_ns_ = monotonic_ns();
      freed_.notify_one();
      if (acked_ + failed_ == ended_target_) ended_.notify_one();
    }
    if (on_result_) on_result_();
  }

  std::function<void()> on_result_;

  std::mutex mutex_;
  std::condition_variable freed_;
  std::condition_variable ended_;
  std::uint64_t ended_target_ = 0;
  std::size_t in_flight_ = 0;
  std::uint64_t acked_ = 0;
  std::uint64_t failed_ = 0;
  std::int64_t last_ack_ns_ = 0;
};

int run_raw(const Args& args) {
  const auto window = static_cast<std::size_t>(args.integer("window"));
  std::vector<std::pair<std::string, std::string>> messages;
  {
    sqlite::Database db(args.text("db"));
    auto rows = db.prepare("SELECT topic, payload FROM outbox ORDER BY id");
    while (rows.step()) messages.emplace_back(rows.column_text(0), rows.column_blob(1));
  }
  const auto rss_loaded = proc_status_kib("VmRSS");

  ::mqtt::async_client client(args.text("uri"), args.text("client-id"), ::mqtt::create_options(MQTTVERSION_5),
                              nullptr);
  // The same session settings the gateway's adapter uses.
  auto options = ::mqtt::connect_options_builder()
                     .mqtt_version(MQTTVERSION_5)
                     .clean_start(false)
                     .keep_alive_interval(std::chrono::seconds(30))
                     .automatic_reconnect(false)
                     .max_inflight(static_cast<int>(window))
                     .properties({{::mqtt::property::SESSION_EXPIRY_INTERVAL, 7 * 24 * 3600}})
                     .finalize();
  client.connect(options)->wait();

  WindowListener listener;
  std::atomic<std::size_t> next{0};
  auto publish_next = [&](bool may_wait) {
    if (may_wait) {
      listener.acquire(window);
    } else if (!listener.try_acquire(window)) {
      return false;  // the window is full: a later result takes the slot
    }
    const auto i = next.fetch_add(1);
    if (i >= messages.size()) {
      listener.release_unused();
      return false;
    }
    try {
      client.publish(::mqtt::make_message(messages[i].first, messages[i].second, 1, false), nullptr, listener);
    } catch (const ::mqtt::exception& error) {
      listener.release_unused();
      std::fprintf(stderr, "raw publish refused: %s\n", error.what());
    }
    return true;
  };
  // --raw-publish-from callback (a diagnostic, not the baseline): each
  // result's callback publishes the next message on Paho's thread, the
  // way the gateway's adapter hands queued publishes over.
  const bool from_callback = args.text("raw-publish-from") == "callback";
  if (from_callback) listener.set_on_result([&] { publish_next(false); });
  const auto start_switches = voluntary_switches();
  const auto start_cpu = cpu_ms();
  const auto start_ns = monotonic_ns();
  if (from_callback) {
    for (std::size_t i = 0; i < window && publish_next(true);) ++i;
    listener.wait_ended(messages.size());
  } else {
    while (publish_next(true)) {
    }
  }
  listener.wait_idle();
  const auto end_ns = listener.last_ack_ns();
  const auto used_cpu = cpu_ms() - start_cpu;
  const auto switches = voluntary_switches() - start_switches;
  client.disconnect()->wait();
  fmt::print(
      "RESULT start_ns={} end_ns={} sent={} acked={} failed={} rss_before_kib={} hwm_kib={} cpu_ms={} "
      "switches={}\n",
      start_ns, end_ns, messages.size(), listener.acked(), listener.failed(), rss_loaded, proc_status_kib("VmHWM"),
      used_cpu, switches);
  return listener.failed() == 0 ? 0 : 1;
}

// -------------------------------------------------------------- drain role

int run_drain(const Args& args) {
  spdlog::set_level(spdlog::level::warn);
  const auto window = static_cast<int>(args.integer("window"));
  asio::io_context io;
  edge::Outbox outbox(args.text("db"), unlimited(), wall_clock_ms());
  const auto queued = outbox.stats().rows;
  const auto rss_before = proc_status_kib("VmRSS");

  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  std::int64_t start_cpu = 0;
  std::int64_t used_cpu = 0;
  std::int64_t start_switches = 0;
  std::int64_t switches = 0;
  std::int64_t rss_peak = rss_before;
  std::unique_ptr<edge::Uplink> uplink;
  mqtt::Options options;
  options.server_uri = args.text("uri");
  options.client_id = args.text("client-id");
  // As common/mqtt_settings.cpp does for the gateway; --paho-max-inflight
  // overrides it only to diagnose (docs/benchmarks.md).
  const auto paho_max_inflight = args.integer("paho-max-inflight");
  options.max_inflight = paho_max_inflight > 0 ? static_cast<int>(paho_max_inflight) : window;
  mqtt::Handlers handlers;
  handlers.on_connected = [&](bool) {
    if (start_ns == 0) {
      start_switches = voluntary_switches();
      start_cpu = cpu_ms();
      start_ns = monotonic_ns();
    }
    uplink->pump();
  };
  auto client = mqtt::make_paho_client(io, options, handlers);
  uplink = std::make_unique<edge::Uplink>(io, outbox, *client, window);

  // Polls for "outbox empty" and samples RSS. 5 ms of polling latency is
  // noise against a drain of seconds; the subscriber's clock is the
  // primary figure anyway. The poll runs on the gateway's io_context, so
  // it must not add work a gateway would not do: RSS is read every 100 ms
  // (VmHWM, the reported peak, is exact anyway), and the uplink's own
  // flush timer deletes acknowledged rows until every row has its PUBACK.
  asio::steady_timer poll(io);
  const auto deadline_ns = monotonic_ns() + args.integer("timeout-s") * 1'000'000'000;
  int ticks = 0;
  std::function<void()> check = [&] {
    if (ticks++ % 20 == 0) rss_peak = std::max(rss_peak, proc_status_kib("VmRSS"));
    if (start_ns != 0 && uplink->in_flight() == 0 && uplink->counters().delivered >= queued) {
      uplink->flush_delivered();
      if (outbox.stats().rows == 0) {
        end_ns = monotonic_ns();
        used_cpu = cpu_ms() - start_cpu;
        switches = voluntary_switches() - start_switches;
        client->stop(std::nullopt, 2000);
        return;
      }
    }
    if (monotonic_ns() > deadline_ns) {
      client->stop(std::nullopt, 2000);
      return;
    }
    poll.expires_after(std::chrono::milliseconds(5));
    poll.async_wait([&](const boost::system::error_code& error) {
      if (!error) check();
    });
  };
  client->start();
  check();
  io.run();

  const auto& counters = uplink->counters();
  fmt::print(
      "RESULT start_ns={} end_ns={} queued={} published={} delivered={} failed={} rows_left={} rss_before_kib={} "
      "rss_peak_kib={} hwm_kib={} cpu_ms={} switches={}\n",
      start_ns, end_ns, queued, counters.published, counters.delivered, counters.failed, outbox.stats().rows,
      rss_before, rss_peak, proc_status_kib("VmHWM"), used_cpu, switches);
  return end_ns != 0 ? 0 : 1;
}

// ------------------------------------------------------- orchestrator role

// Counts distinct payloads on gridwatch/v1/+/alert with our own adapter,
// clean start, QoS1: central's view of the delivery.
class Subscriber {
 public:
  explicit Subscriber(const std::string& uri) : guard_(asio::make_work_guard(io_)) {
    mqtt::Options options;
    options.server_uri = uri;
    options.client_id = "bench-subscriber";
    options.clean_start = true;
    mqtt::Handlers handlers;
    handlers.on_message = [this](mqtt::Message message) { on_message(message); };
    client_ = mqtt::make_paho_client(io_, options, handlers);
    client_->subscribe(all_gateways_filter(Channel::alert), 1);
    client_->start();
    thread_ = std::thread([this] { io_.run(); });
    // A subscription is live once our own probe comes back through it.
    const auto probe_topic = make_topic("bench-probe", Channel::alert);
    const bool ready = test::wait_until(
        [&] {
          asio::post(io_, [this, probe_topic] {
            if (client_->connected()) client_->publish({probe_topic, "probe", 1, false}, nullptr);
          });
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          return probe_seen_.load();
        },
        std::chrono::seconds(30));
    if (!ready) throw std::runtime_error("subscriber never saw its probe message on " + uri);
  }
  ~Subscriber() {
    asio::post(io_, [this] { client_->stop(std::nullopt, 1000); });
    guard_.reset();
    thread_.join();
  }
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  /// Starts a new phase expecting `count` distinct payloads.
  void expect(std::uint64_t count) {
    std::lock_guard lock(mutex_);
    seen_.clear();
    seen_.reserve(count);
    received_ = 0;
    expected_ = count;
    done_ns_ = 0;
  }
  bool wait_all(std::chrono::seconds timeout) {
    return test::wait_until([this] { return done(); }, timeout);
  }
  bool done() {
    std::lock_guard lock(mutex_);
    return done_ns_ != 0;
  }
  std::int64_t done_ns() {
    std::lock_guard lock(mutex_);
    return done_ns_;
  }
  std::uint64_t received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::uint64_t distinct() {
    std::lock_guard lock(mutex_);
    return seen_.size();
  }

 private:
  void on_message(const mqtt::Message& message) {
    if (message.payload == "probe") {
      probe_seen_ = true;
      return;
    }
    std::lock_guard lock(mutex_);
    ++received_;
    // Payloads embed the alert id, so the hash tells a re-send apart.
    seen_.insert(std::hash<std::string>{}(message.payload));
    if (done_ns_ == 0 && seen_.size() >= expected_) done_ns_ = monotonic_ns();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::unique_ptr<mqtt::Client> client_;
  std::thread thread_;
  std::atomic<bool> probe_seen_{false};
  std::mutex mutex_;
  std::unordered_set<std::size_t> seen_;
  std::uint64_t received_ = 0;
  std::uint64_t expected_ = 0;
  std::int64_t done_ns_ = 0;
};

struct PhaseResult {
  double e2e_s = 0;        ///< first publish -> subscriber counted all
  double publisher_s = 0;  ///< first publish -> last PUBACK (raw) / outbox empty (drain)
  std::uint64_t received = 0;
  std::uint64_t distinct = 0;
  std::int64_t rss_before_kib = 0;
  std::int64_t rss_peak_kib = 0;  ///< VmHWM: the whole child process lifetime
  double cpu_ms = 0;              ///< publisher process CPU (all threads) from first publish to done
  double switches = 0;            ///< voluntary context switches of the publisher process, same span
  std::map<std::string, std::string> fields;
};

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  std::string word;
  while (in >> word) words.push_back(word);
  return words;
}

// What every phase of a run shares.
struct RunSettings {
  std::string uri;  ///< the private broker
  std::uint64_t count = 0;
  std::int64_t window = 0;
  std::vector<std::string> child_args;  ///< diagnostic options handed on to both roles
};

PhaseResult run_phase(Subscriber& subscriber, const RunSettings& run, const std::string& role,
                      const std::vector<std::string>& prefix, const std::string& db, const std::string& client_id,
                      const std::string& log_path) {
  const auto count = run.count;
  const auto timeout_s = 60 + static_cast<std::int64_t>(count / 200);
  subscriber.expect(count);
  std::vector<std::string> argv = prefix;
  argv.insert(argv.end(), {std::filesystem::read_symlink("/proc/self/exe").string(), "--role", role, "--uri", run.uri,
                           "--db", db, "--client-id", client_id, "--window", std::to_string(run.window),
                           "--timeout-s", std::to_string(timeout_s)});
  argv.insert(argv.end(), run.child_args.begin(), run.child_args.end());
  test::ChildProcess child(argv, log_path);
  // A child that dies early fails the phase at once, not after the timeout;
  // one that finished normally may still have messages on their way.
  test::wait_until([&] { return subscriber.done() || !child.running(); }, std::chrono::seconds(timeout_s));
  const bool all = subscriber.wait_all(std::chrono::seconds(10));
  const auto exit_code = child.wait_exit(std::chrono::seconds(all ? 60 : 5));
  const auto fields = parse_result_line(child.log());
  if (!all || exit_code != 0 || !fields) {
    throw std::runtime_error(fmt::format("{} phase failed: subscriber got {} distinct of {}, exit {}; log:\n{}", role,
                                         subscriber.distinct(), count, exit_code ? std::to_string(*exit_code) : "?",
                                         child.log()));
  }
  PhaseResult result;
  result.fields = *fields;
  const auto start_ns = std::stoll(fields->at("start_ns"));
  result.e2e_s = static_cast<double>(subscriber.done_ns() - start_ns) / 1e9;
  result.publisher_s = static_cast<double>(std::stoll(fields->at("end_ns")) - start_ns) / 1e9;
  result.received = subscriber.received();
  result.distinct = subscriber.distinct();
  result.rss_before_kib = std::stoll(fields->at("rss_before_kib"));
  result.rss_peak_kib = std::stoll(fields->at("hwm_kib"));
  result.cpu_ms = std::stod(fields->at("cpu_ms"));
  result.switches = std::stod(fields->at("switches"));
  return result;
}

// Appending through Outbox::append_sequenced is the only honest way to
// build the backlog (one fsync per alert, about 20 s for 100,000 here), so
// the file can be cached across runs with --cache-dir.
std::string seeded_outbox(const Args& args, const test::TempDir& work, std::uint64_t count, double& seed_rate) {
  const auto name = fmt::format("outbox-seed-v{}-{}.db", kSeedVersion, count);
  std::string cached;
  if (args.has("cache-dir")) {
    std::filesystem::create_directories(args.text("cache-dir"));
    cached = args.text("cache-dir") + "/" + name;
    if (std::filesystem::exists(cached)) {
      sqlite::Database db(cached);
      if (db.query_text("SELECT count(*) FROM outbox") == std::to_string(count)) {
        fmt::print("seed: reusing {}\n", cached);
        return cached;
      }
    }
  }
  const auto path = work.file(name);
  {
    edge::Outbox outbox(path, unlimited(), wall_clock_ms());
    const auto topic = make_topic(kBenchGatewayId, Channel::alert);
    const auto started = monotonic_ns();
    for (std::uint64_t seq = 1; seq <= count; ++seq) {
      const auto now = wall_clock_ms();
      const auto result = outbox.append_sequenced(
          edge::priority_for(alert_kind_for(seq)), topic,
          [&](std::uint64_t assigned) { return encode(make_alert(assigned, outbox.epoch(), now)); }, now);
      if (result.status != edge::AppendStatus::stored) throw std::runtime_error("seed append failed: " + result.error);
      if (seq % 20'000 == 0) fmt::print("seed: {} of {} appended\n", seq, count);
    }
    seed_rate = static_cast<double>(count) / (static_cast<double>(monotonic_ns() - started) / 1e9);
    fmt::print("seed: {} alerts appended through Outbox::append_sequenced at {:.0f}/s\n", count, seed_rate);
  }  // closing the last connection checkpoints the WAL into the file
  if (!cached.empty()) {
    std::filesystem::copy_file(path, cached, std::filesystem::copy_options::overwrite_existing);
    return cached;
  }
  return path;
}

int run_orchestrator(const Args& args) {
  spdlog::set_level(spdlog::level::warn);
  const auto count = static_cast<std::uint64_t>(args.integer("count"));
  const auto window = args.integer("window");
  const auto rounds = std::max<std::int64_t>(1, args.integer("rounds"));
  if (count == 0 || window < 1) throw std::invalid_argument("--count and --window must be positive");
  if (args.has("dir")) setenv("TMPDIR", args.text("dir").c_str(), 1);
  const auto prefix = split_words(args.text("drain-prefix"));
  const auto raw_prefix = split_words(args.text("raw-prefix"));
  const auto paho_max_inflight = args.integer("paho-max-inflight");
  const auto machine = machine_summary();

  test::TempDir work;
  double seed_rate = 0;
  const auto seed = seeded_outbox(args, work, count, seed_rate);
  double mean_payload = 0;
  {
    sqlite::Database db(seed);
    mean_payload = std::stod(db.query_text("SELECT avg(length(payload)) FROM outbox").value_or("0"));
  }

  // --broker-config appends lines to the test broker's config, to
  // diagnose (e.g. "set_tcp_nodelay true"); the default is tests/support's.
  auto broker_config = args.text("broker-config");
  for (auto& c : broker_config) {
    if (c == ';') c = '\n';
  }
  test::MosquittoBroker broker(broker_config);
  Subscriber subscriber(broker.uri());

  const RunSettings settings{broker.uri(), count, window,
                             {"--paho-max-inflight", std::to_string(paho_max_inflight), "--raw-publish-from",
                              args.text("raw-publish-from")}};
  std::vector<PhaseResult> raw_runs;
  std::vector<PhaseResult> drain_runs;
  for (std::int64_t round = 0; round < rounds; ++round) {
    auto run_raw_phase = [&] {
      raw_runs.push_back(run_phase(subscriber, settings, "raw", raw_prefix, seed, fmt::format("bench-raw-{}", round),
                                   work.file(fmt::format("raw-{}.log", round))));
    };
    auto run_drain_phase = [&] {
      const auto copy = work.file(fmt::format("drain-{}.db", round));
      std::filesystem::copy_file(seed, copy);
      flush_to_disk(copy);
      drain_runs.push_back(run_phase(subscriber, settings, "drain", prefix, copy,
                                     fmt::format("gw-bench-drain-{}", round),
                                     work.file(fmt::format("drain-{}.log", round))));
      std::filesystem::remove(copy);
    };
    // Alternate the order: on a shared machine load comes and goes, and
    // neither side should always run first (or always after the other's
    // broker-side clean-up).
    if (round % 2 == 0) {
      run_raw_phase();
      run_drain_phase();
    } else {
      run_drain_phase();
      run_raw_phase();
    }
  }
  const auto load_after = load_average();

  auto total = [&](const std::vector<PhaseResult>& runs, double PhaseResult::*field) {
    double sum = 0;
    for (const auto& run : runs) sum += run.*field;
    return static_cast<double>(count) * static_cast<double>(runs.size()) / sum;
  };
  auto peak = [](const std::vector<PhaseResult>& runs, std::int64_t PhaseResult::*field) {
    std::int64_t most = 0;
    for (const auto& run : runs) most = std::max(most, run.*field);
    return most;
  };
  auto dupes = [](const std::vector<PhaseResult>& runs) {
    std::uint64_t sum = 0;
    for (const auto& run : runs) sum += run.received - run.distinct;
    return sum;
  };
  const auto raw_e2e = total(raw_runs, &PhaseResult::e2e_s);
  const auto drain_e2e = total(drain_runs, &PhaseResult::e2e_s);
  const auto raw_pub = total(raw_runs, &PhaseResult::publisher_s);
  const auto drain_pub = total(drain_runs, &PhaseResult::publisher_s);
  const auto ratio = drain_e2e / raw_e2e;
  // Per-round ratios (both sides a few seconds apart) and their median:
  // steadier than the pooled ratio when other jobs load the machine.
  std::vector<double> round_ratios;
  for (std::size_t i = 0; i < raw_runs.size(); ++i) round_ratios.push_back(raw_runs[i].e2e_s / drain_runs[i].e2e_s);
  auto sorted_ratios = round_ratios;
  const auto median_ratio = percentile(sorted_ratios, 50);
  auto cpu_per_msg = [&](const std::vector<PhaseResult>& runs) {
    double sum = 0;
    for (const auto& run : runs) sum += run.cpu_ms;
    return sum * 1000.0 / (static_cast<double>(count) * static_cast<double>(runs.size()));
  };
  const auto raw_cpu = cpu_per_msg(raw_runs);
  const auto drain_cpu = cpu_per_msg(drain_runs);
  auto switches_per_msg = [&](const std::vector<PhaseResult>& runs) {
    double sum = 0;
    for (const auto& run : runs) sum += run.switches;
    return sum / (static_cast<double>(count) * static_cast<double>(runs.size()));
  };
  const auto drain_rss = mib(peak(drain_runs, &PhaseResult::rss_peak_kib));

  fmt::print("\nbench_backlog_drain: {} queued alerts (mean payload {:.0f} B), QoS1, window {}, {} round(s)\n", count,
             mean_payload, window, rounds);
  fmt::print("broker: private mosquitto on {} (tests/support config); subscriber: mqtt::make_paho_client, clean start\n",
             broker.uri());
  if (args.text("raw-publish-from") == "callback") {
    fmt::print("raw side: DIAGNOSTIC variant, each PUBACK callback publishes the next message on Paho's thread\n");
  }
  fmt::print("machine at start: {}; load average after: {}\n\n", machine, load_after);
  fmt::print("{:<32} {:>10} {:>12} {:>8} {:>11} {:>10} {:>12}\n", "", "e2e msg/s", "publisher/s", "e2e s",
             "CPU us/msg", "RSS peak", "RSS at start");
  auto row = [&](const std::string& name, const PhaseResult& run) {
    fmt::print("{:<32} {:>10.0f} {:>12.0f} {:>8.2f} {:>11.1f} {:>6.1f} MiB {:>8.1f} MiB\n", name,
               static_cast<double>(count) / run.e2e_s, static_cast<double>(count) / run.publisher_s, run.e2e_s,
               run.cpu_ms * 1000.0 / static_cast<double>(count), mib(run.rss_peak_kib), mib(run.rss_before_kib));
  };
  for (std::size_t i = 0; i < raw_runs.size(); ++i) {
    row(fmt::format("raw Paho QoS1 publisher [{}]", i), raw_runs[i]);
    row(fmt::format("edge::Uplink drain [{}]", i), drain_runs[i]);
  }
  fmt::print("\nratio drain/raw: {:.2f} end to end, {:.2f} publisher side (goal >= {:.2f}: {})\n", ratio,
             drain_pub / raw_pub, kGoalRatio, ratio >= kGoalRatio ? "met" : "NOT met");
  fmt::print("per-round end-to-end ratios: {:.2f}, median {:.2f}\n", fmt::join(round_ratios, ", "), median_ratio);
  fmt::print("publisher CPU per message (all threads): drain {:.1f} us, raw {:.1f} us ({:.2f}x)\n", drain_cpu,
             raw_cpu, drain_cpu / raw_cpu);
  fmt::print("publisher voluntary context switches per message: drain {:.2f}, raw {:.2f}\n",
             switches_per_msg(drain_runs), switches_per_msg(raw_runs));
  fmt::print("gateway (drain process) peak RSS: {:.1f} MiB (goal <= {:.0f} MiB: {})\n", drain_rss, kGoalRssMib,
             drain_rss <= kGoalRssMib ? "met" : "NOT met");
  fmt::print("raw publisher peak RSS, for reference: {:.1f} MiB (it holds all {} payloads in memory)\n",
             mib(peak(raw_runs, &PhaseResult::rss_peak_kib)), count);
  fmt::print("duplicates seen by the subscriber: raw {}, drain {}; outbox seed rate {:.0f}/s{}\n", dupes(raw_runs),
             dupes(drain_runs), seed_rate, seed_rate == 0 ? " (cached seed)" : "");
  fmt::print(
      "{{\"bench\":\"backlog_drain\",\"count\":{},\"window\":{},\"rounds\":{},\"drain_per_s\":{:.0f},"
      "\"raw_per_s\":{:.0f},\"ratio\":{:.3f},\"median_round_ratio\":{:.3f},\"drain_cpu_us_per_msg\":{:.1f},"
      "\"raw_cpu_us_per_msg\":{:.1f},\"drain_publisher_per_s\":{:.0f},\"raw_publisher_per_s\":{:.0f},"
      "\"goal_ratio\":{},\"drain_rss_peak_mib\":{:.1f},\"goal_rss_mib\":{},\"goal_met\":{},"
      "\"load_after\":\"{}\",\"raw_publish_from\":\"{}\"}}\n",
      count, window, rounds, drain_e2e, raw_e2e, ratio, median_ratio, drain_cpu, raw_cpu, drain_pub, raw_pub, kGoalRatio, drain_rss, kGoalRssMib,
      ratio >= kGoalRatio && drain_rss <= kGoalRssMib, load_after, args.text("raw-publish-from"));
  return 0;
}

}  // namespace
}  // namespace gridwatch::bench

int main(int argc, char** argv) {
  try {
    const gridwatch::bench::Args args(argc, argv,
                                      {{"role", "orchestrator"},
                                       {"count", "100000"},
                                       {"window", "32"},
                                       {"rounds", "3"},
                                       {"dir", ""},
                                       {"cache-dir", ""},
                                       {"drain-prefix", ""},
                                       {"raw-prefix", ""},
                                       {"uri", ""},
                                       {"db", ""},
                                       {"client-id", ""},
                                       {"timeout-s", "600"},
                                       {"paho-max-inflight", "0"},
                                       {"raw-publish-from", "main"},
                                       {"broker-config", ""}});
    const auto role = args.text("role");
    if (role == "raw") return gridwatch::bench::run_raw(args);
    if (role == "drain") return gridwatch::bench::run_drain(args);
    if (role == "orchestrator") return gridwatch::bench::run_orchestrator(args);
    throw std::invalid_argument("unknown --role " + role);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_backlog_drain: %s\n", error.what());
    return 2;
  }
}
