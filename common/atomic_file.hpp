#pragma once
// Replacing a file so that a power cut leaves either the old or the new
// content, never a torn mix: write a temporary file beside it, fsync it,
// rename it over the target, fsync the directory.
#include <string>
#include <string_view>
#include <sys/types.h>

namespace gridwatch {

/// Returns an empty string on success, otherwise why it failed (the
/// target is then unchanged).
std::string replace_file_atomically(const std::string& path, std::string_view content, mode_t mode);

}  // namespace gridwatch
