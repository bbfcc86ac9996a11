#pragma once
// A real HTTP server on a free loopback port that stands in for a webhook
// receiver or an SMS gateway: it records every POST and answers 503 to the
// first `fail_first` of them, then 200. Runs on its own thread.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gridwatch::test {

struct ReceivedRequest {
  std::string target;
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;
  int answered = 0;  ///< the status it got
};

class HttpSink {
 public:
  /// Listens on `port` (0: a free one).
  explicit HttpSink(int fail_first = 0, int port = 0);
  ~HttpSink();
  HttpSink(const HttpSink&) = delete;
  HttpSink& operator=(const HttpSink&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path = "/hook") const;
  std::vector<ReceivedRequest> requests() const;
  /// Requests answered 2xx.
  std::vector<ReceivedRequest> accepted() const;

 private:
  struct State;
  void serve();
  std::shared_ptr<State> state_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace gridwatch::test
