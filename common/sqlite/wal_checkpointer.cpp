#include "common/sqlite/wal_checkpointer.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <memory>

#include "common/sqlite/sqlite.hpp"

namespace gridwatch::sqlite {
namespace {

// WAL size, in pages, at which the background checkpointer copies the WAL
// back into the database file (SQLite's own auto-checkpoint default), and
// the size at which the committing connection does it itself because the
// background checkpoints do not keep up.
constexpr int kCheckpointPages = 1000;
constexpr int kInlineCheckpointPages = 8000;

}  // namespace

// SQLite's auto-checkpoint runs inside the commit that crosses the
// threshold: it copies up to a few MB into the database file and fsyncs
// it. On the gateway it blocked the io_context thread (PUBACK handling,
// refills) for up to 50-80 ms at a time during a backlog drain; on central
// it was 13 % of the ingest thread's CPU (docs/benchmarks.md). This thread
// touches no row, only the WAL and database files, which SQLite's locking
// shares between connections. A PASSIVE checkpoint never waits for, nor
// blocks, the owner's reads and writes.
WalCheckpointer::WalCheckpointer(std::string path, std::string label)
    : path_(std::move(path)), label_(std::move(label)), thread_([this] { run(); }) {}

WalCheckpointer::~WalCheckpointer() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void WalCheckpointer::attach(Database& owner) {
  // Replaces SQLite's auto-checkpoint, which is itself a WAL hook.
  sqlite3_wal_hook(owner.handle(), &WalCheckpointer::on_commit, this);
}

void WalCheckpointer::detach(Database& owner) { sqlite3_wal_hook(owner.handle(), nullptr, nullptr); }

void WalCheckpointer::request() {
  if (requested_.exchange(true)) return;
  const std::lock_guard lock(mutex_);  // so the wake-up cannot slip past the wait
  wake_.notify_one();
}

int WalCheckpointer::on_commit(void* context, sqlite3* db, const char* name, int pages) {
  if (pages >= kCheckpointPages) static_cast<WalCheckpointer*>(context)->request();
  if (pages >= kInlineCheckpointPages) {
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  return SQLITE_OK;
}

void WalCheckpointer::run() {
  std::unique_ptr<Database> db;  // opened on first use, closed on this thread
  int failures = 0;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stop_ || requested_.load(); });
      if (stop_) return;
    }
    requested_ = false;
    int rc = SQLITE_OK;
    std::string error;
    try {
      if (!db) {
        db = std::make_unique<Database>(path_);
        db->exec("PRAGMA synchronous=FULL");
      }
      rc = sqlite3_wal_checkpoint_v2(db->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      if (rc != SQLITE_OK && rc != SQLITE_BUSY) error = sqlite3_errmsg(db->handle());
    } catch (const std::exception& exception) {
      error = exception.what();
      db.reset();
    }
    // Not fatal: the WAL keeps the data, and the owner's connection
    // checkpoints itself once the WAL reaches kInlineCheckpointPages.
    if (!error.empty() && failures++ < 5) {
      spdlog::warn("{}: background WAL checkpoint of {} failed: {}", label_, path_, error);
    }
  }
}

}  // namespace gridwatch::sqlite
