#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include "edge/config_edit.hpp"

using gridwatch::edge::apply_yaml_edits;
using gridwatch::edge::yaml_scalar;
using gridwatch::edge::YamlEditError;

TEST_CASE("a YAML edit replaces values in place and keeps comments, order and other keys", "[edge][config_edit]") {
  const std::string text =
      "# installer's notes\n"
      "gateway:\n"
      "  id: gw-unset          # provision sets this\n"
      "  lat: 0\n"
      "  lon: 0\n"
      "\n"
      "# broker\n"
      "mqtt:\n"
      "  broker: tcp://127.0.0.1:1883\n"
      "  keepalive_s: 30   # seconds\n"
      "outbox: {max_rows: 100}\n";
  const auto edited = apply_yaml_edits(text, {{{"gateway", "id"}, "gw-pole-17"},
                                              {{"gateway", "lat"}, "30.66"},
                                              {{"mqtt", "broker"}, yaml_scalar("ssl://central.example:8883")}});
  CHECK(edited ==
        "# installer's notes\n"
        "gateway:\n"
        "  id: gw-pole-17        # provision sets this\n"
        "  lat: 30.66\n"
        "  lon: 0\n"
        "\n"
        "# broker\n"
        "mqtt:\n"
        "  broker: ssl://central.example:8883\n"
        "  keepalive_s: 30   # seconds\n"
        "outbox: {max_rows: 100}\n");
}

TEST_CASE("a YAML edit adds missing keys and sections at the end of their parent", "[edge][config_edit]") {
  const std::string text =
      "gateway:\n"
      "    id: a\n"
      "mqtt:\n"
      "    broker: tcp://x:1\n"
      "    # trailing comment of mqtt\n"
      "heartbeat_s: 30\n";
  const auto edited = apply_yaml_edits(text, {{{"mqtt", "tls", "ca_file"}, "/etc/gridwatch/tls/ca.crt"},
                                              {{"mqtt", "tls", "key_file"}, "/k"},
                                              {{"gateway", "lat"}, "1.5"},
                                              {{"state_dir"}, "/var/lib/gw"}});
  CHECK(edited ==
        "gateway:\n"
        "    id: a\n"
        "    lat: 1.5\n"
        "mqtt:\n"
        "    broker: tcp://x:1\n"
        "    tls:\n"
        "      ca_file: /etc/gridwatch/tls/ca.crt\n"
        "      key_file: /k\n"
        "    # trailing comment of mqtt\n"
        "heartbeat_s: 30\n"
        "state_dir: /var/lib/gw\n");
  const auto root = YAML::Load(edited);
  CHECK(root["mqtt"]["tls"]["key_file"].as<std::string>() == "/k");
}

TEST_CASE("a YAML edit rewrites a flow mapping on the path as a block", "[edge][config_edit]") {
  const auto edited = apply_yaml_edits("gateway: {id: gw-test-1, lat: 30.6598, lon: 104.0633}  # pole\nx: 1\n",
                                       {{{"gateway", "id"}, "gw-9"}});
  CHECK(edited == "gateway:  # pole\n  id: gw-9\n  lat: 30.6598\n  lon: 104.0633\nx: 1\n");
}

TEST_CASE("a YAML edit refuses to walk through a value that is not a mapping", "[edge][config_edit]") {
  CHECK_THROWS_WITH(apply_yaml_edits("a: 1\nmqtt: plain\n", {{{"mqtt", "broker"}, "x"}}),
                    Catch::Contains("line 2: mqtt must be a mapping"));
  CHECK_THROWS_AS(apply_yaml_edits("mqtt:\n  broker: [1, 2]\n", {{{"mqtt", "broker"}, "x"}}), YamlEditError);
}

TEST_CASE("yaml_scalar quotes what YAML would read as something else", "[edge][config_edit]") {
  CHECK(yaml_scalar("gw-pole-17") == "gw-pole-17");
  CHECK(yaml_scalar("/etc/gridwatch/tls/ca.crt") == "/etc/gridwatch/tls/ca.crt");
  CHECK(yaml_scalar("ssl://h:8883") == "ssl://h:8883");
  for (const std::string tricky : {"yes", "null", "123", "1e5", "a: b", "# no", "", "say \"hi\"", "-1", "x #y"}) {
    const auto scalar = yaml_scalar(tricky);
    INFO(tricky << " -> " << scalar);
    CHECK(YAML::Load("k: " + scalar)["k"].as<std::string>() == tricky);
    CHECK(YAML::Load("k: " + scalar)["k"].Tag() == "!");
  }
}
