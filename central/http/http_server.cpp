#include "central/http/http_server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <unordered_set>

#include "central/auth/auth_service.hpp"
#include "central/auth/password.hpp"
#include "central/http/api_router.hpp"
#include "central/http/records_json.hpp"

namespace gridwatch::central {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

/// One whole request (headers and body) must arrive within this, counted from
/// the end of the previous response, so it also bounds keep-alive idling and
/// stops slow-drip clients from holding a connection slot.
constexpr std::chrono::seconds kReadTimeout{30};
constexpr std::chrono::seconds kWriteTimeout{30};
/// After our last response: how long to wait for the client to close, reading
/// and discarding what it still sends. Closing with unread data would make the
/// kernel send RST, and the client could lose the 413/503 it was just sent.
constexpr std::chrono::seconds kDrainTimeout{2};
constexpr std::size_t kMaxDrainBytes = 1024 * 1024;
constexpr std::uint32_t kHeaderLimitBytes = 8 * 1024;
/// After accept() fails for lack of descriptors or memory, retrying at once
/// would spin; the connections wait in the listen backlog meanwhile.
constexpr std::chrono::seconds kAcceptRetryDelay{1};
constexpr const char* kServerHeader = "gridwatch-central";
constexpr std::string_view kLivePath = "/api/v1/live";
/// Messages a live-feed client may fall behind before it is dropped: a
/// stalled browser tab must not grow central's memory without bound.
constexpr std::size_t kLiveQueueLimit = 1024;

std::string host_port(const std::string& address, unsigned port) {
  if (address.find(':') != std::string::npos) return fmt::format("[{}]:{}", address, port);
  return fmt::format("{}:{}", address, port);
}

std::string_view to_std(boost::beast::string_view text) { return {text.data(), text.size()}; }
boost::beast::string_view beast_view(std::string_view text) { return {text.data(), text.size()}; }

constexpr std::string_view kSessionPath = "/api/v1/session";
constexpr std::string_view kAssetPrefix = "/assets/";
/// Dashboard files larger than this are not served (and not loaded).
constexpr std::uintmax_t kMaxAssetBytes = 4 * 1024 * 1024;

/// The dashboard page may load only its own files and talk only to this
/// server: no CDN, no inline script, no framing by other sites.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "media-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

std::string content_type_for(const std::filesystem::path& path) {
  static const std::map<std::string, std::string> kTypes{
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},   {".json", "application/json"},
      {".svg", "image/svg+xml"},             {".png", "image/png"},
      {".wav", "audio/wav"},                 {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"}};
  const auto found = kTypes.find(path.extension().string());
  return found == kTypes.end() ? "application/octet-stream" : found->second;
}

/// A file of the dashboard, read once at start.
struct Asset {
  std::string content_type;
  std::string body;
};

/// Every file under `dir`, keyed by its URL path ("/" for index.html).
std::map<std::string, Asset> load_assets(const std::string& dir) {
  std::map<std::string, Asset> assets;
  std::error_code error;
  if (dir.empty() || !std::filesystem::is_directory(dir, error)) return assets;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, error)) {
    if (!entry.is_regular_file() || entry.file_size() > kMaxAssetBytes) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    const auto relative = std::filesystem::relative(entry.path(), dir).generic_string();
    assets[std::string(kAssetPrefix) + relative] = {content_type_for(entry.path()), content.str()};
    if (relative == "index.html") assets["/"] = assets[std::string(kAssetPrefix) + relative];
  }
  return assets;
}

ApiReply json_body_reply(unsigned status, const nlohmann::json& body) {
  ApiReply reply;
  reply.status = status;
  reply.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return reply;
}

}  // namespace

class HttpServer::Impl : public std::enable_shared_from_this<HttpServer::Impl> {
 public:
  class Session;
  class LiveSession;

  Impl(asio::io_context& io, HttpSettings settings, Store& store, std::function<IngestCounters()> counters)
      : io_(io),
        store_(store),
        settings_(std::move(settings)),
        router_(store, std::move(counters)),
        auth_(store, settings_.session_ttl_s),
        assets_(load_assets(settings_.assets_dir)),
        acceptor_(io),
        accept_retry_(io) {
    router_.set_sender(settings_.sender);
  }

  void start();
  void stop();
  std::uint16_t port() const { return port_; }

