// sqlite::Transaction nests as a savepoint, so a caller can group
// self-contained writes into one commit (central's ingest batches).
#include <catch2/catch.hpp>

#include "common/sqlite/sqlite.hpp"
#include "tests/support/test_env.hpp"

using gridwatch::sqlite::Database;
using gridwatch::sqlite::Transaction;

namespace {

std::int64_t rows(Database& db) { return std::stoll(db.query_text("SELECT count(*) FROM t").value_or("-1")); }

void insert(Database& db, int id) { db.prepare_cached("INSERT INTO t(id) VALUES(?)").bind(1, id).run(); }

}  // namespace

TEST_CASE("a transaction inside another is a savepoint: its rollback undoes only its own writes", "[sqlite]") {
  Database db(":memory:");
  db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY)");
  Transaction outer(db);
  CHECK_FALSE(outer.nested());
  {
    Transaction kept(db);
    CHECK(kept.nested());
    insert(db, 1);
    kept.commit();
  }
  {
    Transaction undone(db);
    insert(db, 2);
    insert(db, 3);
  }  // no commit
  {
    Transaction failed(db);
    insert(db, 4);
    CHECK_THROWS(insert(db, 1));  // primary key: the statement fails, the savepoint unwinds
  }
  CHECK(rows(db) == 1);
  outer.commit();
  CHECK(rows(db) == 1);
  // Outside any transaction it is a transaction of its own again.
  Transaction alone(db);
  CHECK_FALSE(alone.nested());
}

TEST_CASE("writes released into an enclosing transaction are not visible to another connection until it commits",
          "[sqlite]") {
  gridwatch::test::TempDir dir;
  const auto path = dir.file("t.db");
  Database writer(path);
  writer.query_text("PRAGMA journal_mode=WAL");
  writer.exec("CREATE TABLE t(id INTEGER PRIMARY KEY)");
  Database reader(path);
  {
    Transaction batch(writer);
    for (int id = 1; id <= 3; ++id) {
      Transaction write(writer);
      insert(writer, id);
      write.commit();
    }
    CHECK(rows(reader) == 0);
    CHECK(rows(writer) == 3);
    batch.commit();
  }
  CHECK(rows(reader) == 3);
  {
    Transaction batch(writer);
    Transaction write(writer);
    insert(writer, 4);
    write.commit();
  }  // the batch is abandoned: the released write goes with it
  CHECK(rows(reader) == 3);
  CHECK(rows(writer) == 3);
}
