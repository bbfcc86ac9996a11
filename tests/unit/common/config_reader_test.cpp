#include <catch2/catch.hpp>

#include "common/config_reader.hpp"

using namespace gridwatch;

namespace {

struct Sample {
  std::string name = "default";
  int count = 3;
  double ratio = 0.5;
  bool enabled = false;
};

Sample read_sample(const std::string& text, ConfigErrors& errors) {
  Sample sample;
  auto root = load_yaml_text(text, "sample.yaml", errors);
  if (!root) return sample;
  YamlSection top(*root, "", "sample.yaml", errors);
  top.get_id("name", sample.name);
  top.get("count", sample.count, 1, 10);
  if (auto nested = top.section("nested")) {
    nested->get("ratio", sample.ratio, 0, 1, Need::required);
    nested->get("enabled", sample.enabled);
    nested->finish();
  }
  top.finish();
  return sample;
}

}  // namespace

TEST_CASE("valid YAML fills the struct and keeps defaults for absent keys", "[config]") {
  ConfigErrors errors;
  const auto sample = read_sample("name: gw-1\nnested:\n  ratio: 0.25\n", errors);
  CHECK(errors.empty());
  CHECK(sample.name == "gw-1");
  CHECK(sample.count == 3);
  CHECK(sample.ratio == Approx(0.25));
}

TEST_CASE("every problem is reported with file:line:column and the key", "[config]") {
  ConfigErrors errors;
  read_sample("name: bad/id\ncount: 99\nnested:\n  enabled: perhaps\n  extra: 1\ntypo: x\n", errors);
  REQUIRE(errors.size() == 6);
  const auto text = errors.to_string();
  CHECK(text.find("sample.yaml:1:7: name: \"bad/id\" is not a valid id") != std::string::npos);
  CHECK(text.find("sample.yaml:2:8: count: must be between 1 and 10, got 99") != std::string::npos);
  CHECK(text.find("nested.enabled: expected true or false") != std::string::npos);
  CHECK(text.find("sample.yaml:5:3: nested.extra: unknown key") != std::string::npos);
  CHECK(text.find("sample.yaml:6:1: typo: unknown key") != std::string::npos);
  CHECK(text.find("nested.ratio: missing required key") != std::string::npos);
}

TEST_CASE("YAML syntax errors carry their position", "[config]") {
  ConfigErrors errors;
  read_sample("name: [unclosed\n", errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors.list().front().line >= 1);
  CHECK(errors.to_string().find("YAML syntax error") != std::string::npos);
}

TEST_CASE("a missing file is one clear error", "[config]") {
  ConfigErrors errors;
  CHECK_FALSE(load_yaml_file("/nonexistent/edge.yaml", errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors.to_string().find("/nonexistent/edge.yaml: cannot open") != std::string::npos);
}

TEST_CASE("wrong node kinds are described", "[config]") {
  ConfigErrors errors;
  read_sample("nested: 5\n", errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors.to_string().find("nested: expected a mapping of keys, got \"5\"") != std::string::npos);
}

TEST_CASE("lists: each bad item is reported at key[i] and left out, the good ones kept", "[config]") {
  ConfigErrors errors;
  auto root = load_yaml_text("ids: [cam1, \"no good\", {a: 1}, cam2]\ncolours: [red, mauve]\nnot_a_list: cam1\n",
                             "lists.yaml", errors);
  REQUIRE(root);
  YamlSection top(*root, "", "lists.yaml", errors);
  std::vector<std::string> ids;
  CHECK_FALSE(top.get_list("ids", ids, YamlSection::an_id()));
  CHECK(ids == std::vector<std::string>{"cam1", "cam2"});
  std::vector<std::string> colours;
  CHECK_FALSE(top.get_list("colours", colours, YamlSection::one_of({"red", "green"})));
  CHECK(colours == std::vector<std::string>{"red"});
  std::vector<std::string> untouched{"kept"};
  CHECK_FALSE(top.get_list("not_a_list", untouched));
  CHECK_FALSE(top.get_list("absent", untouched));
  CHECK(untouched == std::vector<std::string>{"kept"});
  top.finish();
  const auto text = errors.to_string();
  INFO(text);
  CHECK(text.find("lists.yaml:1:13: ids[1]: \"no good\" is not an id") != std::string::npos);
  CHECK(text.find("lists.yaml:1:24: ids[2]: expected a text item") != std::string::npos);
  CHECK(text.find("lists.yaml:2:16: colours[1]: \"mauve\" is not one of: red, green") != std::string::npos);
  CHECK(text.find("lists.yaml:3:13: not_a_list: expected a list") != std::string::npos);
  CHECK(errors.size() == 4);
}
