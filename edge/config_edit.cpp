#include "edge/config_edit.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <optional>
#include <regex>
#include <sstream>

namespace gridwatch::edge {
namespace {

bool is_content(const std::string& line) {
  const auto first = line.find_first_not_of(' ');
  return first != std::string::npos && line[first] != '#';
}

std::size_t indent_of(const std::string& line) {
  const auto first = line.find_first_not_of(' ');
  return first == std::string::npos ? line.size() : first;
}

/// The key of a `key: value` or `key:` line at its indent; nullopt for
/// list items and anything else.
std::optional<std::string> key_of(const std::string& line) {
  const auto start = indent_of(line);
  const auto colon = line.find(':', start);
  if (colon == std::string::npos || line[start] == '-') return std::nullopt;
  if (colon + 1 < line.size() && line[colon + 1] != ' ') return std::nullopt;
  auto key = line.substr(start, colon - start);
  if (key.size() >= 2 && (key.front() == '"' || key.front() == '\'') && key.back() == key.front()) {
    key = key.substr(1, key.size() - 2);
  }
  return key;
}

/// Where a trailing " # comment" starts (outside quotes), or npos.
std::size_t comment_start(const std::string& line, std::size_t from) {
  char quote = 0;
  for (std::size_t i = from; i < line.size(); ++i) {
    const char c = line[i];
    if (quote != 0) {
      if (c == '\\' && quote == '"') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && i > 0 && (line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return i;
    }
  }
  return std::string::npos;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

class Editor {
 public:
  explicit Editor(const std::string& text) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines_.push_back(line);
  }

  void set(const std::vector<std::string>& path, const std::string& value) {
    std::size_t begin = 0;
    std::size_t end = lines_.size();
    std::optional<std::size_t> parent_indent;  // nullopt: top level
    for (std::size_t depth = 0; depth < path.size(); ++depth) {
      const bool last = depth + 1 == path.size();
      const std::size_t indent = child_indent(begin, end, parent_indent);
      auto found = find_key(begin, end, indent, path[depth]);
      if (!found) {
        found = insert_key(begin, end, indent, path[depth], last ? value : "");
        if (last) return;
      } else if (last) {
        replace_value(*found, value);
        return;
      }
      expand_flow_mapping(*found, path, depth);
      parent_indent = indent;
      begin = *found + 1;
      end = block_end(begin, indent);
    }
  }

  std::string text() const {
    std::string out;
    for (const auto& line : lines_) out += line + "\n";
    return out;
  }

 private:
  // Indent of the children in [begin, end): the first content line's, or
  // two more than the parent's when the mapping is empty.
  std::size_t child_indent(std::size_t begin, std::size_t end, std::optional<std::size_t> parent_indent) const {
    for (std::size_t i = begin; i < end; ++i) {
      if (is_content(lines_[i])) return indent_of(lines_[i]);
    }
    return parent_indent ? *parent_indent + 2 : 0;
  }

  std::size_t block_end(std::size_t begin, std::size_t parent_indent) const {
    for (std::size_t i = begin; i < lines_.size(); ++i) {
      if (is_content(lines_[i]) && indent_of(lines_[i]) <= parent_indent) return i;
    }
    return lines_.size();
  }

  std::optional<std::size_t> find_key(std::size_t begin, std::size_t end, std::size_t indent,
                                      const std::string& key) const {
    for (std::size_t i = begin; i < end; ++i) {
      if (!is_content(lines_[i]) || indent_of(lines_[i]) != indent) continue;
      if (key_of(lines_[i]) == key) return i;
    }
    return std::nullopt;
  }

  // After the last content line of the block, so the new key joins its
  // siblings rather than trailing comments or blank lines.
  std::size_t insert_key(std::size_t begin, std::size_t end, std::size_t indent, const std::string& key,
                         const std::string& value) {
    std::size_t at = begin;
    for (std::size_t i = begin; i < end; ++i) {
      if (is_content(lines_[i])) at = i + 1;
    }
    const std::string line = std::string(indent, ' ') + key + ":" + (value.empty() ? "" : " " + value);
    lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(at), line);
    return at;
  }

  void replace_value(std::size_t index, const std::string& value) {
    auto& line = lines_[index];
    const auto colon = line.find(':', indent_of(line));
    const auto comment = comment_start(line, colon + 1);
    const auto old_value = trim(line.substr(colon + 1, comment == std::string::npos ? std::string::npos : comment - colon - 1));
    if (!old_value.empty() && (old_value.front() == '{' || old_value.front() == '[' || old_value.front() == '|' ||
                               old_value.front() == '>')) {
      throw YamlEditError("line " + std::to_string(index + 1) + ": expected a single value at \"" +
                          trim(line.substr(0, colon)) + "\", found " + old_value.substr(0, 1));
    }
    std::string replaced = line.substr(0, colon + 1) + " " + value;
    if (comment != std::string::npos) {
      // Keep the comment's column when the new value fits before it.
      const std::size_t column = std::max(replaced.size() + 2, comment);
      replaced += std::string(column - replaced.size(), ' ') + line.substr(comment);
    }
    line = replaced;
  }

  // `key: {a: 1, b: x}` becomes `key:` with one child line per entry; a
  // scalar value where a mapping is needed is an error.
  void expand_flow_mapping(std::size_t index, const std::vector<std::string>& path, std::size_t depth) {
    auto& line = lines_[index];
    const auto colon = line.find(':', indent_of(line));
    const auto comment = comment_start(line, colon + 1);
    const auto value = trim(line.substr(colon + 1, comment == std::string::npos ? std::string::npos : comment - colon - 1));
    if (value.empty()) return;
    const auto where = "line " + std::to_string(index + 1) + ": " + path[depth];
    if (value.front() != '{') throw YamlEditError(where + " must be a mapping, found \"" + value + "\"");
    YAML::Node node;
    try {
      node = YAML::Load(value);
    } catch (const YAML::Exception& error) {
      throw YamlEditError(where + ": " + error.what());
    }
    const std::string child_indent(indent_of(line) + 2, ' ');
    std::vector<std::string> children;
    for (const auto& entry : node) {
      if (!entry.second.IsScalar()) throw YamlEditError(where + ": nested values in {...}; write it as a block mapping");
      // A plain scalar stays plain, so a number stays a number.
      const auto& scalar = entry.second.Scalar();
      children.push_back(child_indent + entry.first.Scalar() + ": " +
                         (entry.second.Tag() == "?" ? scalar : yaml_scalar(scalar)));
    }
    line = line.substr(0, colon + 1) + (comment == std::string::npos ? "" : "  " + line.substr(comment));
    lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(index + 1), children.begin(), children.end());
  }

  std::vector<std::string> lines_;
};

}  // namespace

std::string yaml_scalar(const std::string& value) {
  // Plain only when YAML cannot read it as anything but this string.
  static const std::regex plain(R"([A-Za-z0-9_/.+-][A-Za-z0-9_/.:+@-]*)");
  static const std::regex special(R"((?:true|false|yes|no|on|off|null|~|y|n)|[-+]?[0-9.].*)", std::regex::icase);
  if (!value.empty() && std::regex_match(value, plain) && !std::regex_match(value, special) &&
      value.find(": ") == std::string::npos) {
    return value;
  }
  std::string quoted = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

std::string apply_yaml_edits(const std::string& text, const std::vector<YamlScalarEdit>& edits) {
  Editor editor(text);
  for (const auto& edit : edits) editor.set(edit.path, edit.value);
  return editor.text();
}

}  // namespace gridwatch::edge
