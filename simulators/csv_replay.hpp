#pragma once
// Replays a real sensor log (CSV with a header row) as a simulated sensor:
// a column mapping says which column is the smoke reading (and optionally
// temperature, time and a 0/1 ground-truth label), with a scale factor so
// any particle or obscuration unit maps to %/m. Readings are held from one
// row to the next (zero-order hold) on the log's own time axis.
#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <vector>

#include "simulators/sensor_model.hpp"

namespace gridwatch::sim {

/// "NAME" or "NAME*SCALE", where NAME is a header name or "#INDEX" (0-based).
struct ColumnMapping {
  std::string column;
  double scale = 1.0;
};

/// Parses "NAME[*SCALE]"; nullopt with `error` set when malformed.
std::optional<ColumnMapping> parse_column_mapping(const std::string& text, std::string& error);

struct CsvReplaySettings {
  std::string path;
  ColumnMapping smoke;                       ///< required: the reading, scaled to %/m
  std::optional<ColumnMapping> temperature;  ///< degrees C after scaling
  std::optional<std::string> time_column;    ///< seconds (UNIX or relative); else row index x period_s
  double period_s = 1.0;
  std::optional<std::string> label_column;   ///< ground truth, 0 = normal, 1 = fire
};

class CsvReplay final : public SampleSource {
 public:
  /// Reads the whole log. Throws std::runtime_error naming the file (and
  /// line) when it cannot be read at all: missing file, no header, a mapped
  /// column that does not exist. A bad row is skipped and listed in
  /// problems() with its line number.
  static CsvReplay load(const CsvReplaySettings& settings);

  SensorSample sample(double t_s) override;
  double end_s() const override;

  std::size_t rows() const { return times_.size(); }
  /// "file:line: column X: 'abc' is not a number", at most kMaxProblems kept.
  const std::vector<std::string>& problems() const { return problems_; }
  std::size_t skipped_rows() const { return skipped_; }
  /// Ground truth from the label column: each 0->1 and 1->0 change with its
  /// time and line; empty list without a label column.
  nlohmann::json truth() const;

  static constexpr std::size_t kMaxProblems = 20;

 private:
  CsvReplay() = default;

  CsvReplaySettings settings_;
  std::vector<double> times_;  ///< seconds from the first row, non-decreasing
  std::vector<double> smoke_;
  std::vector<double> temperature_;
  std::vector<int> labels_;
  std::vector<std::size_t> lines_;
  std::vector<std::string> problems_;
  std::size_t skipped_ = 0;
};

}  // namespace gridwatch::sim
