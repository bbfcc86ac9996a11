#pragma once
// Replacing a file so that a power cut leaves either the old or the new
// content, never a torn mix: write a temporary file beside it, fsync it,
// rename it over the target, fsync the directory.
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace gridwatch {

struct FileOwner {
  uid_t uid = 0;
  gid_t gid = 0;
};

/// Returns an empty string on success, otherwise why it failed (the
/// target is then unchanged). With `owner`, the new file gets that owner
/// and group before it replaces the old one: root editing a file that a
/// service user reads through its group (provision on
/// /etc/gridwatch/edge.yaml, root:gridwatch 0640) must not leave it
/// root:root and unreadable to the service.
std::string replace_file_atomically(const std::string& path, std::string_view content, mode_t mode,
                                    std::optional<FileOwner> owner = std::nullopt);

}  // namespace gridwatch
