#include "edge/evidence_ring.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/ids.hpp"

namespace gridwatch::edge {
namespace {
constexpr std::string_view kSuffix = ".jpg";

// Evidence ids contain ':', which some filesystems (FAT on SD cards) refuse.
std::string file_name_for(const std::string& evidence_id) {
  std::string name = evidence_id;
  std::replace(name.begin(), name.end(), ':', '_');
  return name + std::string(kSuffix);
}
}  // namespace

EvidenceRing::EvidenceRing(std::string directory, EvidenceRingLimits limits)
    : directory_(std::move(directory)), limits_(limits) {
  namespace fs = std::filesystem;
  fs::create_directories(directory_);
  struct Found {
    fs::file_time_type modified;
    Entry entry;
  };
  std::vector<Found> found;
  for (const auto& item : fs::directory_iterator(directory_)) {
    const auto name = item.path().filename().string();
    if (!item.is_regular_file()) continue;
    if (name.size() <= kSuffix.size() || name.substr(name.size() - kSuffix.size()) != kSuffix) {
      // A leftover temp file from a power cut mid-write: never complete.
      if (name.rfind(".tmp-", 0) == 0) fs::remove(item.path());
      continue;
    }
    std::string id = name.substr(0, name.size() - kSuffix.size());
    // file names keep ':' as '_'; the index keys by file name stem.
    found.push_back({item.last_write_time(), {id, static_cast<std::uint64_t>(item.file_size())}});
  }
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.modified < b.modified; });
  for (auto& item : found) {
    bytes_ += item.entry.bytes;
    entries_.push_back(std::move(item.entry));
  }
}

std::string EvidenceRing::path_of(const std::string& evidence_id) const {
  return directory_ + "/" + file_name_for(evidence_id);
}

bool EvidenceRing::put(const std::string& evidence_id, std::string_view jpeg) {
  const auto target = path_of(evidence_id);
  const auto temp = directory_ + "/.tmp-" + random_hex(6);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  bool ok = fd >= 0;
  std::size_t written = 0;
  while (ok && written < jpeg.size()) {
    const auto n = ::write(fd, jpeg.data() + written, jpeg.size() - written);
    if (n <= 0) {
      ok = false;
    } else {
      written += static_cast<std::size_t>(n);
    }
  }
  // fsync before rename: after a power cut the file is either complete or absent.
  ok = ok && ::fsync(fd) == 0;
  const int saved_errno = errno;
  if (fd >= 0) ::close(fd);
  ok = ok && ::rename(temp.c_str(), target.c_str()) == 0;
  if (!ok) {
    ::unlink(temp.c_str());
    spdlog::error("evidence: cannot write {}: {}", target, std::strerror(saved_errno != 0 ? saved_errno : errno));
    return false;
  }
  const auto stem = file_name_for(evidence_id);
  entries_.push_back({stem.substr(0, stem.size() - kSuffix.size()), jpeg.size()});
  bytes_ += jpeg.size();
  evict_over_limits();
  return true;
}

std::optional<std::string> EvidenceRing::get(const std::string& evidence_id) const {
  std::ifstream in(path_of(evidence_id), std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream data;
  data << in.rdbuf();
  return data.str();
}

void EvidenceRing::remove(const std::string& evidence_id) {
  const auto stem = file_name_for(evidence_id);
  const auto key = stem.substr(0, stem.size() - kSuffix.size());
  const auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.evidence_id == key; });
  if (it == entries_.end()) return;
  bytes_ -= it->bytes;
  entries_.erase(it);
  std::error_code ignored;
  std::filesystem::remove(path_of(evidence_id), ignored);
}

void EvidenceRing::evict_over_limits() {
  while (!entries_.empty() && (entries_.size() > limits_.max_files || bytes_ > limits_.max_bytes)) {
    const auto oldest = entries_.front();
    entries_.pop_front();
    bytes_ -= oldest.bytes;
    evicted_ += 1;
    std::error_code ignored;
    std::filesystem::remove(directory_ + "/" + oldest.evidence_id + std::string(kSuffix), ignored);
  }
}

}  // namespace gridwatch::edge
