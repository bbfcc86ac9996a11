#include "common/sqlite/sqlite.hpp"

#include <sqlite3.h>

#include <utility>

namespace gridwatch::sqlite {
namespace {

[[noreturn]] void throw_error(sqlite3* db, int code, std::string_view context) {
  std::string message(context);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  const int extended = db != nullptr ? sqlite3_extended_errcode(db) : code;
  throw SqliteError(extended, message);
}

}  // namespace

SqliteError::SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}

bool SqliteError::is_corrupt() const {
  const int primary = code_ & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}
bool SqliteError::is_disk_full() const { return (code_ & 0xff) == SQLITE_FULL; }
bool SqliteError::is_read_only() const {
  const int primary = code_ & 0xff;
  return primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN || primary == SQLITE_PERM;
}

Database::Database(const std::string& path, Mode mode) : path_(path) {
  const int flags = mode == Mode::read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = "open " + path + ": " + (db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError(rc, message);
  }
  sqlite3_extended_result_codes(db_, 1);
  // Another process (a CLI listing, a test) may hold a short lock.
  sqlite3_busy_timeout(db_, 5000);
}

Database::~Database() {
  finalize_cached();
  sqlite3_close_v2(db_);
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)), cached_(std::move(other.cached_)) {
  other.cached_.clear();
}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    finalize_cached();
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    cached_ = std::move(other.cached_);
    other.cached_.clear();
  }
  return *this;
}

void Database::finalize_cached() {
  for (auto& [sql, cached] : cached_) sqlite3_finalize(cached.stmt);
  cached_.clear();
}

void Database::exec(const std::string& sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw SqliteError(sqlite3_extended_errcode(db_), "exec: " + message);
  }
}

Statement Database::prepare(std::string_view sql) { return Statement(db_, sql); }

Statement Database::prepare_cached(std::string_view sql) {
  auto found = cached_.find(sql);
  if (found == cached_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                      &stmt, nullptr);
    if (rc != SQLITE_OK) throw_error(db_, rc, "prepare");
    found = cached_.emplace(std::string(sql), CachedStatement{stmt, false}).first;
  }
  if (found->second.in_use) return Statement(db_, sql);
  found->second.in_use = true;
  return Statement(db_, found->second.stmt, &found->second.in_use);
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int Database::changes() const { return sqlite3_changes(db_); }

std::optional<std::string> Database::query_text(std::string_view sql) {
  Statement statement(db_, sql);
  if (!statement.step()) return std::nullopt;
  return statement.column_text(0);
}

std::string Database::quick_check() { return query_text("PRAGMA quick_check").value_or("no answer"); }

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) throw_error(db, rc, "prepare");
}

Statement::Statement(sqlite3* db, sqlite3_stmt* cached, bool* in_use)
    : db_(db), stmt_(cached), cached_in_use_(in_use) {}

Statement::~Statement() {
  if (cached_in_use_ == nullptr) {
    sqlite3_finalize(stmt_);
    return;
  }
  // Back to the cache: a reset statement holds no lock and no stale bindings.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *cached_in_use_ = false;
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      cached_in_use_(std::exchange(other.cached_in_use_, nullptr)) {}

Statement& Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) throw_error(db_, rc, "bind");
  return *this;
}

Statement& Statement::bind(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK) throw_error(db_, rc, "bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  const int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) throw_error(db_, rc, "bind");
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  const int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) throw_error(db_, rc, "bind");
  return *this;
}

Statement& Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) throw_error(db_, rc, "bind");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_error(db_, rc, "step");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::column_int64(int index) const { return sqlite3_column_int64(stmt_, index); }
double Statement::column_double(int index) const { return sqlite3_column_double(stmt_, index); }
bool Statement::column_is_null(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }

std::string Statement::column_text(int index) const {
  const auto* text = sqlite3_column_text(stmt_, index);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)));
}

std::string Statement::column_blob(int index) const {
  const void* data = sqlite3_column_blob(stmt_, index);
  if (data == nullptr) return {};
  return std::string(static_cast<const char*>(data), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)));
}

// One savepoint name serves every level: ROLLBACK TO and RELEASE act on
// the innermost savepoint of that name, which is always our own.
constexpr const char* kSavepoint = "gridwatch_nested";

Transaction::Transaction(Database& db) : db_(db), nested_(sqlite3_get_autocommit(db.handle()) == 0) {
  db_.exec(nested_ ? std::string("SAVEPOINT ") + kSavepoint : std::string("BEGIN IMMEDIATE"));
}

Transaction::~Transaction() {
  if (done_) return;
  try {
    if (nested_) {
      db_.exec(std::string("ROLLBACK TO ") + kSavepoint);
      db_.exec(std::string("RELEASE ") + kSavepoint);
    } else {
      db_.exec("ROLLBACK");
    }
  } catch (const SqliteError&) {
    // Rollback after a failed statement may report "no transaction is
    // active" (or no such savepoint) when SQLite already rolled the whole
    // transaction back itself (disk full, I/O error); nothing to undo.
  }
}

void Transaction::commit() {
  db_.exec(nested_ ? std::string("RELEASE ") + kSavepoint : std::string("COMMIT"));
  done_ = true;
}

}  // namespace gridwatch::sqlite
