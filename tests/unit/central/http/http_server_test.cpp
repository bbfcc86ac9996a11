// The real HTTP server on a free port, against a real SQLite store in a
// temporary directory, spoken to over real sockets by a Beast client.
#include <catch2/catch.hpp>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "central/auth/auth_service.hpp"
#include "central/auth/password.hpp"
#include "central/http/http_server.hpp"
#include "central/sqlite_store.hpp"
#include "tests/support/live_feed_client.hpp"
#include "tests/support/test_env.hpp"
#include "common/sqlite/sqlite.hpp"
#include "common/wire.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using gridwatch::central::HttpServer;
using gridwatch::central::HttpSettings;
using gridwatch::central::IngestCounters;
using gridwatch::central::SqliteStore;
using Response = http::response<http::string_body>;

constexpr std::chrono::seconds kClientTimeout{5};

using gridwatch::test::TempDir;

gridwatch::Alert make_alert(const std::string& gateway, int seq, const std::string& episode,
                            gridwatch::Phase phase = gridwatch::Phase::start) {
  gridwatch::Alert alert;
  alert.gateway_id = gateway;
  alert.seq = static_cast<std::uint64_t>(seq);
  alert.alert_id = gateway + ":1:" + std::to_string(seq);
  alert.episode_id = episode;
  alert.phase = phase;
  alert.kind = gridwatch::AlertKind::smoke;
  alert.severity = gridwatch::Severity::severe;
  alert.confidence = 0.875;
  alert.detected_at_ms = 1'700'000'000'000 + seq;
  alert.location.lat = 30.5;
  alert.location.lon = 114.25;
  alert.location.camera = "cam-1";
  alert.summary = "smoke at " + gateway + " #" + std::to_string(seq);
  return alert;
}

/// Settings for the transport's own tests: no sign-in (http.auth: off).
HttpSettings without_sign_in() {
  HttpSettings settings;
  settings.auth_required = false;
  return settings;
}

/// A SqliteStore and an HttpServer on 127.0.0.1:<free port>, with the
/// io_context running on its own thread as in gridwatch-central.
class RunningServer {
 public:
  explicit RunningServer(HttpSettings settings = without_sign_in(), IngestCounters counters = {})
      : store_(dir_.file("central.db")), counters_(counters) {
    settings.listen_address = "127.0.0.1";
    settings.port = 0;
    server_.emplace(io_, settings, store_, [this] { return counters_; });
    server_->start();
    port_ = server_->port();
    thread_ = std::thread([this] {
      io_.run();
      drained_.set_value();
    });
  }
  ~RunningServer() { shut_down(); }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::filesystem::path dir() const { return dir_.path(); }
  /// The server's own store; use it only inside on_io().
  SqliteStore& store() { return store_; }
  /// The server itself; use it only inside on_io().
  HttpServer& server() { return *server_; }

  /// Runs `fn` on the io thread, where the store may be used, and waits.
  template <typename Fn>
  auto on_io(Fn fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    asio::post(io_, [&task] { task(); });
    return result.get();
  }

  /// Stops the server on its thread. True when io_context::run() then
  /// returned by itself, i.e. stop() left no timer, accept or connection
  /// behind; false when it had to be forced.
  bool shut_down() {
    if (!thread_.joinable()) return true;
    asio::post(io_, [this] { server_->stop(); });
    const bool clean = drained_.get_future().wait_for(std::chrono::seconds(5)) == std::future_status::ready;
    if (!clean) io_.stop();
    thread_.join();
    return clean;
  }

 private:
  TempDir dir_;
  SqliteStore store_;
  IngestCounters counters_;
  asio::io_context io_;
  std::optional<HttpServer> server_;
  std::uint16_t port_ = 0;
  std::promise<void> drained_;
  std::thread thread_;
};

