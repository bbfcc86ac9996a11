#include "simulators/csv_replay.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace gridwatch::sim {
namespace {

// One CSV record: commas separate fields, double quotes protect commas and
// escape themselves (RFC 4180, without newlines inside quotes).
std::vector<std::string> split_record(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

std::optional<double> to_number(const std::string& text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string::npos) return std::nullopt;
  const auto last = text.find_last_not_of(' ');
  double value = 0;
  const char* begin = text.data() + first;
  const char* end = text.data() + last + 1;
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::size_t column_index(const std::vector<std::string>& header, const std::string& name, const std::string& where) {
  if (!name.empty() && name[0] == '#') {
    const auto index = to_number(name.substr(1));
    if (index && *index >= 0 && *index < static_cast<double>(header.size()) && std::floor(*index) == *index) {
      return static_cast<std::size_t>(*index);
    }
    throw std::runtime_error(fmt::format("{}: column index {} is out of range (the header has {} columns)", where,
                                         name, header.size()));
  }
  const auto found = std::find(header.begin(), header.end(), name);
  if (found == header.end()) {
    std::vector<std::string> quoted;
    for (const auto& column : header) quoted.push_back("\"" + column + "\"");
    throw std::runtime_error(
        fmt::format("{}: no column \"{}\"; the header has {}", where, name, fmt::join(quoted, ", ")));
  }
  return static_cast<std::size_t>(found - header.begin());
}

}  // namespace

std::optional<ColumnMapping> parse_column_mapping(const std::string& text, std::string& error) {
  ColumnMapping mapping;
  const auto star = text.rfind('*');
  mapping.column = text.substr(0, star);
  if (star != std::string::npos) {
    const auto scale = to_number(text.substr(star + 1));
    if (!scale || *scale == 0) {
      error = fmt::format("\"{}\": the scale after '*' must be a non-zero number", text);
      return std::nullopt;
    }
    mapping.scale = *scale;
  }
  if (mapping.column.empty()) {
    error = fmt::format("\"{}\": the column name is empty", text);
    return std::nullopt;
  }
  return mapping;
}

CsvReplay CsvReplay::load(const CsvReplaySettings& settings) {
  std::ifstream in(settings.path);
  if (!in) throw std::runtime_error(settings.path + ": cannot open the log");
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(settings.path + ":1: empty file, expected a header row");
  const auto header = split_record(line);
  const std::string where = settings.path + ":1";
  const std::size_t smoke_column = column_index(header, settings.smoke.column, where);
  std::optional<std::size_t> temperature_column;
  if (settings.temperature) temperature_column = column_index(header, settings.temperature->column, where);
  std::optional<std::size_t> time_column;
  if (settings.time_column) time_column = column_index(header, *settings.time_column, where);
  std::optional<std::size_t> label_column;
  if (settings.label_column) label_column = column_index(header, *settings.label_column, where);

  CsvReplay replay;
  replay.settings_ = settings;
  std::optional<double> first_time;
  std::size_t line_number = 1;
  std::size_t row_index = 0;
  auto problem = [&](std::string message) {
    ++replay.skipped_;
    if (replay.problems_.size() < kMaxProblems) {
      replay.problems_.push_back(fmt::format("{}:{}: {}", settings.path, line_number, message));
    }
  };
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty() || line == "\r") continue;
    const auto fields = split_record(line);
    if (fields.size() != header.size()) {
      problem(fmt::format("{} fields, the header has {}; row skipped", fields.size(), header.size()));
      continue;
    }
    auto number = [&](std::size_t column) -> std::optional<double> {
      const auto value = to_number(fields[column]);
      if (!value) problem(fmt::format("column \"{}\": \"{}\" is not a number; row skipped", header[column], fields[column]));
      return value;
    };
    const auto smoke = number(smoke_column);
    if (!smoke) continue;
    double temperature = 20.0;
    if (temperature_column) {
      const auto value = number(*temperature_column);
      if (!value) continue;
      temperature = *value * settings.temperature->scale;
    }
    double t = static_cast<double>(row_index) * settings.period_s;
    if (time_column) {
      const auto value = number(*time_column);
      if (!value) continue;
      if (!first_time) first_time = *value;
      t = *value - *first_time;
      if (!replay.times_.empty() && t < replay.times_.back()) {
        problem(fmt::format("column \"{}\": time goes backwards ({} after {}); row skipped", header[*time_column],
                            t, replay.times_.back()));
        continue;
      }
    }
    int label = 0;
    if (label_column) {
      const auto value = number(*label_column);
      if (!value) continue;
      label = *value != 0 ? 1 : 0;
    }
    replay.times_.push_back(t);
    replay.smoke_.push_back(*smoke * settings.smoke.scale);
    replay.temperature_.push_back(temperature);
    replay.labels_.push_back(label);
    replay.lines_.push_back(line_number);
    ++row_index;
  }
  if (replay.times_.empty()) throw std::runtime_error(settings.path + ": no usable rows");
  return replay;
}

SensorSample CsvReplay::sample(double t_s) {
  // The last row at or before t_s; the first row before the log starts.
  const auto after = std::upper_bound(times_.begin(), times_.end(), t_s);
  const auto index = after == times_.begin() ? 0 : static_cast<std::size_t>(after - times_.begin()) - 1;
  SensorSample out;
  out.smoke = smoke_[index];
  out.temperature = temperature_[index];
  // Readings beyond what the register can carry are what a real device
  // would report as out of range.
  out.raw_out_of_range = out.smoke < 0 || out.smoke > 655.34;
  return out;
}

double CsvReplay::end_s() const { return times_.back() + settings_.period_s; }

nlohmann::json CsvReplay::truth() const {
  nlohmann::json changes = nlohmann::json::array();
  for (std::size_t i = 1; i < labels_.size(); ++i) {
    if (labels_[i] == labels_[i - 1]) continue;
    changes.push_back({{"t_s", times_[i]}, {"line", lines_[i]}, {"from", labels_[i - 1]},
                       {"to", labels_[i]}});
  }
  return {{"source", settings_.path},
          {"rows", times_.size()},
          {"skipped_rows", skipped_},
          {"label_column", settings_.label_column ? nlohmann::json(*settings_.label_column) : nlohmann::json(nullptr)},
          {"label_changes", std::move(changes)}};
}

}  // namespace gridwatch::sim
