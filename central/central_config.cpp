#include "central/central_config.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <map>
#include <vector>

#include "central/postgres_store.hpp"
#include "common/logging.hpp"

namespace gridwatch::central {
namespace {

void read_level(YamlSection& section, const char* key, AdminLevel& out) {
  std::string text = to_string(out);
  if (section.get_choice(key, text, {"grid", "village", "town", "county"})) {
    out = admin_level_from_string(text).value_or(out);
  }
}

void read_dispatch(YamlSection& section, DispatchConfig& dispatch) {
  section.get("cells_file", dispatch.cells_file);
  section.get("sweep_interval_ms", dispatch.sweep_interval_ms, 100, 60'000);
  if (auto sla = section.section("sla")) {
    sla->get("dispatch_s", dispatch.sla.dispatch_s, 1, 86'400);
    sla->get("on_scene_s", dispatch.sla.on_scene_s, 1, 86'400);
    sla->get("feedback_s", dispatch.sla.feedback_s, 1, 86'400);
    sla->get("green_days", dispatch.sla.green_days, 0.001, 365);
    sla->get("yellow_days", dispatch.sla.yellow_days, 0.001, 365);
    sla->get("red_days", dispatch.sla.red_days, 0.001, 365);
    if (!(dispatch.sla.green_days < dispatch.sla.yellow_days && dispatch.sla.yellow_days < dispatch.sla.red_days)) {
      sla->error("red_days", "green_days < yellow_days < red_days is required");
    }
    if (auto levels = sla->section("starting_level")) {
      read_level(*levels, "minor", dispatch.sla.minor_level);
      read_level(*levels, "moderate", dispatch.sla.moderate_level);
      read_level(*levels, "severe", dispatch.sla.severe_level);
      read_level(*levels, "extreme", dispatch.sla.extreme_level);
      levels->finish();
    }
    sla->finish();
  }
  if (section.has("auto_dispatch")) {
    dispatch.auto_dispatch.clear();
    for (auto& rule : section.sections("auto_dispatch")) {
      AutoDispatchRule entry;
      rule.get_choice("kind", entry.kind, {"smoke", "fire", "parking", "tamper", "sensor_fault", "camera_fault"},
                      Need::required);
      rule.get_id("unit", entry.unit);
      rule.finish();
      dispatch.auto_dispatch.push_back(entry);
    }
  }
}

// A YAML list of strings, each one of `allowed`.
bool is_phone_number(const std::string& text) {
  const std::size_t digits_from = !text.empty() && text[0] == '+' ? 1 : 0;
  const std::size_t digits = text.size() - digits_from;
  return digits >= 3 && digits <= 20 &&
         std::all_of(text.begin() + static_cast<std::ptrdiff_t>(digits_from), text.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

// A map of key -> phone number (unit_phones, owner_phones).
std::map<std::string, std::string> read_phones(YamlSection& section, const char* key) {
  std::map<std::string, std::string> out;
  const YAML::Node node = section.raw(key);
  if (!node) return out;
  if (!node.IsMap()) {
    section.error(key, "expected a map of name: phone number");
    return out;
  }
  for (const auto& entry : node) {
    const std::string name = entry.first.as<std::string>();
    const std::string where = section.key_path(key) + "." + name;
    const std::string phone = entry.second.IsScalar() ? entry.second.as<std::string>() : std::string();
    if (!is_phone_number(phone)) {
      section.error_at(entry.second, where, "expected a phone number: digits, optionally after '+' (e.g. \"+8613800000000\")");
    } else {
      out[name] = phone;
    }
  }
  return out;
}

void read_notifiers(YamlSection& top, std::vector<NotifierSettings>& notifiers) {
  if (!top.has("notifiers")) return;
  notifiers.clear();
  for (auto& section : top.sections("notifiers")) {
    NotifierSettings channel;
    section.get_id("name", channel.name, Need::required);
    section.get_choice("type", channel.type, {"log", "webhook", "sms"}, Need::required);
    if (channel.type != "log") {
      if (section.get("url", channel.url, Need::required)) {
        std::string error;
        if (!parse_http_url(channel.url, error)) section.error("url", error);
      }
      section.get("bearer_token", channel.bearer_token);
      section.get("timeout_ms", channel.timeout_ms, 100, 120'000);
      section.get("retry_min_ms", channel.retry_min_ms, 100, 3'600'000);
      section.get("retry_max_ms", channel.retry_max_ms, 100, 86'400'000);
      if (channel.retry_max_ms < channel.retry_min_ms) section.error("retry_max_ms", "must be >= retry_min_ms");
    }
    section.get_list("events", channel.events, YamlSection::one_of({"dispatched", "escalated", "sla_breach"}));
    section.get_list("kinds", channel.kinds,
                     YamlSection::one_of({"smoke", "fire", "parking", "tamper", "sensor_fault", "camera_fault"}));
    if (channel.type == "sms") {
      channel.unit_phones = read_phones(section, "unit_phones");
      section.get("text_vehicle_owner", channel.text_vehicle_owner);
      channel.owner_phones = read_phones(section, "owner_phones");
      if (channel.unit_phones.empty() && !(channel.text_vehicle_owner && !channel.owner_phones.empty())) {
        section.error("unit_phones", "an sms notifier needs unit_phones, or text_vehicle_owner with owner_phones");
      }
    }
    const bool duplicate = std::any_of(notifiers.begin(), notifiers.end(),
                                       [&](const NotifierSettings& other) { return other.name == channel.name; });
    if (duplicate) section.error("name", "another notifier is already called '" + channel.name + "'");
    section.finish();
    notifiers.push_back(std::move(channel));
  }
}

void read_store(YamlSection& section, StoreSettings& store) {
  section.get_choice("backend", store.backend, {"sqlite", "postgres"});
  section.get("sqlite_path", store.sqlite_path);
  if (section.get("postgres_conninfo", store.postgres_conninfo)) {
    if (auto error = conninfo_error(store.postgres_conninfo)) {
      section.error("postgres_conninfo", "not a libpq connection string: " + *error);
    }
  }
  if (store.backend == "postgres" && store.postgres_conninfo.empty()) {
    section.error("backend", "postgres needs store.postgres_conninfo (a libpq connection string)");
  }
}

CentralConfig read_root(YAML::Node root, const std::string& name) {
  ConfigErrors errors;
  CentralConfig config;
  config.source_file = name;
  YamlSection top(std::move(root), "", name, errors);
  top.get_id("instance_id", config.instance_id);
  std::vector<std::string> levels;
  for (auto level = log_level_names(); *level != nullptr; ++level) levels.emplace_back(*level);
  top.get_choice("log_level", config.log_level, levels);
  if (auto mqtt = top.section("mqtt")) {
    read_mqtt_settings(*mqtt, config.mqtt);
    if (mqtt->has("shared_group")) mqtt->get_id("shared_group", config.shared_group);
    mqtt->finish();
  }
  if (auto store = top.section("store")) {
    read_store(*store, config.store);
    store->finish();
  }
  if (auto http = top.section("http")) {
    http->get("enabled", config.http.enabled);
    http->get("listen_address", config.http.listen_address);
    http->get("port", config.http.port, 0, 65535);
    http->get("max_connections", config.http.max_connections, 1, 100'000);
    http->get_choice("auth", config.http.auth, {"required", "off"});
    http->get("assets_dir", config.http.assets_dir);
    http->get("session_ttl_s", config.http.session_ttl_s, 60, 30 * 86'400);
    http->get("secure_cookies", config.http.secure_cookies);
    http->finish();
  }
  if (auto fleet = top.section("fleet")) {
    fleet->get("heartbeat_timeout_s", config.fleet.heartbeat_timeout_s, 1, 86'400);
    fleet->get("maintenance_after_s", config.fleet.maintenance_after_s, 0, 30 * 86'400);
    fleet->get("check_interval_ms", config.fleet.check_interval_ms, 100, 600'000);
    fleet->get("gateways_file", config.fleet.gateways_file);
    fleet->finish();
  }
  if (auto dispatch = top.section("dispatch")) {
    read_dispatch(*dispatch, config.dispatch);
    dispatch->finish();
  }
  read_notifiers(top, config.notifiers);
  if (auto correlation = top.section("correlation")) {
    correlation->get("enabled", config.correlation.enabled);
    correlation->get("radius_m", config.correlation.radius_m, 1, 50'000);
    correlation->get("window_ms", config.correlation.window_ms, 1000, 86'400'000);
    correlation->finish();
  }
  top.get("stats_log_interval_s", config.stats_log_interval_s, 1, 86'400);
  top.finish();
  if (config.mqtt.client_id.empty()) config.mqtt.client_id = "gridwatch-" + config.instance_id;
  if (!errors.empty()) throw ConfigInvalid(std::move(errors));
  return config;
}

}  // namespace

std::string store_location(const StoreSettings& store) {
  return store.backend == "postgres" ? "PostgreSQL " + redact_conninfo(store.postgres_conninfo)
                                     : "SQLite " + store.sqlite_path;
}

CentralConfig load_central_config(const std::string& path) { return read_root(load_yaml_file_or_throw(path), path); }

CentralConfig parse_central_config(const std::string& yaml_text, const std::string& name) {
  return read_root(load_yaml_text_or_throw(yaml_text, name), name);
}

}  // namespace gridwatch::central
