#pragma once
// `gridwatch-central push-config`: sends a gateway a new camera/zone config
// on its cmd topic and waits for the gateway's verdict on cmd_result
// (docs/protocol.md, "Remote config"). The gateway is the judge of the
// config: it validates it with the same rules as edge.yaml.
#include <ostream>
#include <string>

#include "central/central_config.hpp"

namespace gridwatch::central {

struct ConfigPushRequest {
  std::string gateway_id;
  std::string cameras_file;    ///< YAML with a `cameras:` list, as in edge.yaml
  std::string config_version;  ///< reported by the gateway in telemetry once applied
  int timeout_s = 30;
};

/// Exit codes: 0 applied; 1 refused (every error printed with its field
/// path); 2 the request itself is unusable (file, id); 3 no verdict within
/// the timeout (the command stays queued in the gateway's session).
int push_camera_config(const CentralConfig& config, const ConfigPushRequest& request, std::ostream& out);

/// A YAML `cameras:` document (or a bare list) as a JSON array text; plain
/// scalars become numbers, booleans or null where YAML would read them so.
/// Throws ConfigInvalid naming the file and line.
std::string cameras_yaml_to_json(const std::string& yaml_text, const std::string& name);

}  // namespace gridwatch::central
