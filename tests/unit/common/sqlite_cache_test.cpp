// Database::prepare_cached: the compiled statement is reused, but every
// use starts from a reset statement with no bindings left over.
#include <catch2/catch.hpp>

#include "common/sqlite/sqlite.hpp"

using gridwatch::sqlite::Database;

namespace {

Database table_with_rows() {
  Database db(":memory:");
  db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)");
  for (int id = 1; id <= 3; ++id) {
    db.prepare_cached("INSERT INTO t(id, name) VALUES(?, ?)").bind(1, id).bind(2, "row " + std::to_string(id)).run();
  }
  return db;
}

}  // namespace

TEST_CASE("a cached statement starts each use reset, with no old bindings", "[sqlite]") {
  auto db = table_with_rows();
  {
    // Left mid-result on purpose: the next use must start from the first row.
    auto select = db.prepare_cached("SELECT name FROM t WHERE id >= ? ORDER BY id");
    select.bind(1, 1);
    REQUIRE(select.step());
    CHECK(select.column_text(0) == "row 1");
  }
  {
    auto select = db.prepare_cached("SELECT name FROM t WHERE id >= ? ORDER BY id");
    select.bind(1, 2);
    REQUIRE(select.step());
    CHECK(select.column_text(0) == "row 2");
  }
  // Bindings are cleared: an unbound parameter is NULL, which matches nothing.
  auto unbound = db.prepare_cached("SELECT name FROM t WHERE id >= ? ORDER BY id");
  CHECK_FALSE(unbound.step());
}

TEST_CASE("the same text in use twice at once gets two statements", "[sqlite]") {
  auto db = table_with_rows();
  auto outer = db.prepare_cached("SELECT id FROM t WHERE id >= ? ORDER BY id");
  outer.bind(1, 1);
  int pairs = 0;
  while (outer.step()) {
    auto inner = db.prepare_cached("SELECT id FROM t WHERE id >= ? ORDER BY id");
    inner.bind(1, outer.column_int64(0));
    while (inner.step()) ++pairs;
  }
  CHECK(pairs == 3 + 2 + 1);
}

TEST_CASE("cached statements follow a moved database and see schema changes", "[sqlite]") {
  auto db = table_with_rows();
  CHECK(db.prepare_cached("SELECT count(*) FROM t").step());
  Database moved(std::move(db));
  moved.exec("ALTER TABLE t ADD COLUMN extra INTEGER NOT NULL DEFAULT 7");
  auto count = moved.prepare_cached("SELECT count(*) FROM t");
  REQUIRE(count.step());
  CHECK(count.column_int64(0) == 3);
  auto star = moved.prepare_cached("SELECT * FROM t WHERE id = 1");
  REQUIRE(star.step());
  CHECK(star.column_int64(2) == 7);
  CHECK_THROWS_AS(moved.prepare_cached("SELECT nonsense FROM"), gridwatch::sqlite::SqliteError);
}