/// A blocking HTTP/1.1 client with a deadline on every operation, so a
/// misbehaving server fails the test instead of hanging it.
class Client {
 public:
  explicit Client(std::uint16_t port) : stream_(io_) {
    stream_.expires_after(kClientTimeout);
    REQUIRE_FALSE(run([&](auto handler) {
      stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                            [handler](beast::error_code error) { handler(error, 0); });
    }));
  }

  Response get(const std::string& target, http::verb method = http::verb::get) {
    http::request<http::string_body> request{method, target, 11};
    request.set(http::field::host, "127.0.0.1");
    request.keep_alive(true);
    request.prepare_payload();
    REQUIRE_FALSE(write(request));
    Response response;
    REQUIRE_FALSE(read(response));
    return response;
  }

  beast::error_code send_raw(const std::string& bytes) {
    stream_.expires_after(kClientTimeout);
    return run([&](auto handler) { asio::async_write(stream_, asio::buffer(bytes), handler); });
  }

  template <typename Request>
  beast::error_code write(Request& request) {
    stream_.expires_after(kClientTimeout);
    return run([&](auto handler) { http::async_write(stream_, request, handler); });
  }

  beast::error_code read(Response& response) {
    stream_.expires_after(kClientTimeout);
    return run([&](auto handler) { http::async_read(stream_, buffer_, response, handler); });
  }

  /// For HEAD: the parser must not expect the body Content-Length announces.
  beast::error_code read_header_only(http::response_parser<http::string_body>& parser) {
    parser.skip(true);
    stream_.expires_after(kClientTimeout);
    return run([&](auto handler) { http::async_read(stream_, buffer_, parser, handler); });
  }

  /// True when the server closed the connection (EOF or reset) without
  /// sending anything more; false on data or on our own timeout.
  bool closed_by_server() {
    stream_.expires_after(kClientTimeout);
    std::array<char, 256> scratch{};
    std::size_t received = 0;
    const auto error = run([&](auto handler) {
      stream_.async_read_some(asio::buffer(scratch), [&received, handler](beast::error_code e, std::size_t n) {
        received = n;
        handler(e, n);
      });
    });
    return received == 0 && (error == asio::error::eof || error == asio::error::connection_reset);
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  template <typename Start>
  beast::error_code run(Start start) {
    beast::error_code result = asio::error::would_block;
    bool done = false;
    start([&result, &done](beast::error_code error, std::size_t) {
      result = error;
      done = true;
    });
    io_.restart();
    io_.run();
    REQUIRE(done);
    return result;
  }

  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

nlohmann::json body_json(const Response& response) {
  INFO(response.body());
  auto json = nlohmann::json::parse(response.body(), nullptr, false);
  REQUIRE_FALSE(json.is_discarded());
  return json;
}

std::string content_type(const Response& response) { return std::string(response[http::field::content_type]); }

/// Checks `text` against the Prometheus text format 0.0.4 as far as this
/// server uses it (no labels, no timestamps) and returns the samples.
std::map<std::string, double> parse_prometheus(const std::string& text) {
  REQUIRE_FALSE(text.empty());
  REQUIRE(text.back() == '\n');
  const auto valid_name = [](const std::string& name) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
    for (const char c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':') return false;
    }
    return true;
  };
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  std::map<std::string, double> samples;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    INFO(line);
    if (line.empty()) continue;
    std::istringstream words(line);
    if (line[0] == '#') {
      std::string hash, keyword, name, rest;
      words >> hash >> keyword >> name;
      std::getline(words, rest);
      if (keyword == "HELP") {
        CHECK(valid_name(name));
        CHECK(helped.insert(name).second);
        CHECK_FALSE(rest.empty());
      } else if (keyword == "TYPE") {
        CHECK(valid_name(name));
        CHECK(std::set<std::string>{" counter", " gauge", " histogram", " summary", " untyped"}.count(rest) == 1);
        CHECK(types.emplace(name, rest.substr(1)).second);
        CHECK(samples.count(name) == 0);  // TYPE must precede the samples
      }
      continue;
    }
    std::string name, value, extra;
    words >> name >> value >> extra;
    CHECK(valid_name(name));
    CHECK(extra.empty());
    REQUIRE(types.count(name) == 1);
    if (types[name] == "counter") CHECK(name.size() > 6);
    if (types[name] == "counter") CHECK(name.substr(name.size() - 6) == "_total");
    char* end = nullptr;
    const double number = std::strtod(value.c_str(), &end);
    REQUIRE(end == value.c_str() + value.size());
    CHECK(samples.emplace(name, number).second);
  }
  CHECK(helped.size() == types.size());
  return samples;
}

}  // namespace

