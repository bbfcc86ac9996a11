#include "edge/outbox.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "common/ids.hpp"

namespace gridwatch::edge {
namespace {

// 1: the first outbox. 2: published_ms (alerts awaiting central's receipt).
constexpr int kSchemaVersion = 2;

std::string meta_key_dropped(std::size_t priority) { return fmt::format("dropped_{}", priority); }

// Ids per DELETE or UPDATE statement in remove() and mark_published():
// one statement (and one RETURNING pass) per chunk instead of per row
// halves the cost of a delete.
constexpr std::size_t kIdChunk = 64;

// Numbered (?1 ... ?64), since mark_published_sql() names ?65 before the
// list, and an anonymous ? takes the number after the largest one so far.
std::string id_placeholders() {
  std::string list = "(?1";
  for (std::size_t i = 2; i <= kIdChunk; ++i) list += ",?" + std::to_string(i);
  return list + ")";
}

std::string remove_sql() {
  return "DELETE FROM outbox WHERE id IN " + id_placeholders() +
         " RETURNING priority, bytes, published_ms IS NOT NULL";
}

std::string mark_published_sql() {
  return "UPDATE outbox SET published_ms = ?" + std::to_string(kIdChunk + 1) + " WHERE id IN " + id_placeholders() +
         " AND published_ms IS NULL RETURNING priority";
}

// Resets a cached statement when the scope ends, also on an exception: a
// statement left mid-step would keep its read snapshot.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite::Statement& statement) : statement_(statement) {}
  ~ResetOnExit() { statement_.reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite::Statement& statement_;
};

std::string compact_utc(EpochMs now_ms) {
  auto text = format_utc(now_ms);  // 2026-11-22T03:04:05.678Z
  std::string out;
  for (char c : text.substr(0, 19)) {
    if (c != '-' && c != ':') out += c;
  }
  return out + "Z";
}

}  // namespace

Outbox::Outbox(const std::string& path, OutboxLimits limits, EpochMs now_ms) : path_(path), limits_(limits) {
  open_or_quarantine(now_ms);
  start_checkpointer();
}

Outbox::~Outbox() {
  // The hook points at the checkpointer, which outlives the connection
  // anyway (member order); unhook so that a final commit cannot reach it.
  if (db_) sqlite::WalCheckpointer::detach(*db_);
}

void Outbox::start_checkpointer() {
  if (!checkpointer_) checkpointer_ = std::make_unique<sqlite::WalCheckpointer>(path_, "outbox");
  checkpointer_->attach(*db_);
}

void Outbox::open_or_quarantine(EpochMs now_ms) {
  std::string problem;
  try {
    db_ = std::make_unique<sqlite::Database>(path_);
    const auto check = db_->quick_check();
    if (check != "ok") {
      problem = "integrity check failed: " + check.substr(0, check.find('\n', check.find('\n') + 1));
    } else {
      prepare_schema();
      load_state();
      return;
    }
  } catch (const sqlite::SqliteError& error) {
    if (!error.is_corrupt()) throw;  // permissions, missing directory: not ours to "fix"
    problem = error.what();
  }

  // The file is damaged. Keep it for a post-mortem, never delete it: it
  // may still hold alerts someone can recover by hand.
  statements_ = {};
  db_.reset();
  const auto target = fmt::format("{}.corrupt-{}", path_, compact_utc(now_ms));
  std::error_code ignored;
  std::filesystem::rename(path_, target, ignored);
  // A stale WAL must not be replayed into the fresh database.
  std::filesystem::rename(path_ + "-wal", target + "-wal", ignored);
  std::filesystem::rename(path_ + "-shm", target + "-shm", ignored);
  spdlog::error("outbox: {} is corrupt ({}); moved it to {} and started a fresh outbox", path_, problem, target);
  quarantined_to_ = target;

  db_ = std::make_unique<sqlite::Database>(path_);
  prepare_schema();
  db_->exec("INSERT INTO meta(key, value) VALUES('quarantined', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1");
  load_state();
}

void Outbox::prepare_schema() {
  // WAL + synchronous=FULL: a commit returns only after the WAL is on
  // stable storage, so an alert reported as stored survives power loss.
  // NORMAL would be faster but may lose the last commits on power loss.
  const auto mode = db_->query_text("PRAGMA journal_mode=WAL");
  if (mode != "wal") spdlog::warn("outbox: journal_mode is {}, not wal", mode.value_or("?"));
  db_->exec("PRAGMA synchronous=FULL");
  // Debian builds SQLite with secure_delete on: every page freed by a
  // delete is zeroed and written to the WAL and then to the database once
  // more, which doubled the bytes written per delivered row (3.3 KB
  // against 1.7 KB). FAST still zeroes deleted rows on every page that is
  // written anyway; a page whose rows are all gone keeps its old bytes
  // until reused (docs/outbox.md).
  db_->exec("PRAGMA secure_delete=FAST");
  const auto version = std::stoi(db_->query_text("PRAGMA user_version").value_or("0"));
  if (version > kSchemaVersion) {
    throw std::runtime_error(fmt::format("outbox {} has schema version {}, newer than this build's {}; refusing to "
                                         "touch it (install the newer gridwatch-edge or move the file aside)",
                                         path_, version, kSchemaVersion));
  }
  sqlite::Transaction transaction(*db_);
  db_->exec(
      "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS outbox("
      "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
      "  priority INTEGER NOT NULL CHECK(priority BETWEEN 0 AND 4),"
      "  topic TEXT NOT NULL,"
      "  payload BLOB NOT NULL,"
      "  bytes INTEGER NOT NULL,"
      "  created_ms INTEGER NOT NULL,"
      "  published_ms INTEGER);"
      "CREATE INDEX IF NOT EXISTS outbox_by_priority ON outbox(priority, id);");
  // Version 1 -> 2: a version-1 outbox has no published_ms; its rows are
  // all unsent (NULL), which is what they become.
  if (db_->query_text("SELECT count(*) FROM pragma_table_info('outbox') WHERE name = 'published_ms'") == "0") {
    db_->exec("ALTER TABLE outbox ADD COLUMN published_ms INTEGER");
  }
  db_->exec("CREATE INDEX IF NOT EXISTS outbox_awaiting_receipt ON outbox(published_ms) WHERE published_ms IS NOT NULL");
  db_->prepare("INSERT OR IGNORE INTO meta(key, value) VALUES('epoch', ?)").bind(1, random_hex(4)).run();
  db_->exec(fmt::format("PRAGMA user_version={}", kSchemaVersion));
  transaction.commit();
}

void Outbox::load_state() {
  const auto store_errors = stats_.store_errors;  // per process, not in the database
  stats_ = OutboxStats{};
  stats_.store_errors = store_errors;
  auto meta = db_->prepare("SELECT key, value FROM meta");
  while (meta.step()) {
    const auto key = meta.column_text(0);
    const auto value = meta.column_text(1);
    if (key == "epoch") epoch_ = value;
    if (key == "quarantined") stats_.quarantined = std::stoull(value);
    for (std::size_t p = 0; p < kAllPriorities.size(); ++p) {
      if (key == meta_key_dropped(p)) stats_.dropped[p] = std::stoull(value);
    }
  }
  auto counts = db_->prepare(
      "SELECT priority, count(*), coalesce(sum(bytes), 0), count(published_ms) FROM outbox GROUP BY priority");
  while (counts.step()) {
    const auto p = static_cast<std::size_t>(counts.column_int64(0));
    if (p >= kAllPriorities.size()) continue;
    stats_.depth[p] = static_cast<std::uint64_t>(counts.column_int64(1));
    stats_.rows += stats_.depth[p];
    stats_.bytes += static_cast<std::uint64_t>(counts.column_int64(2));
    stats_.awaiting_receipt[p] = static_cast<std::uint64_t>(counts.column_int64(3));
    stats_.awaiting_receipt_rows += stats_.awaiting_receipt[p];
  }
  auto oldest = db_->prepare("SELECT created_ms FROM outbox ORDER BY id LIMIT 1");
  if (oldest.step()) stats_.oldest_created_ms = oldest.column_int64(0);
  // AUTOINCREMENT keeps the highest id ever used in sqlite_sequence, even
  // after every row was deleted: ids, and so alert sequence numbers, are
  // never reused.
  auto highest = db_->prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'");
  last_row_id_ = highest.step() ? highest.column_int64(0) : 0;
  statements_ = {};
}

sqlite::Statement& Outbox::cached(std::unique_ptr<sqlite::Statement>& slot, std::string_view sql) {
  if (!slot) slot = std::make_unique<sqlite::Statement>(db_->prepare(sql));
  return *slot;
}

AppendResult Outbox::append_sequenced(Priority priority, const std::string& topic,
                                      const std::function<std::string(std::uint64_t)>& build_payload,
                                      EpochMs now_ms) {
  return append_impl(priority, topic, &build_payload, nullptr, now_ms);
}

AppendResult Outbox::append(Priority priority, const std::string& topic, const std::string& payload, EpochMs now_ms) {
  return append_impl(priority, topic, nullptr, &payload, now_ms);
}

AppendResult Outbox::append_impl(Priority priority, const std::string& topic,
                                 const std::function<std::string(std::uint64_t)>* build_payload,
                                 const std::string* payload, EpochMs now_ms) {
  AppendResult result;
  // The row id doubles as the alert sequence number: one counter, written
  // by the insert itself, instead of a second row updated per alert (an
  // extra WAL page, i.e. bytes to fsync, on every append).
  const std::int64_t row_id = last_row_id_ + 1;
  const std::uint64_t seq = build_payload != nullptr ? static_cast<std::uint64_t>(row_id) : 0;
  const std::string built = build_payload != nullptr ? (*build_payload)(seq) : std::string();
  const std::string& body = build_payload != nullptr ? built : *payload;
  const auto bytes = static_cast<std::int64_t>(body.size() + topic.size());
  const auto p = static_cast<std::size_t>(priority);
  PerPriority evicted{};
  try {
    {
      sqlite::Transaction transaction(*db_);
      if (!make_room(priority, bytes, evicted)) {
        // Roll back any evictions: the new row is the least valuable one.
        result.status = AppendStatus::dropped_full;
      } else {
        auto& insert = cached(
            statements_.insert,
            "INSERT INTO outbox(id, priority, topic, payload, bytes, created_ms) VALUES(?, ?, ?, ?, ?, ?)");
        const ResetOnExit reset(insert);
        insert.bind(1, row_id)
            .bind(2, static_cast<int>(priority))
            .bind(3, topic)
            .bind_blob(4, body)
            .bind(5, bytes)
            .bind(6, now_ms)
            .run();
        result.row_id = row_id;
        add_drops(evicted);
        transaction.commit();
        result.status = AppendStatus::stored;
      }
    }
    if (result.status == AppendStatus::dropped_full) {
      PerPriority self{};
      self[p] = 1;
      sqlite::Transaction transaction(*db_);
      add_drops(self);
      transaction.commit();
      spdlog::warn("outbox: full ({} rows, {} bytes); dropped a new {} message", stats_.rows, stats_.bytes,
                   to_string(priority));
      return result;
    }
  } catch (const sqlite::SqliteError& error) {
    note_store_error(error);
    result.status = AppendStatus::store_failed;
    result.error = error.what();
    // Counters may be ahead of the rolled-back database; reload them.
    try {
      load_state();
    } catch (const sqlite::SqliteError&) {
    }
    return result;
  }
  last_row_id_ = row_id;
  result.seq = seq;
  for (std::size_t i = 0; i < kAllPriorities.size(); ++i) {
    if (evicted[i] > 0) {
      spdlog::warn("outbox: full; dropped {} oldest {} message(s) to store a new {} message", evicted[i],
                   to_string(kAllPriorities[i]), to_string(priority));
    }
  }
  stats_.depth[p] += 1;
  stats_.rows += 1;
  stats_.bytes += static_cast<std::uint64_t>(bytes);
  if (!stats_.oldest_created_ms) stats_.oldest_created_ms = now_ms;
  return result;
}

// Inside the caller's transaction: evicts the oldest rows of the lowest
// priority that is not more important than `priority` until the new row
// fits. Returns false when it cannot fit without evicting something more
// important. Counters are updated by the caller after commit.
bool Outbox::make_room(Priority priority, std::int64_t incoming_bytes, PerPriority& evicted) {
  PerPriority evicted_awaiting{};
  if (incoming_bytes > limits_.max_bytes) return false;
  auto rows = static_cast<std::int64_t>(stats_.rows);
  auto bytes = static_cast<std::int64_t>(stats_.bytes);
  auto over = [&] { return rows + 1 > limits_.max_rows || bytes + incoming_bytes > limits_.max_bytes; };
  if (!over()) return true;
  for (auto p = static_cast<int>(kAllPriorities.size()) - 1; p >= static_cast<int>(priority) && over(); --p) {
    auto victims = db_->prepare(
        "SELECT id, bytes, published_ms IS NOT NULL FROM outbox WHERE priority = ? ORDER BY id LIMIT 64");
    auto remove = db_->prepare("DELETE FROM outbox WHERE id = ?");
    while (over()) {
      victims.reset();
      victims.bind(1, p);
      bool any = false;
      while (over() && victims.step()) {
        any = true;
        remove.reset();
        remove.bind(1, victims.column_int64(0)).run();
        rows -= 1;
        bytes -= victims.column_int64(1);
        evicted[static_cast<std::size_t>(p)] += 1;
        if (victims.column_int64(2) != 0) evicted_awaiting[static_cast<std::size_t>(p)] += 1;
      }
      if (!any) break;
    }
  }
  if (over()) return false;
  for (std::size_t i = 0; i < kAllPriorities.size(); ++i) {
    stats_.depth[i] -= evicted[i];
    stats_.awaiting_receipt[i] -= evicted_awaiting[i];
    stats_.awaiting_receipt_rows -= evicted_awaiting[i];
  }
  stats_.rows = static_cast<std::uint64_t>(rows);
  stats_.bytes = static_cast<std::uint64_t>(bytes);
  return true;
}

void Outbox::add_drops(const PerPriority& drops) {
  for (std::size_t p = 0; p < kAllPriorities.size(); ++p) {
    if (drops[p] == 0) continue;
    stats_.dropped[p] += drops[p];
    db_->prepare("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        .bind(1, meta_key_dropped(p))
        .bind(2, std::to_string(stats_.dropped[p]))
        .run();
  }
}

std::vector<OutboxRow> Outbox::next_rows(Priority priority, std::int64_t after_id, std::size_t limit) {
  std::vector<OutboxRow> rows;
  rows.reserve(limit);
  auto& query = cached(statements_.next_rows,
                       "SELECT id, topic, payload, created_ms FROM outbox WHERE priority = ? AND id > ? AND "
                       "published_ms IS NULL ORDER BY id LIMIT ?");
  const ResetOnExit reset(query);
  query.bind(1, static_cast<int>(priority)).bind(2, after_id).bind(3, static_cast<std::int64_t>(limit));
  while (query.step()) {
    rows.push_back({query.column_int64(0), priority, query.column_text(1), query.column_blob(2),
                    query.column_int64(3)});
  }
  return rows;
}

std::vector<OutboxRow> Outbox::rows_by_ids(const std::vector<std::int64_t>& ids) {
  std::vector<OutboxRow> rows;
  auto& query =
      cached(statements_.row_by_id, "SELECT id, priority, topic, payload, created_ms FROM outbox WHERE id = ?");
  const ResetOnExit reset(query);
  for (auto id : ids) {
    query.reset();
    query.bind(1, id);
    if (!query.step()) continue;  // delivered meanwhile, or evicted
    const auto priority = priority_from_int(static_cast<int>(query.column_int64(1))).value_or(Priority::telemetry);
    rows.push_back({query.column_int64(0), priority, query.column_text(2), query.column_blob(3), query.column_int64(4)});
  }
  return rows;
}

void Outbox::run_for_ids(sqlite::Statement& statement, const std::vector<std::int64_t>& ids,
                         const std::optional<std::int64_t>& extra,
                         const std::function<void(sqlite::Statement&)>& on_row) {
  // These writes need not reach the disk before we go on: if power fails
  // first, a row is sent again (or awaits its receipt again) and central
  // drops the duplicate by id. Skipping this fsync keeps PUBACK and
  // receipt handling off the disk's latency. The next append's FULL
  // commit syncs these WAL frames anyway.
  db_->exec("PRAGMA synchronous=NORMAL");
  struct RestoreFull {
    sqlite::Database& db;
    ~RestoreFull() {
      try {
        db.exec("PRAGMA synchronous=FULL");
      } catch (const sqlite::SqliteError&) {
      }
    }
  } restore{*db_};
  sqlite::Transaction transaction(*db_);
  const ResetOnExit reset(statement);
  for (std::size_t first = 0; first < ids.size(); first += kIdChunk) {
    // reset() also clears the bindings: unused placeholders are NULL,
    // which matches no id.
    statement.reset();
    const auto count = std::min(kIdChunk, ids.size() - first);
    for (std::size_t i = 0; i < count; ++i) statement.bind(static_cast<int>(i + 1), ids[first + i]);
    if (extra) statement.bind(static_cast<int>(kIdChunk + 1), *extra);
    while (statement.step()) on_row(statement);
  }
  transaction.commit();
}

void Outbox::remove(const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return;
  try {
    static const std::string sql = remove_sql();
    PerPriority removed{};
    PerPriority removed_awaiting{};
    std::uint64_t removed_bytes = 0;
    run_for_ids(cached(statements_.remove, sql), ids, std::nullopt, [&](sqlite::Statement& row) {
      const auto p = static_cast<std::size_t>(row.column_int64(0));
      removed[p] += 1;
      removed_bytes += static_cast<std::uint64_t>(row.column_int64(1));
      if (row.column_int64(2) != 0) removed_awaiting[p] += 1;
    });
    for (std::size_t p = 0; p < kAllPriorities.size(); ++p) {
      stats_.depth[p] -= removed[p];
      stats_.rows -= removed[p];
      stats_.awaiting_receipt[p] -= removed_awaiting[p];
      stats_.awaiting_receipt_rows -= removed_awaiting[p];
    }
    stats_.bytes -= removed_bytes;
    refresh_oldest();
  } catch (const sqlite::SqliteError& error) {
    // The rows stay and are re-sent later; central absorbs the duplicates.
    note_store_error(error);
  }
}

void Outbox::mark_published(const std::vector<std::int64_t>& ids, EpochMs now_ms) {
  if (ids.empty()) return;
  try {
    static const std::string sql = mark_published_sql();
    PerPriority marked{};
    run_for_ids(cached(statements_.mark_published, sql), ids, now_ms,
                [&](sqlite::Statement& row) { marked[static_cast<std::size_t>(row.column_int64(0))] += 1; });
    for (std::size_t p = 0; p < kAllPriorities.size(); ++p) {
      stats_.awaiting_receipt[p] += marked[p];
      stats_.awaiting_receipt_rows += marked[p];
    }
  } catch (const sqlite::SqliteError& error) {
    // The rows stay unsent and go out again after a restart; the
    // duplicates are absorbed by central.
    note_store_error(error);
  }
}

std::vector<Outbox::Requeued> Outbox::requeue_unreceipted(EpochMs published_before_ms, EpochMs now_ms) {
  std::vector<Requeued> requeued;
  if (stats_.awaiting_receipt_rows == 0) return requeued;
  try {
    sqlite::Transaction transaction(*db_);
    auto statement = db_->prepare(
        "UPDATE outbox SET published_ms = NULL WHERE published_ms IS NOT NULL AND (published_ms < ? OR published_ms > "
        "?) RETURNING id, priority");
    statement.bind(1, published_before_ms).bind(2, now_ms);
    while (statement.step()) {
      const auto priority = priority_from_int(static_cast<int>(statement.column_int64(1)));
      if (priority) requeued.push_back({statement.column_int64(0), *priority});
    }
    statement.reset();
    transaction.commit();
  } catch (const sqlite::SqliteError& error) {
    note_store_error(error);
    return {};
  }
  for (const auto& row : requeued) {
    stats_.awaiting_receipt[static_cast<std::size_t>(row.priority)] -= 1;
    stats_.awaiting_receipt_rows -= 1;
  }
  std::sort(requeued.begin(), requeued.end(), [](const Requeued& a, const Requeued& b) { return a.id < b.id; });
  return requeued;
}

void Outbox::refresh_oldest() {
  if (stats_.rows == 0) {
    stats_.oldest_created_ms.reset();
    return;
  }
  auto& oldest = cached(statements_.oldest, "SELECT created_ms FROM outbox ORDER BY id LIMIT 1");
  const ResetOnExit reset(oldest);
  if (oldest.step()) stats_.oldest_created_ms = oldest.column_int64(0);
}

std::size_t Outbox::expire(EpochMs now_ms) {
  try {
    PerPriority expired{};
    {
      sqlite::Transaction transaction(*db_);
      auto statement = db_->prepare("DELETE FROM outbox WHERE created_ms < ? RETURNING priority");
      statement.bind(1, now_ms - limits_.max_age_ms);
      while (statement.step()) expired[static_cast<std::size_t>(statement.column_int64(0))] += 1;
      add_drops(expired);
      transaction.commit();
    }
    std::uint64_t total = 0;
    for (auto count : expired) total += count;
    if (total > 0) {
      spdlog::warn("outbox: dropped {} message(s) older than {} h", total, limits_.max_age_ms / 3'600'000);
      load_state();
    }
    return static_cast<std::size_t>(total);  // at most the rows the table held
  } catch (const sqlite::SqliteError& error) {
    note_store_error(error);
    return 0;
  }
}

OutboxStats Outbox::stats() const { return stats_; }

void Outbox::note_store_error(const sqlite::SqliteError& error) {
  stats_.store_errors += 1;
  const char* kind = error.is_disk_full()   ? "the disk is full"
                     : error.is_read_only() ? "the filesystem is read-only"
                                            : "a storage error";
  // The first errors are logged in full; after that one line per 100, so
  // a full disk does not also flood the log partition.
  if (store_error_log_budget_ < 5 || stats_.store_errors % 100 == 0) {
    spdlog::error("outbox: cannot write {} because {} ({}); {} write error(s) so far; detection continues", path_,
                  kind, error.what(), stats_.store_errors);
  }
  store_error_log_budget_ += 1;
}

}  // namespace gridwatch::edge
