#pragma once
// gridwatch-central's HTTP server: the endpoints of docs/api.md over
// HTTP/1.1 with keep-alive, on the caller's io_context. Beast stays in
// http_server.cpp so that including this header stays cheap.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "central/http/api_router.hpp"
#include "central/http/records_json.hpp"
#include "central/ingest.hpp"
#include "central/store.hpp"

namespace boost::asio {
class io_context;
}

namespace gridwatch::central {

struct HttpSettings {
  std::string listen_address = "127.0.0.1";  ///< a numeric IPv4 or IPv6 address; no DNS
  int port = 8080;                            ///< 0 picks a free port (tests); see HttpServer::port()
  std::size_t max_body_bytes = 64 * 1024;     ///< larger request bodies get 413
  int max_connections = 256;                  ///< further connections get 503 and are closed
  std::string sender = "gridwatch@central";   ///< CAP <sender>: identifies this central
  bool auth_required = true;                  ///< false: http.auth off (no sign-in, no role checks)
  std::string assets_dir;                     ///< the dashboard's files; empty or missing: API only
  int session_ttl_s = 12 * 3600;
  bool secure_cookies = true;                 ///< Secure attribute on the session cookie
};

/// Serves the API on `io`, which must be run by one thread only: the store
/// is not thread-safe and every request calls it on that thread. start(),
/// stop() and the destructor must run on that thread too, or while it is
/// not running the io_context.
class HttpServer {
 public:
  /// `counters` is called on the io_context thread for each /metrics request.
  HttpServer(boost::asio::io_context& io, HttpSettings settings, Store& store,
             std::function<IngestCounters()> counters);
  /// Stops the server; `store` is not used after this returns.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds and starts accepting. Throws std::runtime_error naming
  /// address:port when the address is invalid or the port cannot be bound.
  void start();
  /// Closes the listener and every open connection. Idempotent. Once the
  /// handlers already queued have run, the server leaves no work on `io`.
  void stop();
  /// The bound port (settings.port may be 0); 0 when not listening.
  std::uint16_t port() const;
  /// Enables the dispatch workflow's transition endpoint (see ApiRouter).
  void set_transition_handler(TransitionHandler handler);
  /// The router, for its other settings (SLA limits, grid cells).
  ApiRouter& router();
  /// Sends one JSON text message to every client of the live feed
  /// (GET /api/v1/live, WebSocket). A client more than kLiveQueueLimit
  /// messages behind is disconnected rather than slowing anyone else.
  void broadcast(const std::string& message);
  /// Clients connected to the live feed now.
  std::size_t live_clients() const;

 private:
  class Impl;
  // Shared with the connections' pending handlers, which may outlive this
  // object by one turn of the io_context after stop().
  std::shared_ptr<Impl> impl_;
};

}  // namespace gridwatch::central