TEST_CASE("GET /healthz answers ok, keeping the connection alive", "[http]") {
  RunningServer server;
  Client client(server.port());
  for (int i = 0; i < 3; ++i) {
    const auto response = client.get("/healthz");
    CHECK(response.result() == http::status::ok);
    CHECK(content_type(response) == "application/json");
    CHECK(response.keep_alive());
    CHECK(body_json(response) == nlohmann::json{{"status", "ok"}});
  }
  // Pipelined: two requests in one write are answered in order.
  REQUIRE_FALSE(client.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                                "GET /api/v1/gateways HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response first;
  Response second;
  REQUIRE_FALSE(client.read(first));
  REQUIRE_FALSE(client.read(second));
  CHECK(body_json(first) == nlohmann::json{{"status", "ok"}});
  CHECK(body_json(second) == nlohmann::json{{"gateways", nlohmann::json::array()}});
  client.close();
  CHECK(server.shut_down());
}

TEST_CASE("GET /api/v1/incidents lists incidents newest first, with limit and gateway filters", "[http]") {
  RunningServer server;
  server.on_io([&] {
    auto& store = server.store();
    for (const auto& alert : {make_alert("gw-1", 1, "gw-1:ep-a"), make_alert("gw-2", 1, "gw-2:ep-b"),
                              make_alert("gw-1", 2, "gw-1:ep-c"),
                              make_alert("gw-1", 3, "gw-1:ep-a", gridwatch::Phase::end)}) {
      store.record_alert(alert, gridwatch::encode(alert), 1'700'000'000'500);
    }
  });
  Client client(server.port());

  auto response = client.get("/api/v1/incidents");
  REQUIRE(response.result() == http::status::ok);
  CHECK(content_type(response) == "application/json");
  auto list = body_json(response).at("incidents");
  REQUIRE(list.size() == 3);
  CHECK(list[0]["episode_id"] == "gw-1:ep-c");
  CHECK(list[1]["episode_id"] == "gw-2:ep-b");
  CHECK(list[2]["episode_id"] == "gw-1:ep-a");
  CHECK(list[0]["id"].get<int>() > list[1]["id"].get<int>());
  CHECK(list[0]["episode_ended_ms"].is_null());
  CHECK(list[2]["episode_ended_ms"] == 1'700'000'000'003);
  CHECK(list[2]["alert_count"] == 2);
  CHECK(list[2]["kind"] == "smoke");
  CHECK(list[2]["severity"] == "severe");
  CHECK(list[2]["state"] == "new");
  CHECK(list[2]["camera"] == "cam-1");
  CHECK(list[2]["lat"] == 30.5);
  CHECK(list[2]["detected_at_ms"] == 1'700'000'000'001);

  list = body_json(client.get("/api/v1/incidents?limit=1")).at("incidents");
  REQUIRE(list.size() == 1);
  CHECK(list[0]["episode_id"] == "gw-1:ep-c");

  list = body_json(client.get("/api/v1/incidents?gateway=gw-2&limit=1000")).at("incidents");
  REQUIRE(list.size() == 1);
  CHECK(list[0]["gateway_id"] == "gw-2");

  list = body_json(client.get("/api/v1/incidents?gateway=%67w%2D1")).at("incidents");  // "gw-1", percent-encoded
  CHECK(list.size() == 2);

  list = body_json(client.get("/api/v1/incidents?gateway=gw-9")).at("incidents");
  CHECK(list.empty());
  CHECK(server.shut_down());
}

TEST_CASE("GET /api/v1/incidents returns at most 100 by default", "[http]") {
  RunningServer server;
  server.on_io([&] {
    auto& store = server.store();
    for (int seq = 1; seq <= 101; ++seq) {
      const auto alert = make_alert("gw-1", seq, "gw-1:ep-" + std::to_string(seq));
      store.record_alert(alert, gridwatch::encode(alert), 1'700'000'000'500);
    }
  });
  Client client(server.port());
  const auto list = body_json(client.get("/api/v1/incidents")).at("incidents");
  REQUIRE(list.size() == 100);
  CHECK(list[0]["episode_id"] == "gw-1:ep-101");
  CHECK(list[99]["episode_id"] == "gw-1:ep-2");
  CHECK(server.shut_down());
}

TEST_CASE("bad query parameters get 400 naming the parameter", "[http]") {
  RunningServer server;
  Client client(server.port());
  const std::string limit_error = "limit: must be an integer between 1 and 1000";
  const std::vector<std::pair<std::string, std::string>> cases{
      {"/api/v1/incidents?limit=0", limit_error},
      {"/api/v1/incidents?limit=1001", limit_error},
      {"/api/v1/incidents?limit=-5", limit_error},
      {"/api/v1/incidents?limit=abc", limit_error},
      {"/api/v1/incidents?limit=5x", limit_error},
      {"/api/v1/incidents?limit=", limit_error},
      {"/api/v1/incidents?limit=99999999999999999999999", limit_error},
      {"/api/v1/incidents?limit=5&limit=6", "limit: given more than once"},
      {"/api/v1/incidents?limt=5", "limt: unknown parameter"},
      {"/api/v1/incidents?gateway=gw/1", "gateway: must be a gateway id, 1-64 characters of A-Z a-z 0-9 _ -"},
      {"/api/v1/incidents?gateway=", "gateway: must be a gateway id, 1-64 characters of A-Z a-z 0-9 _ -"},
      {"/api/v1/incidents?gateway=%zz", "gateway: malformed percent-encoding"},
      {"/api/v1/gateways?limit=5", "limit: unknown parameter"},
  };
  for (const auto& [target, error] : cases) {
    INFO(target);
    const auto response = client.get(target);
    CHECK(response.result() == http::status::bad_request);
    CHECK(content_type(response) == "application/json");
    CHECK(body_json(response) == nlohmann::json{{"error", error}});
  }
  // The connection survives client errors.
  CHECK(client.get("/healthz").result() == http::status::ok);
  CHECK(server.shut_down());
}

TEST_CASE("GET /api/v1/gateways lists gateways with their last telemetry", "[http]") {
  RunningServer server;
  server.on_io([&] {
    auto& store = server.store();
    store.record_status({"gw-2", gridwatch::PresenceState::offline, "boot-2", 1000, "0.1.0", std::nullopt, std::nullopt}, 2000);
    store.record_status({"gw-1", gridwatch::PresenceState::online, "boot-1", 1000, "0.1.0", std::nullopt, std::nullopt}, 3000);
    gridwatch::Telemetry telemetry;
    telemetry.gateway_id = "gw-1";
    telemetry.boot_id = "boot-1";
    telemetry.ts_ms = 4000;
    telemetry.uptime_s = 77;
    telemetry.outbox.stored_bytes = 4096;
    store.record_telemetry(telemetry, gridwatch::encode(telemetry), 4500);
  });
  Client client(server.port());
  const auto response = client.get("/api/v1/gateways");
  REQUIRE(response.result() == http::status::ok);
  CHECK(content_type(response) == "application/json");
  const auto list = body_json(response).at("gateways");
  REQUIRE(list.size() == 2);
  CHECK(list[0]["gateway_id"] == "gw-1");
  CHECK(list[0]["presence"] == "online");
  CHECK(list[0]["boot_id"] == "boot-1");
  CHECK(list[0]["version"] == "0.1.0");
  CHECK(list[0]["last_seen_ms"] == 4500);
  REQUIRE(list[0]["telemetry"].is_object());
  CHECK(list[0]["telemetry"]["uptime_s"] == 77);
  CHECK(list[0]["telemetry"]["outbox"]["stored_bytes"] == 4096);
  CHECK(list[1]["gateway_id"] == "gw-2");
  CHECK(list[1]["presence"] == "offline");
  CHECK(list[1]["telemetry"].is_null());
  CHECK(server.shut_down());
}

TEST_CASE("GET /metrics is Prometheus text with the ingest counters", "[http]") {
  IngestCounters counters;
  counters.received = 41;
  counters.incidents_opened = 5;
  counters.incidents_updated = 30;
  counters.duplicates = 2;
  counters.statuses = 1;
  counters.telemetry = 1;
  counters.rejected = 2;
  counters.store_failures = 0;
  counters.evidence = 3;
  RunningServer server(without_sign_in(), counters);
  Client client(server.port());
  const auto response = client.get("/metrics");
  REQUIRE(response.result() == http::status::ok);
  CHECK(content_type(response) == "text/plain; version=0.0.4; charset=utf-8");
  const auto samples = parse_prometheus(response.body());
  CHECK(samples.at("gridwatch_central_messages_received_total") == 41);
  CHECK(samples.at("gridwatch_central_incidents_opened_total") == 5);
  CHECK(samples.at("gridwatch_central_incidents_updated_total") == 30);
  CHECK(samples.at("gridwatch_central_alerts_duplicate_total") == 2);
  CHECK(samples.at("gridwatch_central_status_messages_total") == 1);
  CHECK(samples.at("gridwatch_central_telemetry_messages_total") == 1);
  CHECK(samples.at("gridwatch_central_messages_rejected_total") == 2);
  CHECK(samples.at("gridwatch_central_store_failures_total") == 0);
  CHECK(samples.at("gridwatch_central_evidence_stored_total") == 3);
  CHECK(samples.at("gridwatch_central_http_open_connections") == 1);  // this client
  CHECK(samples.at("gridwatch_central_http_rejected_connections_total") == 0);
  // The notifier outbox of the (empty) store.
  CHECK(samples.at("gridwatch_central_notifications_pending") == 0);
  CHECK(samples.at("gridwatch_central_notifications_retrying") == 0);
  CHECK(samples.at("gridwatch_central_notifications_delivered_total") == 0);
  CHECK(samples.at("gridwatch_central_notifications_oldest_pending_age_seconds") == 0);
  CHECK(samples.at("gridwatch_central_receipts_published_total") == 0);
  CHECK(samples.at("gridwatch_central_receipts_unsent_total") == 0);
  CHECK(samples.size() == 17);
  CHECK(server.shut_down());
}

TEST_CASE("unknown paths get 404, other methods 405, HEAD the GET headers only", "[http]") {
  RunningServer server;
  Client client(server.port());

  auto response = client.get("/api/v1/nothing?x=1");
  CHECK(response.result() == http::status::not_found);
  CHECK(content_type(response) == "application/json");
  CHECK(body_json(response) == nlohmann::json{{"error", "no such endpoint"}, {"path", "/api/v1/nothing"}});
  CHECK(client.get("/").result() == http::status::not_found);
  CHECK(client.get("/healthz/").result() == http::status::not_found);

  for (const auto method : {http::verb::post, http::verb::put, http::verb::delete_, http::verb::options}) {
    INFO(http::to_string(method));
    response = client.get("/api/v1/incidents", method);
    CHECK(response.result() == http::status::method_not_allowed);
    CHECK(response[http::field::allow] == "GET, HEAD");
    CHECK(body_json(response).at("error") == "method not allowed; /api/v1/incidents accepts GET and HEAD");
  }

  http::request<http::empty_body> head{http::verb::head, "/healthz", 11};
  head.set(http::field::host, "127.0.0.1");
  REQUIRE_FALSE(client.write(head));
  http::response_parser<http::string_body> parser;
  REQUIRE_FALSE(client.read_header_only(parser));
  CHECK(parser.get().result() == http::status::ok);
  CHECK(parser.get()[http::field::content_length] == std::to_string(std::string(R"({"status":"ok"})").size()));
  // Had the server sent a body after the HEAD reply, this would read it as a
  // (broken) response instead.
  CHECK(client.get("/healthz").result() == http::status::ok);
  CHECK(server.shut_down());
}

TEST_CASE("a body over max_body_bytes gets 413 and the connection is closed", "[http]") {
  auto settings = without_sign_in();
  settings.max_body_bytes = 1024;
  RunningServer server(settings);
  Client client(server.port());
  REQUIRE_FALSE(client.send_raw("POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" +
                                std::string(5000, 'a')));
  Response response;
  REQUIRE_FALSE(client.read(response));
  CHECK(response.result() == http::status::payload_too_large);
  CHECK(body_json(response) == nlohmann::json{{"error", "request body larger than 1024 bytes"}});
  CHECK_FALSE(response.keep_alive());
  CHECK(client.closed_by_server());

  // A body within the limit reaches routing (and POST is not allowed).
  Client second(server.port());
  REQUIRE_FALSE(second.send_raw("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" +
                                std::string(1000, 'a')));
  response = {};
  REQUIRE_FALSE(second.read(response));
  CHECK(response.result() == http::status::method_not_allowed);
  CHECK(server.shut_down());
}

TEST_CASE("malformed HTTP closes only that connection and the server keeps serving", "[http]") {
  RunningServer server;
  for (const auto& garbage :
       {std::string("this is not http\r\n\r\n"), std::string("GET /healthz HTTP/9.9\r\n\r\n"),
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(16 * 1024, 'b') + "\r\n\r\n",
        std::string("GET /healthz HTTP/1.1\r\nContent-Length: nope\r\n\r\n")}) {
    INFO(garbage.substr(0, 40));
    Client bad(server.port());
    // A valid request first: garbage after it on a kept-alive connection too.
    CHECK(bad.get("/healthz").result() == http::status::ok);
    REQUIRE_FALSE(bad.send_raw(garbage));
    CHECK(bad.closed_by_server());

    Client good(server.port());
    CHECK(good.get("/healthz").result() == http::status::ok);
  }
  CHECK(server.shut_down());
}

TEST_CASE("connections beyond max_connections get 503 until one closes", "[http]") {
  auto settings = without_sign_in();
  settings.max_connections = 2;
  RunningServer server(settings);
  Client first(server.port());
  Client second(server.port());
  REQUIRE(first.get("/healthz").result() == http::status::ok);
  REQUIRE(second.get("/healthz").result() == http::status::ok);

  Client third(server.port());
  const auto refused = third.get("/healthz");
  CHECK(refused.result() == http::status::service_unavailable);
  CHECK(body_json(refused) == nlohmann::json{{"error", "too many connections; try again later"}});
  CHECK_FALSE(refused.keep_alive());
  CHECK(third.closed_by_server());

  auto samples = parse_prometheus(first.get("/metrics").body());
  CHECK(samples.at("gridwatch_central_http_open_connections") == 2);
  CHECK(samples.at("gridwatch_central_http_rejected_connections_total") == 1);

  // Once a slot frees up, new connections are served again. The server sees
  // the close asynchronously, so allow it a moment.
  second.close();
  bool served = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (!served && std::chrono::steady_clock::now() < deadline) {
    Client next(server.port());
    served = next.get("/healthz").result() == http::status::ok;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(served);
  CHECK(server.shut_down());
}

TEST_CASE("a failing store gives 500 and the server keeps serving", "[http]") {
  RunningServer server;
  // A real SQLite failure: another connection drops the table under the store.
  server.on_io([&] {
    gridwatch::sqlite::Database db((server.dir() / "central.db").string());
    db.exec("DROP TABLE incidents");
  });
  Client client(server.port());
  const auto response = client.get("/api/v1/incidents");
  CHECK(response.result() == http::status::internal_server_error);
  CHECK(content_type(response) == "application/json");
  CHECK(body_json(response).at("error") == "internal error; the gridwatch-central log has the details");
  CHECK(client.get("/api/v1/gateways").result() == http::status::ok);
  CHECK(client.get("/healthz").result() == http::status::ok);
  CHECK(server.shut_down());
}

TEST_CASE("stop() closes open connections and leaves no work on the io_context", "[http]") {
  RunningServer server;
  Client idle(server.port());
  REQUIRE(idle.get("/healthz").result() == http::status::ok);
  CHECK(server.shut_down());  // the idle keep-alive connection must not keep run() going
  CHECK(idle.closed_by_server());
}

TEST_CASE("start() names address:port when it cannot listen", "[http]") {
  TempDir dir;
  SqliteStore store(dir.file("central.db"));
  asio::io_context io;
  HttpSettings settings;
  settings.port = 0;
  HttpServer first(io, settings, store, {});
  first.start();
  REQUIRE(first.port() != 0);

  settings.port = first.port();
  HttpServer second(io, settings, store, {});
  try {
    second.start();
    FAIL("second server bound a port in use");
  } catch (const std::runtime_error& error) {
    CHECK_THAT(error.what(), Catch::Contains("127.0.0.1:" + std::to_string(first.port())));
  }
  CHECK(second.port() == 0);

  settings.listen_address = "localhost";  // names are refused: no DNS at start-up
  settings.port = 8080;
  HttpServer third(io, settings, store, {});
  CHECK_THROWS_WITH(third.start(), Catch::Contains("localhost:8080"));

  first.stop();
  CHECK(first.port() == 0);
}

TEST_CASE("the live feed sends a snapshot, then every broadcast in order, to every client", "[http][live]") {
  RunningServer server;
  server.on_io([&] {
    auto alert = make_alert("gw-1", 1, "gw-1:ep-1");
    server.store().record_alert(alert, gridwatch::encode(alert), alert.detected_at_ms);
    return 0;
  });
  gridwatch::test::LiveFeedClient first(server.port());
  gridwatch::test::LiveFeedClient second(server.port());
  for (auto* client : {&first, &second}) {
    const auto snapshot = client->next();
    REQUIRE(snapshot);
    CHECK((*snapshot)["type"] == "snapshot");
    CHECK((*snapshot)["incidents"].size() == 1);
  }
  REQUIRE(gridwatch::test::wait_until([&] { return server.on_io([&] { return server.server().live_clients(); }) == 2; },
                                      std::chrono::seconds(5)));
  server.on_io([&] {
    for (int i = 0; i < 3; ++i) server.server().broadcast(nlohmann::json{{"type", "test"}, {"n", i}}.dump());
    return 0;
  });
  for (auto* client : {&first, &second}) {
    for (int i = 0; i < 3; ++i) {
      const auto message = client->next();
      REQUIRE(message);
      CHECK((*message)["n"] == i);
    }
  }
  // A plain GET on the same path is not an upgrade: the API answers it.
  Client plain(server.port());
  CHECK(plain.get("/api/v1/live").result() == http::status::not_found);
  // stop() closes the live clients too, and leaves nothing behind.
  CHECK(server.shut_down());
  CHECK_FALSE(first.next(std::chrono::milliseconds(1000)));
}

namespace {

Response send_request(Client& client, http::verb method, const std::string& target, const std::string& body,
                      const std::map<std::string, std::string>& headers) {
  http::request<http::string_body> request{method, target, 11};
  request.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.keep_alive(true);
  request.body() = body;
  request.prepare_payload();
  REQUIRE_FALSE(client.write(request));
  Response response;
  REQUIRE_FALSE(client.read(response));
  return response;
}

}  // namespace

TEST_CASE("with sign-in required: 401 without a credential, cookie sessions with CSRF, bearer tokens",
          "[http][auth]") {
  TempDir assets;
  {
    std::ofstream(assets.file("index.html")) << "<!doctype html><title>GridWatch</title>";
    std::ofstream(assets.file("app.js")) << "\"use strict\";";
  }
  HttpSettings settings;
  settings.assets_dir = assets.path();
  RunningServer server(settings);
  // A cheap hash: the KDF's cost is not what this test measures.
  server.on_io([&] {
    server.store().add_user({"duty-1", "operator", gridwatch::central::hash_password("right password", 1000), 1});
  });
  Client client(server.port());
  const std::map<std::string, std::string> none;

  CHECK(client.get("/api/v1/incidents").result_int() == 401);
  CHECK(client.get("/metrics").result_int() == 401);
  CHECK(client.get("/healthz").result_int() == 200);
  const auto page = client.get("/");
  CHECK(page.result_int() == 200);
  CHECK(std::string(page[http::field::content_type]).rfind("text/html", 0) == 0);
  CHECK(std::string(page["Content-Security-Policy"]).find("default-src 'self'") != std::string::npos);
  CHECK(std::string(page["X-Frame-Options"]) == "DENY");
  CHECK(client.get("/assets/app.js").result_int() == 200);
  CHECK(client.get("/assets/../central.db").result_int() == 404);
  CHECK(client.get("/api/v1/session").result_int() == 401);

  const auto wrong = send_request(client, http::verb::post, "/api/v1/session",
                                  R"({"user":"duty-1","password":"wrong password"})", none);
  CHECK(wrong.result_int() == 401);
  CHECK(wrong[http::field::set_cookie].empty());
  CHECK(send_request(client, http::verb::post, "/api/v1/session", R"({"user":"duty-1"})", none).result_int() == 400);
  const auto signed_in = send_request(client, http::verb::post, "/api/v1/session",
                                      R"({"user":"duty-1","password":"right password"})", none);
  REQUIRE(signed_in.result_int() == 200);
  const std::string set_cookie(signed_in[http::field::set_cookie]);
  CHECK(set_cookie.find("HttpOnly") != std::string::npos);
  CHECK(set_cookie.find("SameSite=Strict") != std::string::npos);
  CHECK(set_cookie.find("Secure") != std::string::npos);
  const auto session = nlohmann::json::parse(signed_in.body());
  CHECK(session["role"] == "operator");
  const std::string csrf = session["csrf_token"];
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));

  CHECK(send_request(client, http::verb::get, "/api/v1/incidents", "", {{"Cookie", cookie}}).result_int() == 200);
  CHECK(send_request(client, http::verb::get, "/api/v1/session", "", {{"Cookie", cookie}}).result_int() == 200);
  const auto forged = send_request(client, http::verb::post, "/api/v1/incidents/1/transitions",
                                   R"({"action":"arrive"})", {{"Cookie", cookie}});
  CHECK(forged.result_int() == 403);
  CHECK(forged.body().find("X-CSRF-Token") != std::string::npos);
  const auto with_csrf = send_request(client, http::verb::post, "/api/v1/incidents/1/transitions",
                                      R"({"action":"arrive"})", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  CHECK(with_csrf.result_int() == 503);  // past the auth checks; no workflow runs in this test

  const auto token = server.on_io([&] {
    return *gridwatch::central::AuthService(server.store(), 3600).issue_token("duty-1", "test", 1);
  });
  CHECK(send_request(client, http::verb::get, "/api/v1/fleet", "", {{"Authorization", "Bearer " + token}})
            .result_int() == 200);
  CHECK(send_request(client, http::verb::get, "/api/v1/fleet", "", {{"Authorization", "Bearer gwt_forged"}})
            .result_int() == 401);

  const auto signed_out = send_request(client, http::verb::delete_, "/api/v1/session", "",
                                       {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  CHECK(signed_out.result_int() == 200);
  CHECK(std::string(signed_out[http::field::set_cookie]).find("Max-Age=0") != std::string::npos);
  CHECK(send_request(client, http::verb::get, "/api/v1/incidents", "", {{"Cookie", cookie}}).result_int() == 401);
}
