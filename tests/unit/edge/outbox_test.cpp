#include <catch2/catch.hpp>
#include <filesystem>

#include "edge/outbox.hpp"
#include "tests/support/test_env.hpp"

using namespace gridwatch;
using namespace gridwatch::edge;
using gridwatch::test::TempDir;

namespace {

constexpr EpochMs kNow = 1'795'000'000'000;

std::vector<std::int64_t> drain_order(Outbox& outbox) {
  std::vector<std::int64_t> ids;
  for (auto priority : kAllPriorities) {
    for (const auto& row : outbox.next_rows(priority, 0, 1000)) ids.push_back(row.id);
  }
  return ids;
}

std::string topic_of(Outbox& outbox, Priority priority) {
  auto rows = outbox.next_rows(priority, 0, 1);
  return rows.empty() ? std::string() : rows.front().topic;
}

}  // namespace

TEST_CASE("appended rows come back by priority, oldest first", "[outbox]") {
  TempDir dir;
  Outbox outbox(dir.file("outbox.db"), {}, kNow);
  REQUIRE(outbox.append(Priority::telemetry, "t/1", "tele", kNow).status == AppendStatus::stored);
  REQUIRE(outbox.append(Priority::parking, "t/2", "park", kNow).status == AppendStatus::stored);
  REQUIRE(outbox.append(Priority::alarm, "t/3", "fire", kNow).status == AppendStatus::stored);
  REQUIRE(outbox.append(Priority::alarm, "t/4", "fire2", kNow).status == AppendStatus::stored);

  auto alarms = outbox.next_rows(Priority::alarm, 0, 10);
  REQUIRE(alarms.size() == 2);
  CHECK(alarms[0].payload == "fire");
  CHECK(alarms[1].payload == "fire2");
  CHECK(outbox.next_rows(Priority::alarm, alarms[0].id, 10).size() == 1);  // cursor
  const auto stats = outbox.stats();
  CHECK(stats.rows == 4);
  CHECK(stats.depth[static_cast<std::size_t>(Priority::alarm)] == 2);
  CHECK(stats.oldest_created_ms == kNow);
}

TEST_CASE("sequence numbers are persisted and never reused", "[outbox]") {
  TempDir dir;
  std::string epoch;
  {
    Outbox outbox(dir.file("outbox.db"), {}, kNow);
    epoch = outbox.epoch();
    CHECK(epoch.size() == 8);
    auto build = [](std::uint64_t seq) { return "alert " + std::to_string(seq); };
    CHECK(outbox.append_sequenced(Priority::alarm, "a", build, kNow).seq == 1);
    CHECK(outbox.append_sequenced(Priority::alarm, "a", build, kNow).seq == 2);
    outbox.remove({1, 2});
  }
  Outbox reopened(dir.file("outbox.db"), {}, kNow);
  CHECK(reopened.epoch() == epoch);
  const auto next = reopened.append_sequenced(
      Priority::alarm, "a", [](std::uint64_t seq) { return std::to_string(seq); }, kNow);
  CHECK(next.seq == 3);
  CHECK(reopened.next_rows(Priority::alarm, 0, 10).at(0).payload == "3");
}

TEST_CASE("removing delivered rows updates depth, unknown ids are ignored", "[outbox]") {
  TempDir dir;
  Outbox outbox(dir.file("outbox.db"), {}, kNow);
  const auto a = outbox.append(Priority::alarm, "a", "1", kNow).row_id;
  outbox.append(Priority::telemetry, "t", "2", kNow + 5);
  outbox.remove({a, 9999});
  const auto stats = outbox.stats();
  CHECK(stats.rows == 1);
  CHECK(stats.depth[static_cast<std::size_t>(Priority::alarm)] == 0);
  CHECK(stats.oldest_created_ms == kNow + 5);
}

