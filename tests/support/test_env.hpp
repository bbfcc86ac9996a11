#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace gridwatch::test {

/// A fresh directory under $TMPDIR, removed with its contents on
/// destruction unless GRIDWATCH_KEEP_TEST_DIRS is set (for post-mortems).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// A small tmpfs mounted on a fresh directory, to make "disk full" and
/// "read-only filesystem" real. Needs CAP_SYS_ADMIN (root in CI); when the
/// mount is refused, mounted() is false and tests skip with why_not().
class ScratchMount {
 public:
  explicit ScratchMount(std::size_t bytes);
  ~ScratchMount();
  ScratchMount(const ScratchMount&) = delete;
  ScratchMount& operator=(const ScratchMount&) = delete;
  bool mounted() const { return mounted_; }
  const std::string& why_not() const { return why_not_; }
  std::string file(const std::string& name) const { return dir_.file(name); }
  bool remount_read_only();

 private:
  TempDir dir_;
  bool mounted_ = false;
  std::string why_not_;
};

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0
/// and released). Callers that lose the race retry with a new one.
int free_tcp_port();

/// True when something accepts TCP connections on 127.0.0.1:port.
bool port_accepts(int port);

/// Polls `condition` every 20 ms until true or `timeout` passes.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

void write_file(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);

/// ../shared/data next to the source tree, or nullopt when absent (tests
/// then SKIP with a message naming the missing path).
std::optional<std::string> shared_data_dir();

/// ../shared/models (e.g. yolo-fastest-1.1), or nullopt when absent.
std::optional<std::string> shared_models_dir();

/// Path of one of our binaries in the build tree (bin/<name>).
std::string binary_path(const std::string& name);

}  // namespace gridwatch::test
