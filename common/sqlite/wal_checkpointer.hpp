#pragma once
// WAL checkpoints on a thread and a connection of their own, for a
// connection that owns a hot write path (the gateway's outbox, central's
// store). See wal_checkpointer.cpp for why.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace gridwatch::sqlite {

class Database;

class WalCheckpointer {
 public:
  /// `label` names the store in warnings ("outbox", "store").
  WalCheckpointer(std::string path, std::string label);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  /// Installs the checkpointer on `owner`, the connection whose commits
  /// fill the WAL, in place of SQLite's auto-checkpoint. The checkpointer
  /// must outlive the hook: call detach() (or close `owner`) first.
  void attach(Database& owner);
  static void detach(Database& owner);

  /// Any thread. Cheap while a request is pending.
  void request();

 private:
  static int on_commit(void* context, ::sqlite3* db, const char* name, int pages);
  void run();

  std::string path_;
  std::string label_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::atomic<bool> requested_{false};
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace gridwatch::sqlite
