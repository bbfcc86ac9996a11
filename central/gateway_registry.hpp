#pragma once
// The gateways central accepts messages from: `fleet.gateways_file`, a YAML
// list the operator keeps beside the CA (each entry is a gateway whose
// certificate was signed). The broker's mutual TLS and ACL prove a message
// comes from the gateway its topic names; the registry says that gateway
// belongs to this deployment. With no file, registration is open: every
// gateway the broker admits is accepted (logged at start).
//
// Loaded and validated whole (every problem with file:line, unknown keys
// are errors); a reload parses and validates a new registry and only then
// replaces the old one, so a bad edit never empties the fleet.
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace gridwatch::central {

struct RegisteredGateway {
  std::string id;
  std::optional<double> lat;  ///< where the pole stands, when the operator knows it
  std::optional<double> lon;
  std::vector<std::string> cameras;  ///< ids the installer configured; informative
  std::vector<std::string> sensors;
};

class GatewayRegistry {
 public:
  /// Throws ConfigInvalid listing every problem of `path`.
  static GatewayRegistry load(const std::string& path);
  /// The same from text; `name` stands in for the file name in errors.
  static GatewayRegistry parse(const std::string& yaml_text, const std::string& name);

  bool contains(const std::string& gateway_id) const { return by_id_.count(gateway_id) != 0; }
  const RegisteredGateway* find(const std::string& gateway_id) const;
  std::size_t size() const { return by_id_.size(); }
  const std::string& source() const { return source_; }

 private:
  GatewayRegistry(std::vector<RegisteredGateway> gateways, std::string source);

  std::unordered_map<std::string, RegisteredGateway> by_id_;
  std::string source_;
};

}  // namespace gridwatch::central
