#pragma once
// Edits scalar values in a YAML config as text, so an installer's
// comments, key order and other keys survive `gridwatch-edge provision`.
// yaml-cpp cannot do this: it drops comments when it re-emits a document.
// Only block mappings are walked; a flow mapping met on the way
// (`gateway: {id: a, lat: 1}`) is rewritten as a block first.
#include <stdexcept>
#include <string>
#include <vector>

namespace gridwatch::edge {

struct YamlScalarEdit {
  std::vector<std::string> path;  ///< e.g. {"mqtt", "tls", "ca_file"}
  std::string value;              ///< formatted with yaml_scalar() or a number
};

class YamlEditError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Sets each path to its value: replaces the value on the key's line
/// (keeping a trailing comment), or adds the key (and missing parent
/// mappings) at the end of its parent mapping. Throws YamlEditError when
/// a path runs into something that is not a mapping, naming the line.
std::string apply_yaml_edits(const std::string& text, const std::vector<YamlScalarEdit>& edits);

/// A string as a YAML scalar: plain when unambiguous, double-quoted otherwise.
std::string yaml_scalar(const std::string& value);

}  // namespace gridwatch::edge
