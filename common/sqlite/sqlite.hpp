#pragma once
// Thin RAII layer over the SQLite C API. Every failure throws SqliteError
// carrying the extended result code, so callers can tell a corrupt file
// from a full disk from a read-only mount.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace gridwatch::sqlite {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what);
  int code() const { return code_; }
  /// The file is not a database or its structure is damaged.
  bool is_corrupt() const;
  bool is_disk_full() const;
  bool is_read_only() const;

 private:
  int code_;
};

class Statement;

class Database {
 public:
  enum class Mode { read_write_create, read_only };

  explicit Database(const std::string& path, Mode mode = Mode::read_write_create);
  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const std::string& sql);
  Statement prepare(std::string_view sql);
  /// Like prepare(), but the compiled statement is kept for the life of
  /// the connection and handed out again (reset, bindings cleared) for the
  /// same text: parsing costs more than running a short statement. Only
  /// for SQL whose text is fixed (values bound, never spliced in), so the
  /// cache stays as small as the code's set of statements. A statement
  /// still in use when the same text is asked for again is prepared anew.
  Statement prepare_cached(std::string_view sql);
  std::int64_t last_insert_rowid() const;
  int changes() const;
  /// Runs PRAGMA quick_check; returns "ok" or the first problem found.
  std::string quick_check();
  /// Single-value query helper, e.g. "PRAGMA journal_mode".
  std::optional<std::string> query_text(std::string_view sql);
  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  void finalize_cached();

  sqlite3* db_ = nullptr;
  std::string path_;
  std::map<std::string, CachedStatement, std::less<>> cached_;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);

  /// Steps once; true when a row is available.
  bool step();
  /// Steps to completion, for statements that return no rows.
  void run();
  void reset();

  // Columns are 0-based, as in SQLite.
  std::int64_t column_int64(int index) const;
  double column_double(int index) const;
  std::string column_text(int index) const;
  std::string column_blob(int index) const;
  bool column_is_null(int index) const;

 private:
  friend class Database;
  /// Borrows a cached statement: destruction resets it and hands it back.
  Statement(sqlite3* db, sqlite3_stmt* cached, bool* in_use);

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  bool* cached_in_use_ = nullptr;  ///< set for a borrowed statement
};

/// BEGIN IMMEDIATE ... COMMIT; rolls back unless commit() was called.
/// Inside another transaction on the same connection it is a SAVEPOINT
/// instead: commit() releases it into the enclosing transaction, and
/// leaving without commit() undoes only its own work. That lets a caller
/// group many self-contained writes into one commit (central's ingest
/// batches) without the writes knowing.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();
  /// True when this is a savepoint inside an enclosing transaction.
  bool nested() const { return nested_; }

 private:
  Database& db_;
  bool nested_;
  bool done_ = false;
};

}  // namespace gridwatch::sqlite
