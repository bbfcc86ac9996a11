#pragma once
// The gateway's store-and-forward buffer: every message is committed to
// SQLite (WAL, synchronous=FULL) before anything tries to publish it. A
// row is deleted after the broker acknowledged it (PUBACK), except an
// alert when receipts are on: the broker's PUBACK only marks it published
// (awaiting a receipt), and central's receipt, sent after central
// committed it, deletes it.
// docs/outbox.md explains the durability choice and the overflow policy.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/sqlite/sqlite.hpp"
#include "common/sqlite/wal_checkpointer.hpp"
#include "common/time.hpp"
#include "edge/core/priority.hpp"

namespace gridwatch::edge {

struct OutboxLimits {
  std::int64_t max_rows = 200'000;
  std::int64_t max_bytes = 256LL << 20;
  std::int64_t max_age_ms = 14LL * 24 * 3600 * 1000;
};

struct OutboxRow {
  std::int64_t id = 0;
  Priority priority = Priority::telemetry;
  std::string topic;
  std::string payload;
  EpochMs created_ms = 0;
};

using PerPriority = std::array<std::uint64_t, kAllPriorities.size()>;

struct OutboxStats {
  PerPriority depth{};      ///< rows not yet delivered, per priority (awaiting a receipt included)
  PerPriority awaiting_receipt{};  ///< rows the broker acknowledged, waiting for central's receipt
  PerPriority dropped{};    ///< rows dropped by capacity or age since the database was created
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;
  std::uint64_t awaiting_receipt_rows = 0;
  std::optional<EpochMs> oldest_created_ms;
  std::uint64_t quarantined = 0;   ///< corrupt databases moved aside (persisted)
  std::uint64_t store_errors = 0;  ///< failed writes since this process started
};

enum class AppendStatus {
  stored,        ///< committed; will be delivered
  dropped_full,  ///< over capacity and nothing of equal or lower priority to evict
  store_failed,  ///< SQLite refused the write (disk full, read-only, I/O error)
};

struct AppendResult {
  AppendStatus status = AppendStatus::store_failed;
  std::int64_t row_id = 0;
  std::uint64_t seq = 0;  ///< the sequence number given to the payload builder
  std::string error;
};


class Outbox {
 public:
  /// Opens `path`, creating it if needed. A database that fails to open or
  /// fails PRAGMA quick_check is renamed to "<path>.corrupt-<UTC time>"
  /// (with its -wal and -shm files) and a fresh one takes its place.
  /// Throws sqlite::SqliteError when even a fresh database cannot be made.
  Outbox(const std::string& path, OutboxLimits limits, EpochMs now_ms);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  /// Random id fixed when the database was created. Alert ids embed it so
  /// that a quarantined database never leads to a reused id.
  const std::string& epoch() const { return epoch_; }
  /// Set when the database found at start was quarantined.
  const std::optional<std::string>& quarantined_to() const { return quarantined_to_; }

  /// Stores a message whose payload needs the next per-gateway sequence
  /// number (an alert id). The sequence number is the row id: increasing,
  /// never reused (telemetry rows leave gaps), consumed only if the row
  /// commits.
  AppendResult append_sequenced(Priority priority, const std::string& topic,
                                const std::function<std::string(std::uint64_t seq)>& build_payload, EpochMs now_ms);
  /// Stores a message that needs no sequence number (telemetry, evidence).
  AppendResult append(Priority priority, const std::string& topic, const std::string& payload, EpochMs now_ms);

  /// Up to `limit` rows of `priority` with id > `after_id`, oldest first,
  /// leaving out rows awaiting a receipt (they were sent already).
  std::vector<OutboxRow> next_rows(Priority priority, std::int64_t after_id, std::size_t limit);
  /// The rows with these ids that still exist, oldest first (re-sends).
  std::vector<OutboxRow> rows_by_ids(const std::vector<std::int64_t>& ids);
  /// Rows waiting at one priority (in flight ones included).
  std::uint64_t depth(Priority priority) const { return stats_.depth[static_cast<std::size_t>(priority)]; }
  /// Rows of one priority awaiting a receipt.
  std::uint64_t awaiting_receipt(Priority priority) const {
    return stats_.awaiting_receipt[static_cast<std::size_t>(priority)];
  }
  /// Deletes delivered rows in one transaction. Unknown ids are ignored.
  void remove(const std::vector<std::int64_t>& ids);
  /// Marks rows the broker acknowledged as awaiting central's receipt
  /// (published at `now_ms`), in one transaction. Rows already marked or
  /// gone are left alone.
  void mark_published(const std::vector<std::int64_t>& ids, EpochMs now_ms);
  struct Requeued {
    std::int64_t id;
    Priority priority;
  };
  /// Rows awaiting a receipt since before `published_before_ms` (or, after
  /// the wall clock stepped back, since after `now_ms`) go back to the
  /// send queue; returns them, oldest first.
  std::vector<Requeued> requeue_unreceipted(EpochMs published_before_ms, EpochMs now_ms);
  /// Drops rows older than max_age; returns how many.
  std::size_t expire(EpochMs now_ms);

  OutboxStats stats() const;

 private:
  void open_or_quarantine(EpochMs now_ms);
  void prepare_schema();
  void load_state();
  AppendResult append_impl(Priority priority, const std::string& topic,
                           const std::function<std::string(std::uint64_t)>* build_payload,
                           const std::string* payload, EpochMs now_ms);
  bool make_room(Priority priority, std::int64_t incoming_bytes, PerPriority& evicted);
  void add_drops(const PerPriority& drops);
  void note_store_error(const sqlite::SqliteError& error);
  /// The statement in `slot`, prepared from `sql` on first use. The caller
  /// resets it after use (a half-stepped SELECT holds a read snapshot).
  sqlite::Statement& cached(std::unique_ptr<sqlite::Statement>& slot, std::string_view sql);
  void refresh_oldest();
  /// Runs `statement` (whose first `kIdChunk` parameters are ids, and
  /// whose parameter kIdChunk + 1, if any, is `extra`) over `ids` in
  /// chunks, in one transaction that need not reach the disk at once.
  /// `on_row` sees each RETURNING row. SqliteError propagates.
  void run_for_ids(sqlite::Statement& statement, const std::vector<std::int64_t>& ids,
                   const std::optional<std::int64_t>& extra, const std::function<void(sqlite::Statement&)>& on_row);
  /// Hands WAL checkpoints to a background connection (see outbox.cpp).
  void start_checkpointer();

  // Prepared once per connection: the drain runs these per row or per
  // refill, and preparing costs more than running them. Declared after
  // db_ so that they are finalized before it closes.
  struct Statements {
    std::unique_ptr<sqlite::Statement> insert;
    std::unique_ptr<sqlite::Statement> next_rows;
    std::unique_ptr<sqlite::Statement> row_by_id;
    std::unique_ptr<sqlite::Statement> remove;
    std::unique_ptr<sqlite::Statement> mark_published;
    std::unique_ptr<sqlite::Statement> oldest;
  };

  std::string path_;
  OutboxLimits limits_;
  // Declared before db_: the connection that calls it closes first.
  std::unique_ptr<sqlite::WalCheckpointer> checkpointer_;
  std::unique_ptr<sqlite::Database> db_;
  std::string epoch_;
  std::optional<std::string> quarantined_to_;
  std::int64_t last_row_id_ = 0;
  Statements statements_;
  OutboxStats stats_;
  std::int64_t store_error_log_budget_ = 0;
};

}  // namespace gridwatch::edge