  // For sessions.
  bool stopped() const { return stopped_; }
  const HttpSettings& settings() const { return settings_; }
  ApiRouter& router() { return router_; }
  AuthService& auth() { return auth_; }
  asio::io_context& io() { return io_; }
  asio::thread_pool& kdf_pool() { return kdf_pool_; }
  const Asset* asset(std::string_view path) const {
    const auto found = assets_.find(std::string(path));
    return found == assets_.end() ? nullptr : &found->second;
  }
  HttpStats stats() const { return HttpStats{open_connections_, rejected_connections_}; }
  void add(Session* session, bool counted) {
    sessions_.insert(session);
    if (counted) ++open_connections_;
  }
  void remove(Session* session, bool counted) {
    sessions_.erase(session);
    if (counted) --open_connections_;
  }
  void add_live(LiveSession* session) {
    live_sessions_.insert(session);
    ++open_connections_;
  }
  void remove_live(LiveSession* session) {
    live_sessions_.erase(session);
    --open_connections_;
  }
  void broadcast(const std::string& message);
  std::size_t live_clients() const { return live_sessions_.size(); }
  /// The first message a live client gets: the newest incidents.
  std::string live_snapshot();
  Store& store() { return store_; }

 private:
  void do_accept();
  void on_accept(const boost::system::error_code& error, tcp::socket socket);
  [[noreturn]] void fail_start(const std::string& where, const std::string& why);

  asio::io_context& io_;
  Store& store_;
  HttpSettings settings_;
  ApiRouter router_;
  AuthService auth_;
  std::map<std::string, Asset> assets_;
  /// PBKDF2 runs here, never on the io_context thread: a sign-in must not
  /// stall ingest for the fraction of a second the KDF takes on purpose.
  asio::thread_pool kdf_pool_{1};
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  std::unordered_set<Session*> sessions_;  ///< every HTTP connection, so stop() can close them
  std::unordered_set<LiveSession*> live_sessions_;  ///< every live-feed WebSocket
  std::uint64_t open_connections_ = 0;     ///< those counted against max_connections
  std::uint64_t rejected_connections_ = 0;
  bool capacity_warned_ = false;  ///< one warning per saturation episode, not one per connection
  bool stopped_ = true;
  std::uint16_t port_ = 0;
};

