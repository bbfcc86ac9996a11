#include "common/config_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/ids.hpp"

namespace gridwatch {
namespace {

std::string describe(const YAML::Node& node) {
  if (node.IsScalar()) return fmt::format("\"{}\"", node.Scalar());
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return "nothing";
}

}  // namespace

std::string ConfigError::to_string() const {
  std::string out = file;
  if (line > 0) out += fmt::format(":{}:{}", line, column);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}

std::string ConfigErrors::to_string() const {
  std::string out;
  for (const auto& error : errors_) {
    out += error.to_string();
    out += '\n';
  }
  return out;
}

ConfigInvalid::ConfigInvalid(ConfigErrors errors)
    : std::runtime_error(fmt::format("{} configuration error(s)", errors.size())), errors_(std::move(errors)) {}

std::optional<YAML::Node> load_yaml_text(const std::string& text, const std::string& name, ConfigErrors& errors) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsDefined() || root.IsNull()) return YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap()) {
      errors.add({name, root.Mark().line + 1, root.Mark().column + 1, "", "the top level must be a mapping of keys"});
      return std::nullopt;
    }
    return root;
  } catch (const YAML::Exception& parse_error) {
    errors.add({name, parse_error.mark.line + 1, parse_error.mark.column + 1, "",
                "YAML syntax error: " + parse_error.msg});
    return std::nullopt;
  }
}