TEST_CASE("outbox: removing many rows at once, every known id goes, in chunks, counters follow", "[outbox]") {
  TempDir dir;
  Outbox outbox(dir.file("outbox.db"), {}, kNow);
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 150; ++i) {
    const auto priority = i % 3 == 0 ? Priority::alarm : Priority::parking;
    ids.push_back(outbox.append(priority, "t", "payload " + std::to_string(i), kNow + i).row_id);
  }
  const auto bytes_before = outbox.stats().bytes;
  // 130 of them (more than one statement's worth), out of order, with
  // unknown ids and a duplicate mixed in.
  std::vector<std::int64_t> gone(ids.rbegin(), ids.rbegin() + 130);
  gone.insert(gone.begin() + 7, 99'999);
  gone.push_back(gone.front());
  outbox.remove(gone);
  const auto stats = outbox.stats();
  CHECK(stats.rows == 20);
  CHECK(stats.depth[static_cast<std::size_t>(Priority::alarm)] == 7);    // ids 0, 3, ..., 18
  CHECK(stats.depth[static_cast<std::size_t>(Priority::parking)] == 13);
  CHECK(stats.bytes < bytes_before);
  CHECK(stats.oldest_created_ms == kNow);
  CHECK(drain_order(outbox).size() == 20);
  // The rest, then the cached statements serve a new row.
  outbox.remove({ids.begin(), ids.begin() + 20});
  CHECK(outbox.stats().rows == 0);
  CHECK_FALSE(outbox.stats().oldest_created_ms.has_value());
  CHECK(outbox.append(Priority::alarm, "t", "again", kNow).status == AppendStatus::stored);
  CHECK(outbox.next_rows(Priority::alarm, 0, 10).at(0).payload == "again");
}

TEST_CASE("outbox: the WAL is copied back into the database in the background", "[outbox]") {
  TempDir dir;
  const auto path = dir.file("outbox.db");
  Outbox outbox(path, {}, kNow);
  // About 1,700 WAL pages: past the background checkpoint threshold (1,000)
  // and far below the size at which a commit would checkpoint by itself.
  const std::string payload(64 * 1024, 'x');
  for (int i = 0; i < 100; ++i) {
    REQUIRE(outbox.append(Priority::evidence, "e", payload, kNow).status == AppendStatus::stored);
  }
  CHECK(test::wait_until([&] { return std::filesystem::file_size(path) > 4 * payload.size() * 10; },
                         std::chrono::seconds(20)));
  CHECK(outbox.next_rows(Priority::evidence, 0, 1000).size() == 100);
}

TEST_CASE("capacity: telemetry is dropped first, then lower priorities, drops are counted and persisted",
          "[outbox]") {
  TempDir dir;
  OutboxLimits limits;
  limits.max_rows = 4;
  {
    Outbox outbox(dir.file("outbox.db"), limits, kNow);
    outbox.append(Priority::telemetry, "t", "t1", kNow);
    outbox.append(Priority::parking, "p", "p1", kNow);
    outbox.append(Priority::telemetry, "t", "t2", kNow);
    outbox.append(Priority::alarm, "a", "a1", kNow);
    // Full. A new alarm evicts the oldest telemetry.
    REQUIRE(outbox.append(Priority::alarm, "a", "a2", kNow).status == AppendStatus::stored);
    CHECK(outbox.next_rows(Priority::telemetry, 0, 10).at(0).payload == "t2");
    // Another alarm evicts the remaining telemetry, then parking.
    outbox.append(Priority::alarm, "a", "a3", kNow);
    outbox.append(Priority::alarm, "a", "a4", kNow);
    CHECK(outbox.next_rows(Priority::telemetry, 0, 10).empty());
    CHECK(outbox.next_rows(Priority::parking, 0, 10).empty());
    // Only alarms left: a new telemetry row cannot evict them and is dropped itself.
    CHECK(outbox.append(Priority::telemetry, "t", "t3", kNow).status == AppendStatus::dropped_full);
    // A new alarm evicts the oldest alarm rather than lose the newest fire.
    REQUIRE(outbox.append(Priority::alarm, "a", "a5", kNow).status == AppendStatus::stored);
    CHECK(outbox.next_rows(Priority::alarm, 0, 10).at(0).payload == "a2");
    const auto stats = outbox.stats();
    CHECK(stats.rows == 4);
    CHECK(stats.dropped[static_cast<std::size_t>(Priority::telemetry)] == 3);
    CHECK(stats.dropped[static_cast<std::size_t>(Priority::parking)] == 1);
    CHECK(stats.dropped[static_cast<std::size_t>(Priority::alarm)] == 1);
  }
  Outbox reopened(dir.file("outbox.db"), limits, kNow);
  CHECK(reopened.stats().dropped[static_cast<std::size_t>(Priority::telemetry)] == 3);
  CHECK(reopened.stats().rows == 4);
}

