#pragma once
// Reading YAML configs into typed structs, the way every GridWatch config
// is read: each problem is recorded with file:line:column and the dotted
// key, reading carries on so the user sees all problems at once, and keys
// nobody asked for are errors (a typo must never be silently ignored).
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gridwatch {

struct ConfigError {
  std::string file;
  int line = 0;    ///< 1-based; 0 when unknown
  int column = 0;  ///< 1-based; 0 when unknown
  std::string key; ///< dotted path, e.g. "mqtt.keepalive_s"
  std::string message;

  /// "edge.yaml:12:5: mqtt.keepalive_s: must be between 5 and 3600"
  std::string to_string() const;
};

class ConfigErrors {
 public:
  void add(ConfigError error) { errors_.push_back(std::move(error)); }
  bool empty() const { return errors_.empty(); }
  std::size_t size() const { return errors_.size(); }
  const std::vector<ConfigError>& list() const { return errors_; }
  /// One error per line.
  std::string to_string() const;

 private:
  std::vector<ConfigError> errors_;
};

/// Thrown by config loaders when validation found problems.
class ConfigInvalid : public std::runtime_error {
 public:
  explicit ConfigInvalid(ConfigErrors errors);
  const ConfigErrors& errors() const { return errors_; }

 private:
  ConfigErrors errors_;
};

/// Loads YAML from a file; a missing file or syntax error is recorded and
/// yields nullopt.
std::optional<YAML::Node> load_yaml_file(const std::string& path, ConfigErrors& errors);
/// Same, from text; `name` stands in for the file name in errors.
std::optional<YAML::Node> load_yaml_text(const std::string& text, const std::string& name, ConfigErrors& errors);

/// The same two, throwing ConfigInvalid instead of returning nullopt.
YAML::Node load_yaml_file_or_throw(const std::string& path);
YAML::Node load_yaml_text_or_throw(const std::string& text, const std::string& name);

enum class Need { optional, required };

/// One YAML mapping being read. Each getter leaves `out` untouched when
/// the key is absent (so defaults set beforehand survive) or invalid.
class YamlSection {
 public:
  YamlSection(YAML::Node node, std::string path, std::string file, ConfigErrors& errors);

  bool has(std::string_view key) const;

  bool get(std::string_view key, std::string& out, Need need = Need::optional);
  bool get(std::string_view key, bool& out, Need need = Need::optional);
  bool get(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max, Need need = Need::optional);
  bool get(std::string_view key, int& out, int min, int max, Need need = Need::optional);
  bool get(std::string_view key, double& out, double min, double max, Need need = Need::optional);
  /// An id usable in MQTT topics: 1-64 chars of [A-Za-z0-9_-].
  bool get_id(std::string_view key, std::string& out, Need need = Need::optional);
  /// A string that must be one of `allowed`.
  bool get_choice(std::string_view key, std::string& out, const std::vector<std::string>& allowed,
                  Need need = Need::optional);

  /// Checks one list item: an error message, or empty when it is fine.
  using ItemCheck = std::function<std::string(const std::string& item)>;
  /// Items that must be one of `allowed`.
  static ItemCheck one_of(std::vector<std::string> allowed);
  /// Items that must be ids (as get_id).
  static ItemCheck an_id();
  /// A list of text items, e.g. `cameras: [cam1, cam2]`, each passed
  /// through `check` when given. A bad item is reported at `key[i]` and
  /// left out; the others are kept. False when absent or when anything was
  /// wrong.
  bool get_list(std::string_view key, std::vector<std::string>& out, const ItemCheck& check = {},
                Need need = Need::optional);

  /// A nested mapping; nullopt when absent (recorded if required) or not a map.
  std::optional<YamlSection> section(std::string_view key, Need need = Need::optional);
  /// A sequence of mappings, e.g. `sensors:`; empty when absent.
  std::vector<YamlSection> sections(std::string_view key, Need need = Need::optional);
  /// The raw node, marked as read; undefined node when absent.
  YAML::Node raw(std::string_view key);

  /// Records an error at `key` (at the key's line when present).
  void error(std::string_view key, std::string message);
  /// Records an error at an arbitrary node below this section.
  void error_at(const YAML::Node& node, std::string key_path, std::string message);
  /// Records an unknown-key error for every key no getter asked for.
  void finish();

  std::string key_path(std::string_view key) const;
  const std::string& file() const { return file_; }
  ConfigErrors& errors() { return *errors_; }

 private:
  YAML::Node value_of(std::string_view key, Need need);
  ConfigError make_error(const YAML::Mark& mark, std::string key, std::string message) const;

  YAML::Node node_;
  std::string path_;
  std::string file_;
  ConfigErrors* errors_;
  std::vector<std::string> seen_;
};

}  // namespace gridwatch