/// One TCP connection: read a request, answer it, repeat while keep-alive.
/// Owned by the handlers pending on it (shared_from_this); every handler
/// body runs under guarded() so nothing escapes into io_context::run().
class HttpServer::Impl::Session : public std::enable_shared_from_this<HttpServer::Impl::Session> {
 public:
  Session(std::shared_ptr<Impl> server, tcp::socket socket, bool over_capacity)
      : server_(std::move(server)), stream_(std::move(socket)), over_capacity_(over_capacity) {
    server_->add(this, !over_capacity_);
  }
  ~Session() { server_->remove(this, !over_capacity_); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void run() {
    if (over_capacity_) {
      send(error_reply(503, "too many connections; try again later"), 11, false, false);
    } else {
      do_read();
    }
  }

  /// Aborts whatever is pending; the handlers then run and release the session.
  void close() { stream_.close(); }

 private:
  template <typename Fn>
  void guarded(Fn&& fn) noexcept {
    try {
      fn();
    } catch (const std::exception& error) {
      spdlog::error("HTTP connection dropped after an internal error: {}", error.what());
      stream_.close();
    } catch (...) {
      spdlog::error("HTTP connection dropped after an unknown internal error");
      stream_.close();
    }
  }

  void do_read() {
    parser_.emplace();
    parser_->body_limit(server_->settings().max_body_bytes);
    parser_->header_limit(kHeaderLimitBytes);
    stream_.expires_after(kReadTimeout);
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code error, std::size_t) {
      self->guarded([&] { self->on_read(error); });
    });
  }

  void on_read(const beast::error_code& error) {
    if (server_->stopped()) return stream_.close();
    if (error == http::error::end_of_stream) return close_gracefully();  // the client is done
    if (error == http::error::body_limit) {
      // The header was parsed, so the client can be told why.
      const auto limit = server_->settings().max_body_bytes;
      return send(error_reply(413, fmt::format("request body larger than {} bytes", limit)),
                  parser_->get().version(), false, false);
    }
    if (error) {
      // Malformed HTTP, oversized headers, timeout or reset: nothing sensible
      // to answer, so drop just this connection.
      spdlog::debug("HTTP connection closed: {}", error.message());
      return stream_.close();
    }
    const auto& request = parser_->get();
    if (request.version() != 10 && request.version() != 11) {
      // Beast accepts any "HTTP/d.d"; nothing but 1.x speaks this framing.
      spdlog::debug("HTTP connection closed: unsupported version {}", request.version());
      return stream_.close();
    }
    const auto target = to_std(request.target());
    const auto path = target.substr(0, target.find('?'));
    const auto version = request.version();
    const bool keep_alive = request.keep_alive();
    const bool head = request.method() == http::verb::head;
    const bool reads = request.method() == http::verb::get || head;
    if (reads && (path == "/" || path.substr(0, kAssetPrefix.size()) == kAssetPrefix)) {
      return send(asset_reply(path), version, keep_alive, head);
    }
    if (path == kSessionPath) return session_request(request);
    std::optional<Caller> caller;
    if (server_->settings().auth_required && path != "/healthz") {
      caller = server_->auth().authenticate(to_std(request[http::field::cookie]),
                                            to_std(request[http::field::authorization]), wall_clock_ms());
      if (!caller) {
        return send(error_reply(401, "sign in first (POST /api/v1/session), or send Authorization: Bearer <token>"),
                    version, keep_alive, head);
      }
      // A cookie comes with every request the browser makes, whoever asked
      // for it; a write must also prove it came from our page.
      if (caller->via_session && !reads && to_std(request[beast_view(kCsrfHeader)]) != caller->csrf_token) {
        return send(error_reply(403, "X-CSRF-Token header missing or wrong; reload the dashboard"), version,
                    keep_alive, head);
      }
    }
    if (path == kLivePath && websocket::is_upgrade(request)) return upgrade();
    auto reply = server_->router().handle(to_std(request.method_string()), target, request.body(), server_->stats(),
                                          caller ? &*caller : nullptr);
    send(std::move(reply), version, keep_alive, head);
  }

  ApiReply asset_reply(std::string_view path) const {
    const auto* asset = server_->asset(path);
    if (asset == nullptr) {
      return error_reply(404, path == "/" ? "the dashboard is not installed here (http.assets_dir); the API works"
                                          : "no such dashboard file");
    }
    ApiReply reply;
    reply.content_type = asset->content_type;
    reply.body = asset->body;
    reply.headers.emplace_back("Cache-Control", "no-cache");
    reply.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
    reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
    reply.headers.emplace_back("X-Frame-Options", "DENY");
    reply.headers.emplace_back("Referrer-Policy", "no-referrer");
    return reply;
  }

  std::string session_cookie(const std::string& value, int max_age_s) const {
    return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}", kSessionCookie, value, max_age_s,
                       server_->settings().secure_cookies ? "; Secure" : "");
  }

  // GET: who is signed in; POST: sign in; DELETE: sign out.
  void session_request(const http::request<http::string_body>& request) {
    const auto version = request.version();
    const bool keep_alive = request.keep_alive();
    const bool head = request.method() == http::verb::head;
    const auto now = wall_clock_ms();
    if (!server_->settings().auth_required) {
      return send(json_body_reply(200, {{"auth", "off"}, {"user", nullptr}, {"role", "admin"}, {"csrf_token", ""}}),
                  version, keep_alive, head);
    }
    if (request.method() == http::verb::post) return sign_in(request.body(), version, keep_alive);
    const auto caller = server_->auth().authenticate(to_std(request[http::field::cookie]),
                                                     to_std(request[http::field::authorization]), now);
    if (request.method() == http::verb::get || head) {
      if (!caller) return send(error_reply(401, "not signed in"), version, keep_alive, head);
      return send(json_body_reply(200, {{"auth", "required"},
                                        {"user", caller->user},
                                        {"role", to_string(caller->role)},
                                        {"csrf_token", caller->csrf_token}}),
                  version, keep_alive, head);
    }
    if (request.method() == http::verb::delete_) {
      if (caller && caller->via_session && to_std(request[beast_view(kCsrfHeader)]) != caller->csrf_token) {
        return send(error_reply(403, "X-CSRF-Token header missing or wrong; reload the dashboard"), version,
                    keep_alive, false);
      }
      if (caller) server_->auth().close_session(*caller);
      auto reply = json_body_reply(200, {{"signed_out", true}});
      reply.headers.emplace_back("Set-Cookie", session_cookie("", 0));
      return send(std::move(reply), version, keep_alive, false);
    }
    auto reply = error_reply(405, "method not allowed; /api/v1/session accepts GET, HEAD, POST and DELETE");
    reply.headers.emplace_back("Allow", "GET, HEAD, POST, DELETE");
    send(std::move(reply), version, keep_alive, head);
  }

  void sign_in(const std::string& body, unsigned version, bool keep_alive) {
    const auto json = nlohmann::json::parse(body, nullptr, false);
    FieldErrors errors;
    if (!json.is_object()) errors.push_back({"body", R"(must be a JSON object {"user": ..., "password": ...})"});
    std::string name;
    std::string password;
    if (json.is_object()) {
      for (const auto& [key, value] : json.items()) {
        if (key != "user" && key != "password") errors.push_back({key, "unknown field"});
      }
      for (auto [key, out] : {std::pair<const char*, std::string*>{"user", &name}, {"password", &password}}) {
        const auto found = json.find(key);
        if (found == json.end() || !found->is_string() || found->get<std::string>().empty()) {
          errors.push_back({key, "required, a non-empty string"});
        } else {
          *out = found->get<std::string>();
        }
      }
    }
    if (!errors.empty()) return send(error_reply(400, join_errors(errors)), version, keep_alive, false);
    if (server_->auth().sign_in_blocked(name, wall_clock_ms())) {
      return send(error_reply(429, "too many wrong passwords for this user; wait 5 minutes"), version, keep_alive,
                  false);
    }
    auto user = server_->store().user(name);
    asio::post(server_->kdf_pool(), [self = shared_from_this(), user = std::move(user), name, password, version,
                                     keep_alive]() mutable {
      // An unknown name costs the same PBKDF2 time as a wrong password, so
      // timing does not tell which user names exist.
      static const std::string kDecoy = hash_password("decoy password, never matches");
      const bool matches = verify_password(password, user ? user->password_hash : kDecoy) && user.has_value();
      asio::post(self->server_->io(), [self, user = std::move(user), name, matches, version, keep_alive] {
        self->guarded([&] { self->finish_sign_in(user, name, matches, version, keep_alive); });
      });
    });
  }

  void finish_sign_in(const std::optional<UserRecord>& user, const std::string& name, bool matches, unsigned version,
                      bool keep_alive) {
    if (server_->stopped()) return stream_.close();
    const auto now = wall_clock_ms();
    if (!matches || !user) {
      server_->auth().sign_in_failed(name, now);
      spdlog::warn("sign-in failed for user \"{}\"", name);
      return send(error_reply(401, "wrong user name or password"), version, keep_alive, false);
    }
    server_->auth().sign_in_succeeded(name);
    const auto session = server_->auth().open_session(*user, now);
    spdlog::info("user {} ({}) signed in", user->name, user->role);
    auto reply = json_body_reply(200, {{"auth", "required"},
                                       {"user", user->name},
                                       {"role", user->role},
                                       {"csrf_token", session.csrf_token}});
    reply.headers.emplace_back("Set-Cookie", session_cookie(session.secret, server_->settings().session_ttl_s));
    send(std::move(reply), version, keep_alive, false);
  }

  void send(ApiReply reply, unsigned version, bool keep_alive, bool head_only) {
    response_ = {};
    response_.version(version == 10 ? 10 : 11);  // 413 may come before the version was checked
    response_.result(reply.status);
    response_.set(http::field::server, kServerHeader);
    response_.set(http::field::content_type, reply.content_type);
    response_.set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : reply.headers) response_.set(name, value);
    response_.keep_alive(keep_alive);
    response_.body() = std::move(reply.body);
    response_.prepare_payload();
    // HEAD: Content-Length stays that of the GET body, but no body is sent.
    if (head_only) response_.body().clear();
    stream_.expires_after(kWriteTimeout);
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code error, std::size_t) {
      self->guarded([&] { self->on_write(error); });
    });
  }

  void on_write(const beast::error_code& error) {
    if (error || server_->stopped()) {
      if (error) spdlog::debug("HTTP write failed: {}", error.message());
      return stream_.close();
    }
    if (response_.need_eof() || over_capacity_) return close_gracefully();
    do_read();
  }

  // The connection becomes a live-feed WebSocket; this Session ends when
  // its last handler returns.
  void upgrade();

  void close_gracefully() {
    beast::error_code error;
    stream_.socket().shutdown(tcp::socket::shutdown_send, error);
    if (error) return stream_.close();
    stream_.expires_after(kDrainTimeout);
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(drain_buffer_),
                            [self = shared_from_this()](beast::error_code error, std::size_t bytes) {
                              self->guarded([&] {
                                self->drained_bytes_ += bytes;
                                if (error || self->drained_bytes_ > kMaxDrainBytes || self->server_->stopped()) {
                                  self->stream_.close();
                                } else {
                                  self->drain();
                                }
                              });
                            });
  }

  std::shared_ptr<Impl> server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::array<char, 4096> drain_buffer_{};
  std::size_t drained_bytes_ = 0;
  bool over_capacity_;
};

