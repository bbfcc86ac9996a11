// SQLite-only store cases: the file itself (versioning in user_version,
// corrupt files). The semantics shared with PostgreSQL are in
// store_contract_test.cpp.
#include <catch2/catch.hpp>
#include <filesystem>

#include "central/sqlite_store.hpp"
#include "central/store_sql.hpp"
#include "tests/support/test_env.hpp"

using namespace gridwatch;
using namespace gridwatch::central;

TEST_CASE("migrations are versioned and a newer schema is refused", "[store][sqlite]") {
  test::TempDir dir;
  { CHECK(SqliteStore(dir.file("central.db")).schema_version() == 6); }  // ...fleet+auth, fire-cue index
  { sqlite::Database(dir.file("central.db")).exec("PRAGMA user_version=42"); }
  CHECK_THROWS_WITH(SqliteStore(dir.file("central.db")), Catch::Contains("newer than this build"));
}

TEST_CASE("fire-cue candidates are looked up by place through an index", "[store][sqlite]") {
  // Without the box and its index every open smoke incident of the
  // correlation window was read for each new smoke alert.
  test::TempDir dir;
  { SqliteStore store(dir.file("central.db")); }
  sqlite::Database db(dir.file("central.db"));
  auto plan = db.prepare(std::string("EXPLAIN QUERY PLAN ") + kFireCueCandidates);
  std::string details;
  while (plan.step()) details += plan.column_text(3) + "\n";
  CHECK_THAT(details, Catch::Contains("incidents_fire_cue (kind=? AND lat>? AND lat<?)"));
}

TEST_CASE("a corrupt central database is refused, never silently replaced", "[store][sqlite][corrupt]") {
  const auto fixture = GENERATE(as<std::string>{}, "not-a-database.db", "truncated-header.db");
  test::TempDir dir;
  std::filesystem::copy_file(std::string(GRIDWATCH_SOURCE_DIR) + "/tests/fixtures/outbox/" + fixture,
                             dir.file("central.db"));
  // Central's database is the system of record for staff: an operator
  // decides what to do with it, so it is never moved aside automatically.
  CHECK_THROWS_AS(SqliteStore(dir.file("central.db")), sqlite::SqliteError);
  CHECK(std::filesystem::file_size(dir.file("central.db")) ==
        std::filesystem::file_size(std::string(GRIDWATCH_SOURCE_DIR) + "/tests/fixtures/outbox/" + fixture));
}

TEST_CASE("a read-only store never creates or migrates the database", "[store][sqlite]") {
  test::TempDir dir;
  CHECK_THROWS(SqliteStore(dir.file("central.db"), SqliteStore::Access::read_only));
  CHECK_FALSE(std::filesystem::exists(dir.file("central.db")));
}