TEST_CASE("capacity by bytes", "[outbox]") {
  TempDir dir;
  OutboxLimits limits;
  limits.max_bytes = 1000;
  Outbox outbox(dir.file("outbox.db"), limits, kNow);
  CHECK(outbox.append(Priority::evidence, "e", std::string(600, 'x'), kNow).status == AppendStatus::stored);
  CHECK(outbox.append(Priority::alarm, "a", std::string(600, 'y'), kNow).status == AppendStatus::stored);
  CHECK(outbox.next_rows(Priority::evidence, 0, 10).empty());
  CHECK(outbox.append(Priority::alarm, "a", std::string(2000, 'z'), kNow).status == AppendStatus::dropped_full);
  CHECK(outbox.stats().bytes <= 1000);
}

TEST_CASE("rows older than max age are expired and counted", "[outbox]") {
  TempDir dir;
  OutboxLimits limits;
  limits.max_age_ms = 1000;
  Outbox outbox(dir.file("outbox.db"), limits, kNow);
  outbox.append(Priority::telemetry, "t", "old", kNow);
  outbox.append(Priority::alarm, "a", "new", kNow + 900);
  CHECK(outbox.expire(kNow + 1500) == 1);
  CHECK(outbox.stats().rows == 1);
  CHECK(outbox.stats().dropped[static_cast<std::size_t>(Priority::telemetry)] == 1);
}

TEST_CASE("a corrupt outbox is quarantined and a fresh one takes its place", "[outbox][corrupt]") {
  const auto fixture = GENERATE(as<std::string>{}, "not-a-database.db", "truncated-header.db", "corrupt-page.db");
  CAPTURE(fixture);
  TempDir dir;
  const auto path = dir.file("outbox.db");
  std::filesystem::copy_file(std::string(GRIDWATCH_SOURCE_DIR) + "/tests/fixtures/outbox/" + fixture, path);
  const auto original_size = std::filesystem::file_size(path);

  Outbox outbox(path, {}, kNow);
  REQUIRE(outbox.quarantined_to().has_value());
  CHECK(std::filesystem::exists(*outbox.quarantined_to()));
  CHECK(std::filesystem::file_size(*outbox.quarantined_to()) == original_size);  // kept, untouched
  CHECK(outbox.quarantined_to()->find(".corrupt-") != std::string::npos);
  CHECK(outbox.stats().quarantined == 1);
  CHECK(outbox.stats().rows == 0);
  CHECK(outbox.append(Priority::alarm, "a", "after", kNow).status == AppendStatus::stored);
  CHECK(drain_order(outbox).size() == 1);
  CHECK(topic_of(outbox, Priority::alarm) == "a");
}

TEST_CASE("an outbox from a newer build is refused, not quarantined", "[outbox]") {
  TempDir dir;
  {
    sqlite::Database db(dir.file("outbox.db"));
    db.exec("PRAGMA user_version=99");
  }
  CHECK_THROWS_WITH(Outbox(dir.file("outbox.db"), {}, kNow), Catch::Contains("newer than this build"));
  CHECK(std::filesystem::exists(dir.file("outbox.db")));
}