std::optional<YAML::Node> load_yaml_file(const std::string& path, ConfigErrors& errors) {
  std::ifstream in(path);
  if (!in) {
    errors.add({path, 0, 0, "", "cannot open the file (missing or unreadable)"});
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  return load_yaml_text(text.str(), path, errors);
}

YAML::Node load_yaml_file_or_throw(const std::string& path) {
  ConfigErrors errors;
  auto root = load_yaml_file(path, errors);
  if (!root) throw ConfigInvalid(std::move(errors));
  return *root;
}

YAML::Node load_yaml_text_or_throw(const std::string& text, const std::string& name) {
  ConfigErrors errors;
  auto root = load_yaml_text(text, name, errors);
  if (!root) throw ConfigInvalid(std::move(errors));
  return *root;
}

YamlSection::YamlSection(YAML::Node node, std::string path, std::string file, ConfigErrors& errors)
    : node_(std::move(node)), path_(std::move(path)), file_(std::move(file)), errors_(&errors) {}

std::string YamlSection::key_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

ConfigError YamlSection::make_error(const YAML::Mark& mark, std::string key, std::string message) const {
  const bool known = mark.line >= 0;
  return {file_, known ? mark.line + 1 : 0, known ? mark.column + 1 : 0, std::move(key), std::move(message)};
}

bool YamlSection::has(std::string_view key) const {
  return node_.IsMap() && node_[std::string(key)].IsDefined() && !node_[std::string(key)].IsNull();
}

YAML::Node YamlSection::value_of(std::string_view key, Need need) {
  seen_.emplace_back(key);
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  YAML::Node value = node_[std::string(key)];
  if (!value.IsDefined() || value.IsNull()) {
    if (need == Need::required) errors_->add(make_error(node_.Mark(), key_path(key), "missing required key"));
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return value;
}

void YamlSection::error(std::string_view key, std::string message) {
  YAML::Mark mark = node_.Mark();
  if (node_.IsMap()) {
    for (const auto& item : node_) {
      if (item.first.Scalar() == key) mark = item.first.Mark();
    }
  }
  errors_->add(make_error(mark, key_path(key), std::move(message)));
}

void YamlSection::error_at(const YAML::Node& node, std::string key_path_text, std::string message) {
  errors_->add(make_error(node.Mark(), std::move(key_path_text), std::move(message)));
}

bool YamlSection::get(std::string_view key, std::string& out, Need need) {
  YAML::Node value = value_of(key, need);
  if (!value.IsDefined()) return false;
  if (!value.IsScalar()) {
    error_at(value, key_path(key), "expected a text value, got " + describe(value));
    return false;
  }
  out = value.Scalar();
  return true;
}

bool YamlSection::get(std::string_view key, bool& out, Need need) {
  YAML::Node value = value_of(key, need);
  if (!value.IsDefined()) return false;
  bool parsed = false;
  if (!value.IsScalar() || !YAML::convert<bool>::decode(value, parsed)) {
    error_at(value, key_path(key), "expected true or false, got " + describe(value));
    return false;
  }
  out = parsed;
  return true;
}

bool YamlSection::get(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max, Need need) {
  YAML::Node value = value_of(key, need);
  if (!value.IsDefined()) return false;
  std::int64_t parsed = 0;
  if (!value.IsScalar() || !YAML::convert<std::int64_t>::decode(value, parsed)) {
    error_at(value, key_path(key), "expected a whole number, got " + describe(value));
    return false;
  }
  if (parsed < min || parsed > max) {
    error_at(value, key_path(key), fmt::format("must be between {} and {}, got {}", min, max, parsed));
    return false;
  }
  out = parsed;
  return true;
}

bool YamlSection::get(std::string_view key, int& out, int min, int max, Need need) {
  std::int64_t wide = out;
  if (!get(key, wide, min, max, need)) return false;
  out = static_cast<int>(wide);
  return true;
}

bool YamlSection::get(std::string_view key, double& out, double min, double max, Need need) {
  YAML::Node value = value_of(key, need);
  if (!value.IsDefined()) return false;
  double parsed = 0;
  if (!value.IsScalar() || !YAML::convert<double>::decode(value, parsed)) {
    error_at(value, key_path(key), "expected a number, got " + describe(value));
    return false;
  }
  if (!(parsed >= min && parsed <= max)) {
    error_at(value, key_path(key), fmt::format("must be between {} and {}, got {}", min, max, value.Scalar()));
    return false;
  }
  out = parsed;
  return true;
}

bool YamlSection::get_id(std::string_view key, std::string& out, Need need) {
  std::string text;
  if (!get(key, text, need)) return false;
  if (!is_valid_id(text)) {
    error_at(node_[std::string(key)], key_path(key),
             fmt::format("\"{}\" is not a valid id (1-64 characters of A-Z a-z 0-9 _ -)", text));
    return false;
  }
  out = text;
  return true;
}

bool YamlSection::get_choice(std::string_view key, std::string& out, const std::vector<std::string>& allowed,
                             Need need) {
  std::string text;
  if (!get(key, text, need)) return false;
  if (std::find(allowed.begin(), allowed.end(), text) == allowed.end()) {
    error_at(node_[std::string(key)], key_path(key), fmt::format("\"{}\" is not one of: {}", text, fmt::join(allowed, ", ")));
    return false;
  }
  out = text;
  return true;
}

YamlSection::ItemCheck YamlSection::one_of(std::vector<std::string> allowed) {
  return [allowed = std::move(allowed)](const std::string& item) -> std::string {
    if (std::find(allowed.begin(), allowed.end(), item) != allowed.end()) return {};
    return fmt::format("\"{}\" is not one of: {}", item, fmt::join(allowed, ", "));
  };
}

YamlSection::ItemCheck YamlSection::an_id() {
  return [](const std::string& item) -> std::string {
    return is_valid_id(item) ? std::string() : fmt::format("\"{}\" is not an id (1-64 of A-Z a-z 0-9 _ -)", item);
  };
}

bool YamlSection::get_list(std::string_view key, std::vector<std::string>& out, const ItemCheck& check, Need need) {
  YAML::Node value = value_of(key, need);
  if (!value.IsDefined()) return false;
  if (!value.IsSequence()) {
    error_at(value, key_path(key), "expected a list, e.g. [a, b], got " + describe(value));
    return false;
  }
  std::vector<std::string> items;
  bool all_good = true;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto item_path = fmt::format("{}[{}]", key_path(key), i);
    if (!value[i].IsScalar()) {
      error_at(value[i], item_path, "expected a text item, got " + describe(value[i]));
      all_good = false;
      continue;
    }
    if (const auto problem = check ? check(value[i].Scalar()) : std::string(); !problem.empty()) {
      error_at(value[i], item_path, problem);
      all_good = false;
      continue;
    }
    items.push_back(value[i].Scalar());
  }
  out = std::move(items);
  return all_good;
}

std::optional<YamlSection> YamlSection::section(std::string_view key, Need need) {
  YAML::Node value = value_of(key, need);
  if (!value.IsDefined()) return std::nullopt;
  if (!value.IsMap()) {
    error_at(value, key_path(key), "expected a mapping of keys, got " + describe(value));
    return std::nullopt;
  }
  return YamlSection(value, key_path(key), file_, *errors_);
}

std::vector<YamlSection> YamlSection::sections(std::string_view key, Need need) {
  std::vector<YamlSection> out;
  YAML::Node value = value_of(key, need);
  if (!value.IsDefined()) return out;
  if (!value.IsSequence()) {
    error_at(value, key_path(key), "expected a list, got " + describe(value));
    return out;
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto item_path = fmt::format("{}[{}]", key_path(key), i);
    YAML::Node item = value[i];
    if (!item.IsMap()) {
      error_at(item, item_path, "expected a mapping of keys, got " + describe(item));
      continue;
    }
    out.emplace_back(item, item_path, file_, *errors_);
  }
  return out;
}

YAML::Node YamlSection::raw(std::string_view key) { return value_of(key, Need::optional); }

void YamlSection::finish() {
  if (!node_.IsMap()) return;
  for (const auto& item : node_) {
    const auto& key = item.first.Scalar();
    if (std::find(seen_.begin(), seen_.end(), key) == seen_.end()) {
      errors_->add(make_error(item.first.Mark(), key_path(key), "unknown key (see docs/configuration.md)"));
    }
  }
}

}  // namespace gridwatch