/// One live-feed client: a WebSocket that receives every broadcast, in
/// order, one write at a time. Reads only to notice the client closing.
class HttpServer::Impl::LiveSession : public std::enable_shared_from_this<HttpServer::Impl::LiveSession> {
 public:
  LiveSession(std::shared_ptr<Impl> server, beast::tcp_stream stream)
      : server_(std::move(server)), ws_(std::move(stream)) {
    server_->add_live(this);
  }
  ~LiveSession() { server_->remove_live(this); }
  LiveSession(const LiveSession&) = delete;
  LiveSession& operator=(const LiveSession&) = delete;

  void run(http::request<http::string_body> request) {
    beast::get_lowest_layer(ws_).expires_never();  // websocket timeouts take over
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& response) { response.set(http::field::server, kServerHeader); }));
    ws_.async_accept(request, [self = shared_from_this()](beast::error_code error) {
      self->guarded([&] {
        if (error) return self->close();
        self->open_ = true;
        self->send(self->server_->live_snapshot());
        self->do_read();
      });
    });
  }

  void send(std::string message) {
    if (!open_) return;
    if (queue_.size() >= kLiveQueueLimit) {
      spdlog::warn("live feed: a client is {} messages behind; disconnecting it", queue_.size());
      return close();
    }
    queue_.push_back(std::move(message));
    if (queue_.size() == 1) do_write();
  }

  void close() {
    open_ = false;
    beast::get_lowest_layer(ws_).close();
  }

 private:
  template <typename Fn>
  void guarded(Fn&& fn) noexcept {
    try {
      fn();
    } catch (const std::exception& error) {
      spdlog::error("live feed connection dropped after an internal error: {}", error.what());
      close();
    }
  }

  void do_write() {
    ws_.text(true);
    ws_.async_write(asio::buffer(queue_.front()), [self = shared_from_this()](beast::error_code error, std::size_t) {
      self->guarded([&] {
        if (error) return self->close();
        self->queue_.pop_front();
        if (!self->queue_.empty() && self->open_) self->do_write();
      });
    });
  }

  void do_read() {
    ws_.async_read(read_buffer_, [self = shared_from_this()](beast::error_code error, std::size_t) {
      self->guarded([&] {
        if (error) return self->close();  // closed by the client, or timed out
        self->read_buffer_.clear();       // clients have nothing to say; ignore it
        self->do_read();
      });
    });
  }

  std::shared_ptr<Impl> server_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer read_buffer_;
  std::deque<std::string> queue_;
  bool open_ = false;
};

