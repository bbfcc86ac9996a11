#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/ids.hpp"

namespace gridwatch {

std::string replace_file_atomically(const std::string& path, std::string_view content, mode_t mode,
                                    std::optional<FileOwner> owner) {
  const auto slash = path.rfind('/');
  const std::string directory = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string temp = path + ".tmp-" + random_hex(4);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return temp + ": " + std::strerror(errno);
  std::size_t written = 0;
  bool ok = true;
  while (ok && written < content.size()) {
    const auto n = ::write(fd, content.data() + written, content.size() - written);
    ok = n > 0;
    if (ok) written += static_cast<std::size_t>(n);
  }
  // fchown before fchmod: changing the owner may clear set-id bits.
  ok = ok && (!owner || ::fchown(fd, owner->uid, owner->gid) == 0);
  // The mode passed to open() is reduced by the umask; the caller's is meant.
  ok = ok && ::fchmod(fd, mode) == 0 && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = ok ? errno : saved;
    ::unlink(temp.c_str());
    return path + ": " + std::strerror(error);
  }
  const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return "";
}

}  // namespace gridwatch
