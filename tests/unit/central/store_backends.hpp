#pragma once
// The two Store backends as Catch2 template parameters, so one test case
// runs against both: each fixture owns a fresh, empty database.
//
//   TEMPLATE_TEST_CASE("...", "[store]", SqliteBackend, PostgresBackend) {
//     if (!backend_usable<TestType>()) return;   // SKIP without PostgreSQL
//     TestType backend;
//     auto store = backend.open();
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "central/postgres_store.hpp"
#include "central/sqlite_store.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/test_env.hpp"

namespace gridwatch::test {

struct SqliteBackend {
  static constexpr const char* kName = "sqlite";
  static bool available() { return true; }
  static std::string why_not() { return ""; }

  std::unique_ptr<central::Store> open() { return std::make_unique<central::SqliteStore>(path()); }
  std::unique_ptr<central::Store> open_read_only() {
    return std::make_unique<central::SqliteStore>(path(), central::SqliteStore::Access::read_only);
  }
  std::string path() const { return dir.file("central.db"); }

  TempDir dir;
};

/// A fresh database on the test binary's one PostgreSQL server.
struct PostgresBackend {
  static constexpr const char* kName = "postgres";
  static bool available() { return PostgresServer::shared().available(); }
  static std::string why_not() { return PostgresServer::shared().why_not(); }

  std::unique_ptr<central::Store> open() { return std::make_unique<central::PostgresStore>(conninfo); }
  std::unique_ptr<central::Store> open_read_only() {
    return std::make_unique<central::PostgresStore>(conninfo, central::PostgresStore::Access::read_only);
  }

  std::string conninfo = PostgresServer::shared().create_database();
};

/// False (with a WARN naming what is missing) when the backend cannot run
/// here: the test then returns, a SKIP rather than a failure.
template <typename Backend>
bool backend_usable() {
  if (Backend::available()) return true;
  WARN("SKIPPED for " << Backend::kName << ": " << Backend::why_not());
  return false;
}

}  // namespace gridwatch::test