void HttpServer::Impl::Session::upgrade() {
  auto request = parser_->release();
  std::make_shared<LiveSession>(server_, std::move(stream_))->run(std::move(request));
}

void HttpServer::Impl::broadcast(const std::string& message) {
  // send() may close a session, which only cancels: none is destroyed here.
  for (auto* session : live_sessions_) session->send(message);
}

std::string HttpServer::Impl::live_snapshot() {
  auto list = nlohmann::json::array();
  for (const auto& incident : store_.incidents({50, std::nullopt})) list.push_back(to_json(incident));
  return nlohmann::json{{"type", "snapshot"}, {"incidents", std::move(list)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void HttpServer::Impl::fail_start(const std::string& where, const std::string& why) {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  throw std::runtime_error(fmt::format("HTTP API cannot listen on {}: {}", where, why));
}

void HttpServer::Impl::start() {
  if (!stopped_) throw std::logic_error("HttpServer::start: already started");
  const auto where = host_port(settings_.listen_address, static_cast<unsigned>(settings_.port));
  if (settings_.port < 0 || settings_.port > 65535) fail_start(where, "port must be 0-65535");
  if (settings_.max_connections < 1) fail_start(where, "max_connections must be at least 1");
  if (settings_.max_body_bytes < 1) fail_start(where, "max_body_bytes must be at least 1");

  boost::system::error_code error;
  const auto address = asio::ip::make_address(settings_.listen_address, error);
  if (error) fail_start(where, "listen_address must be a numeric IPv4 or IPv6 address");
  const tcp::endpoint endpoint(address, static_cast<std::uint16_t>(settings_.port));
  acceptor_.open(endpoint.protocol(), error);
  if (error) fail_start(where, error.message());
  // Lets a restarted central bind while the old connections sit in TIME_WAIT;
  // on Linux it does not allow two listeners on one port.
  acceptor_.set_option(asio::socket_base::reuse_address(true), error);
  if (error) fail_start(where, error.message());
  acceptor_.bind(endpoint, error);
  if (error) fail_start(where, error.message());
  acceptor_.listen(asio::socket_base::max_listen_connections, error);
  if (error) fail_start(where, error.message());
  const auto bound = acceptor_.local_endpoint(error);
  if (error) fail_start(where, error.message());

  port_ = bound.port();
  stopped_ = false;
  capacity_warned_ = false;
  spdlog::info("HTTP API listening on {}", host_port(settings_.listen_address, port_));
  do_accept();
}

void HttpServer::Impl::stop() {
  if (stopped_) return;
  stopped_ = true;
  port_ = 0;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  // close() only cancels: no session is destroyed while this loop runs.
  for (auto* session : sessions_) session->close();
  for (auto* session : live_sessions_) session->close();
}

void HttpServer::Impl::do_accept() {
  acceptor_.async_accept(io_, [self = shared_from_this()](const boost::system::error_code& error, tcp::socket socket) {
    try {
      self->on_accept(error, std::move(socket));
    } catch (const std::exception& failure) {
      // Only allocation can fail here; keep accepting rather than go deaf.
      spdlog::error("HTTP accept handler failed: {}", failure.what());
      if (!self->stopped_) self->do_accept();
    }
  });
}

void HttpServer::Impl::on_accept(const boost::system::error_code& error, tcp::socket socket) {
  if (stopped_) return;  // `socket` closes in its destructor
  if (error) {
    if (error == asio::error::operation_aborted) return;
    if (error == asio::error::connection_aborted) return do_accept();  // the client gave up first
    spdlog::warn("HTTP accept failed: {}; retrying in {} s", error.message(), kAcceptRetryDelay.count());
    accept_retry_.expires_after(kAcceptRetryDelay);
    accept_retry_.async_wait([self = shared_from_this()](const boost::system::error_code& wait_error) {
      if (!wait_error && !self->stopped_) self->do_accept();
    });
    return;
  }
  const bool over_capacity = open_connections_ >= static_cast<std::uint64_t>(settings_.max_connections);
  if (over_capacity) {
    ++rejected_connections_;
    if (!capacity_warned_) {
      spdlog::warn("HTTP API at max_connections ({}): further connections get 503 until one closes; "
                   "gridwatch_central_http_rejected_connections_total counts them",
                   settings_.max_connections);
      capacity_warned_ = true;
    }
  } else if (open_connections_ + 1 < static_cast<std::uint64_t>(settings_.max_connections)) {
    capacity_warned_ = false;
  }
  std::make_shared<Session>(shared_from_this(), std::move(socket), over_capacity)->run();
  do_accept();
}

HttpServer::HttpServer(boost::asio::io_context& io, HttpSettings settings, Store& store,
                       std::function<IngestCounters()> counters)
    : impl_(std::make_shared<Impl>(io, std::move(settings), store, std::move(counters))) {}

HttpServer::~HttpServer() {
  impl_->stop();
  // A sign-in still hashing posts its reply to the io_context, which must
  // outlive that; it does, since the owner destroys this server first.
  impl_->kdf_pool().join();
}

void HttpServer::start() { impl_->start(); }

void HttpServer::stop() { impl_->stop(); }

std::uint16_t HttpServer::port() const { return impl_->port(); }

void HttpServer::broadcast(const std::string& message) { impl_->broadcast(message); }

std::size_t HttpServer::live_clients() const { return impl_->live_clients(); }

ApiRouter& HttpServer::router() { return impl_->router(); }

void HttpServer::set_transition_handler(TransitionHandler handler) {
  impl_->router().set_transition_handler(std::move(handler));
}

}  // namespace gridwatch::central