TEST_CASE("a full disk is a counted store error, what was stored stays", "[outbox][disk]") {
  gridwatch::test::ScratchMount disk(256 * 1024);
  if (!disk.mounted()) {
    WARN("SKIPPED: cannot mount a tmpfs here (" << disk.why_not() << "); disk-full path not exercised");
    return;
  }
  Outbox outbox(disk.file("outbox.db"), {}, kNow);
  REQUIRE(outbox.append(Priority::alarm, "a", "kept", kNow).status == AppendStatus::stored);
  AppendResult result;
  result.status = AppendStatus::stored;
  for (int i = 0; i < 200 && result.status != AppendStatus::store_failed; ++i) {
    result = outbox.append(Priority::telemetry, "t", std::string(16 * 1024, 'x'), kNow);
  }
  REQUIRE(result.status == AppendStatus::store_failed);
  CHECK(result.error.find("full") != std::string::npos);
  CHECK(outbox.stats().store_errors >= 1);
  // The alarm stored before the disk filled is still there and deliverable.
  auto alarms = outbox.next_rows(Priority::alarm, 0, 10);
  REQUIRE(alarms.size() == 1);
  CHECK(alarms[0].payload == "kept");
}

TEST_CASE("an outbox on a read-only filesystem is refused clearly and never quarantined", "[outbox][disk]") {
  gridwatch::test::ScratchMount disk(4 * 1024 * 1024);
  if (!disk.mounted()) {
    WARN("SKIPPED: cannot mount a tmpfs here (" << disk.why_not() << "); read-only path not exercised");
    return;
  }
  { Outbox create(disk.file("outbox.db"), {}, kNow); }
  REQUIRE(disk.remount_read_only());
  try {
    Outbox outbox(disk.file("outbox.db"), {}, kNow);
    FAIL("opening an outbox on a read-only filesystem must fail");
  } catch (const sqlite::SqliteError& error) {
    CHECK(error.is_read_only());
    CHECK_FALSE(error.is_corrupt());
  }
  CHECK(std::filesystem::exists(disk.file("outbox.db")));
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(disk.file("outbox.db")).parent_path())) {
    CHECK(entry.path().string().find(".corrupt-") == std::string::npos);
  }
}

TEST_CASE("outbox: published rows await a receipt, still count in depth, and are not handed out again",
          "[outbox][receipts]") {
  TempDir dir;
  Outbox outbox(dir.file("outbox.db"), {}, kNow);
  for (int i = 0; i < 3; ++i) REQUIRE(outbox.append(Priority::alarm, "a", "x", kNow).status == AppendStatus::stored);
  outbox.mark_published({1, 2}, kNow + 10);
  CHECK(outbox.awaiting_receipt(Priority::alarm) == 2);
  CHECK(outbox.stats().awaiting_receipt_rows == 2);
  CHECK(outbox.depth(Priority::alarm) == 3);  // not delivered yet
  CHECK(outbox.stats().rows == 3);
  const auto rows = outbox.next_rows(Priority::alarm, 0, 10);
  REQUIRE(rows.size() == 1);
  CHECK(rows.front().id == 3);
  // Marking twice counts once; unknown ids are ignored.
  outbox.mark_published({2, 99}, kNow + 20);
  CHECK(outbox.awaiting_receipt(Priority::alarm) == 2);

  // The state survives a restart.
  {
    Outbox reopened(dir.file("outbox.db"), {}, kNow + 30);
  }
  Outbox reopened(dir.file("outbox.db"), {}, kNow + 30);
  CHECK(reopened.awaiting_receipt(Priority::alarm) == 2);
  CHECK(reopened.depth(Priority::alarm) == 3);
}

