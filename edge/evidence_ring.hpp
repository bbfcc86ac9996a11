#pragma once
// JPEG snapshots on disk, bounded by count and bytes, oldest evicted first.
// The outbox holds only a reference (the evidence id); the uplink reads the
// file when it publishes, so megabytes of JPEG never sit in SQLite rows.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace gridwatch::edge {

struct EvidenceRingLimits {
  std::size_t max_files = 500;
  std::uint64_t max_bytes = 64ULL << 20;
};

class EvidenceRing {
 public:
  /// Creates `directory` if needed and indexes the files already there.
  EvidenceRing(std::string directory, EvidenceRingLimits limits);

  /// Writes the snapshot durably (temp file, fsync, rename), then evicts the
  /// oldest files beyond the limits. False (and logged) when the write fails.
  bool put(const std::string& evidence_id, std::string_view jpeg);
  /// The snapshot, or nullopt when it was evicted or never stored.
  std::optional<std::string> get(const std::string& evidence_id) const;
  void remove(const std::string& evidence_id);

  std::size_t files() const { return entries_.size(); }
  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t evicted() const { return evicted_; }

 private:
  struct Entry {
    std::string evidence_id;
    std::uint64_t bytes;
  };
  std::string path_of(const std::string& evidence_id) const;
  void evict_over_limits();

  std::string directory_;
  EvidenceRingLimits limits_;
  std::deque<Entry> entries_;  // oldest first
  std::uint64_t bytes_ = 0;
  std::uint64_t evicted_ = 0;
};

}  // namespace gridwatch::edge
