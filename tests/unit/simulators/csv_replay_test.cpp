#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "simulators/csv_replay.hpp"
#include "tests/support/test_env.hpp"

using namespace gridwatch::sim;
using gridwatch::test::TempDir;

namespace {
CsvReplaySettings settings_for(const std::string& path) {
  CsvReplaySettings settings;
  settings.path = path;
  settings.smoke = {"PM", 0.5};
  settings.temperature = ColumnMapping{"Temp \"C\"", 1.0};
  settings.time_column = "UTC";
  settings.label_column = "Alarm";
  return settings;
}
}  // namespace

TEST_CASE("a CSV log replays with its column mapping, holding values between rows", "[sensor-sim][replay]") {
  TempDir dir;
  const auto path = dir.file("log.csv");
  gridwatch::test::write_file(path,
                              "UTC,\"Temp \"\"C\"\"\",PM,Alarm\n"
                              "1000,20.5,2,0\n"
                              "1002,21.0,4,0\n"
                              "1003,oops,6,0\n"      // line 4: bad number
                              "1001,22.0,8,0\n"      // line 5: time goes backwards
                              "1005,22.5,30,1\n"
                              "1006,23.0\n"          // line 7: short row
                              "1007,23.5,40,1\n");
  auto replay = CsvReplay::load(settings_for(path));
  CHECK(replay.rows() == 4);
  CHECK(replay.skipped_rows() == 3);
  REQUIRE(replay.problems().size() == 3);
  CHECK_THAT(replay.problems()[0], Catch::Contains(path + ":4: column \"Temp \"C\"\": \"oops\" is not a number"));
  CHECK_THAT(replay.problems()[1], Catch::Contains(path + ":5: column \"UTC\": time goes backwards"));
  CHECK_THAT(replay.problems()[2], Catch::Contains(path + ":7: 2 fields, the header has 4"));
  CHECK(replay.sample(0).smoke == 1.0);
  CHECK(replay.sample(1.9).smoke == 1.0);  // held until the next row
  CHECK(replay.sample(2).smoke == 2.0);
  CHECK(replay.sample(2).temperature == 21.0);
  CHECK(replay.sample(5.5).smoke == 15.0);
  CHECK(replay.sample(100).smoke == 20.0);
  const auto truth = replay.truth();
  REQUIRE(truth["label_changes"].size() == 1);
  CHECK(truth["label_changes"][0]["t_s"] == 5.0);
  CHECK(truth["label_changes"][0]["line"] == 6);
}

TEST_CASE("a CSV mapping that names a missing column is refused with the header", "[sensor-sim][replay]") {
  TempDir dir;
  const auto path = dir.file("log.csv");
  gridwatch::test::write_file(path, "a,b\n1,2\n");
  auto settings = settings_for(path);
  REQUIRE_THROWS_WITH(CsvReplay::load(settings),
                      Catch::Contains(path + ":1: no column \"PM\"; the header has \"a\", \"b\""));
  std::string error;
  CHECK_FALSE(parse_column_mapping("PM*x", error));
  CHECK_THAT(error, Catch::Contains("scale"));
  const auto mapping = parse_column_mapping("NC0.5*0.01", error);
  REQUIRE(mapping);
  CHECK(mapping->column == "NC0.5");
  CHECK(mapping->scale == 0.01);
  settings.smoke = {"#1", 1.0};
  settings.temperature.reset();
  settings.time_column.reset();
  settings.label_column.reset();
  CHECK(CsvReplay::load(settings).sample(0).smoke == 2.0);
}

TEST_CASE("the real smoke-sensor log replays with its label onset", "[sensor-sim][replay][shared-data]") {
  const auto data = gridwatch::test::shared_data_dir();
  if (!data) {
    WARN("SKIPPED: ../shared/data is absent; the real smoke-sensor log cannot be replayed");
    return;
  }
  CsvReplaySettings settings;
  settings.path = *data + "/smoke_sensor/smoke_detection_iot_first10080.csv";
  settings.smoke = {"NC0.5", 0.01};
  settings.temperature = ColumnMapping{"Temperature[C]", 1.0};
  settings.time_column = "UTC";
  settings.label_column = "Fire Alarm";
  auto replay = CsvReplay::load(settings);
  CHECK(replay.rows() == 10081);  // rows 0-10080
  CHECK(replay.skipped_rows() == 0);
  const auto truth = replay.truth();
  REQUIRE(truth["label_changes"].size() >= 1);
  CHECK(truth["label_changes"][0]["t_s"] == 3178.0);  // row 3178, one row per second
  CHECK(truth["label_changes"][0]["line"] == 3180);   // header is line 1, row 0 is line 2
  CHECK(replay.sample(0).temperature == 20.0);
}
