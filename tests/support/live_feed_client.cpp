#include "tests/support/live_feed_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

namespace gridwatch::test {

namespace asio = boost::asio;
namespace beast = boost::beast;

struct LiveFeedClient::Impl {
  asio::io_context io;
  beast::websocket::stream<beast::tcp_stream> ws{io};
  beast::flat_buffer buffer;
};

LiveFeedClient::LiveFeedClient(std::uint16_t port) : impl_(std::make_unique<Impl>()) {
  auto& socket = beast::get_lowest_layer(impl_->ws);
  socket.expires_after(std::chrono::seconds(5));
  socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  impl_->ws.handshake("127.0.0.1", "/api/v1/live");
  socket.expires_never();
}

LiveFeedClient::~LiveFeedClient() = default;

std::optional<nlohmann::json> LiveFeedClient::next(std::chrono::milliseconds timeout) {
  std::optional<nlohmann::json> out;
  bool done = false;
  impl_->buffer.clear();
  impl_->ws.async_read(impl_->buffer, [&](beast::error_code error, std::size_t) {
    done = true;
    if (!error) out = nlohmann::json::parse(beast::buffers_to_string(impl_->buffer.data()), nullptr, false);
  });
  impl_->io.restart();
  impl_->io.run_for(timeout);
  if (!done) {
    beast::get_lowest_layer(impl_->ws).cancel();
    impl_->io.restart();
    impl_->io.run_for(std::chrono::seconds(1));
  }
  return out;
}

}  // namespace gridwatch::test
