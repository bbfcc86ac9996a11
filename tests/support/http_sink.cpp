#include "tests/support/http_sink.hpp"

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>

namespace gridwatch::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpSink::State {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  int fail_first = 0;
  mutable std::mutex mutex;
  std::vector<ReceivedRequest> requests;
  std::atomic<bool> stopping{false};
};

HttpSink::HttpSink(int fail_first, int port) : state_(std::make_shared<State>()) {
  state_->fail_first = fail_first;
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  state_->acceptor.open(endpoint.protocol());
  state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  state_->acceptor.bind(endpoint);
  state_->acceptor.listen();
  port_ = state_->acceptor.local_endpoint().port();
  thread_ = std::thread([this] { serve(); });
}

HttpSink::~HttpSink() {
  state_->stopping = true;
  // Wake the blocking accept with a connection of our own.
  try {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)));
  } catch (const std::exception&) {
  }
  thread_.join();
}

std::string HttpSink::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<ReceivedRequest> HttpSink::requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->requests;
}

std::vector<ReceivedRequest> HttpSink::accepted() const {
  auto all = requests();
  all.erase(std::remove_if(all.begin(), all.end(), [](const auto& r) { return r.answered / 100 != 2; }), all.end());
  return all;
}

// One request per connection, like our sender (keep-alive off).
void HttpSink::serve() {
  while (!state_->stopping) {
    tcp::socket socket(state_->io);
    beast::error_code error;
    state_->acceptor.accept(socket, error);
    if (error || state_->stopping) continue;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::read(socket, buffer, request, error);
    if (error) continue;
    ReceivedRequest received;
    received.target = std::string(request.target());
    for (const auto& field : request) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      received.headers[name] = std::string(field.value());
    }
    received.body = request.body();
    {
      std::lock_guard lock(state_->mutex);
      received.answered = static_cast<int>(state_->requests.size()) < state_->fail_first ? 503 : 200;
      state_->requests.push_back(received);
    }
    http::response<http::string_body> response{static_cast<http::status>(received.answered), 11};
    response.set(http::field::content_type, "text/plain");
    response.body() = received.answered == 200 ? "ok" : "busy, try later";
    response.keep_alive(false);
    response.prepare_payload();
    http::write(socket, response, error);
    socket.shutdown(tcp::socket::shutdown_both, error);
  }
}

}  // namespace gridwatch::test