TEST_CASE("outbox: a receipt removes awaiting rows and their counts", "[outbox][receipts]") {
  TempDir dir;
  Outbox outbox(dir.file("outbox.db"), {}, kNow);
  for (int i = 0; i < 4; ++i) REQUIRE(outbox.append(Priority::fault, "f", "x", kNow).status == AppendStatus::stored);
  outbox.mark_published({1, 2, 3}, kNow);
  outbox.remove({1, 3, 4});  // 4 was never published: a receipt for a re-sent copy may still come
  CHECK(outbox.awaiting_receipt(Priority::fault) == 1);
  CHECK(outbox.depth(Priority::fault) == 1);
  CHECK(outbox.stats().rows == 1);
  Outbox reopened(dir.file("outbox.db"), {}, kNow);
  CHECK(reopened.awaiting_receipt(Priority::fault) == 1);
}

TEST_CASE("outbox: rows without a receipt past the timeout go back to the send queue", "[outbox][receipts]") {
  TempDir dir;
  Outbox outbox(dir.file("outbox.db"), {}, kNow);
  for (int i = 0; i < 3; ++i) REQUIRE(outbox.append(Priority::alarm, "a", "x", kNow).status == AppendStatus::stored);
  outbox.mark_published({1}, kNow);
  outbox.mark_published({2}, kNow + 5'000);
  CHECK(outbox.requeue_unreceipted(kNow, kNow + 6'000).empty());  // none older than kNow
  const auto requeued = outbox.requeue_unreceipted(kNow + 1'000, kNow + 6'000);
  REQUIRE(requeued.size() == 1);
  CHECK(requeued.front().id == 1);
  CHECK(requeued.front().priority == Priority::alarm);
  CHECK(outbox.awaiting_receipt(Priority::alarm) == 1);
  CHECK(outbox.next_rows(Priority::alarm, 0, 10).size() == 2);
  // A wall clock stepped back: a published time in the future is stale too.
  const auto after_step = outbox.requeue_unreceipted(kNow - 60'000, kNow);
  REQUIRE(after_step.size() == 1);
  CHECK(after_step.front().id == 2);
  CHECK(outbox.stats().awaiting_receipt_rows == 0);
}

TEST_CASE("outbox: evicting an awaiting row for capacity keeps the counts right", "[outbox][receipts]") {
  TempDir dir;
  Outbox outbox(dir.file("outbox.db"), {100, 1 << 20, 1'000'000}, kNow);
  for (int i = 0; i < 100; ++i) REQUIRE(outbox.append(Priority::parking, "p", "x", kNow).status == AppendStatus::stored);
  outbox.mark_published({1, 2, 3}, kNow);
  REQUIRE(outbox.append(Priority::alarm, "a", "x", kNow).status == AppendStatus::stored);  // evicts row 1
  CHECK(outbox.awaiting_receipt(Priority::parking) == 2);
  Outbox reopened(dir.file("outbox.db"), {100, 1 << 20, 1'000'000}, kNow);
  CHECK(reopened.awaiting_receipt(Priority::parking) == 2);
}

TEST_CASE("outbox: a version-1 outbox (before receipts) is migrated, its rows kept and unsent", "[outbox][receipts]") {
  TempDir dir;
  const auto path = dir.file("outbox.db");
  std::filesystem::copy_file(std::string(GRIDWATCH_SOURCE_DIR) + "/tests/fixtures/outbox/version-1.db", path);
  {
    Outbox outbox(path, {}, kNow);
    CHECK_FALSE(outbox.quarantined_to().has_value());
    CHECK(outbox.epoch() == "feedf00d");
    CHECK(outbox.stats().rows == 3);
    CHECK(outbox.stats().awaiting_receipt_rows == 0);
    CHECK(drain_order(outbox) == std::vector<std::int64_t>{1, 2, 3});
    outbox.mark_published({1}, kNow);
    REQUIRE(outbox.append(Priority::alarm, "a", "new", kNow).status == AppendStatus::stored);
  }
  sqlite::Database db(path);
  CHECK(db.query_text("PRAGMA user_version") == "2");
  Outbox reopened(path, {}, kNow);
  CHECK(reopened.awaiting_receipt(Priority::alarm) == 1);
  CHECK(drain_order(reopened) == std::vector<std::int64_t>{2, 4, 3});
}
