#pragma once
// `gridwatch-edge provision`: gives a gateway its identity. First run: a
// private key and a CSR (CN = gateway id) for central's CA, and the
// gateway id, position, broker and CA written into the config. Second run,
// with the certificate central issued: the certificate is checked against
// the key, the id and the CA, then installed. See docs/installation.md.
#include <optional>
#include <ostream>
#include <string>

namespace gridwatch::edge {

struct ProvisionRequest {
  std::string config_path;
  std::optional<std::string> gateway_id;
  std::optional<double> lat;
  std::optional<double> lon;
  std::optional<std::string> broker;
  std::optional<std::string> ca_file;      ///< copied into tls_dir as ca.crt
  std::optional<std::string> certificate;  ///< issued certificate to install
  std::string tls_dir;                     ///< empty = "tls" beside the config
  bool new_key = false;                    ///< replace an existing key (re-keying)
  std::string service_user = "gridwatch"; ///< owns the key when this user exists
};

/// Exit codes: 0 done; 1 a file could not be written or the certificate
/// does not fit (nothing installed); 2 the resulting config would be
/// invalid (nothing changed; every problem is printed with file:line).
int run_provision(const ProvisionRequest& request, std::ostream& out, std::ostream& err);

}  // namespace gridwatch::edge
