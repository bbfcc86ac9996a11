#pragma once
// Issue 9: a deployment's PKI made the way an operator makes it, for the
// identity, doctor and remote-config tests: scripts/ca/gridwatch-ca for the
// CA, the broker and central, `gridwatch-edge provision` for each gateway,
// and Mosquitto running the shipped config/mosquitto/ sample.
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/daemons.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/test_env.hpp"

namespace gridwatch::test {

/// Runs a command and REQUIREs exit code 0, showing its output otherwise.
CommandResult run_ok(const std::vector<std::string>& argv);

/// scripts/ca/gridwatch-ca in the source tree.
std::string ca_script();

/// A CA in `dir`/ca with the broker's certificate (localhost, 127.0.0.1)
/// and central's identity (instance central-1).
class TestPki {
 public:
  explicit TestPki(const TempDir& dir);
  const std::string& dir() const { return ca_dir_; }
  std::string ca_file() const { return ca_dir_ + "/ca.crt"; }
  TlsFiles central() const;
  /// Starts Mosquitto with config/mosquitto/gridwatch-tls.conf and
  /// gridwatch.acl, their /etc paths pointed at this CA.
  std::unique_ptr<MosquittoBroker> start_broker() const;

 private:
  std::string ca_dir_;
  std::string acl_file_;
};

/// A whole TLS deployment: the PKI, Mosquitto running the sample config
/// and gridwatch-central connected with its own certificate.
struct TlsDeployment {
  TempDir dir;
  TestPki pki{dir};
  std::unique_ptr<MosquittoBroker> broker = pki.start_broker();
  Daemons daemons{*broker};
  std::unique_ptr<ChildProcess> central;

  TlsDeployment() {
    daemons.set_central_tls(pki.central());
    central = daemons.start_central("central-1");
  }
};

/// A gateway config written in the installer's way: a sample with
/// comments, then `provision` (key, CSR, id, position, broker, CA), then
/// the CA signs the CSR (`sign_args` adds e.g. --start/--end), then
/// `provision --cert`. Returns the config path; the TLS files are in
/// `dir`/<id>/tls/.
struct ProvisionedGateway {
  std::string config;
  TlsFiles tls;
  std::string csr;
};
ProvisionedGateway provision_gateway(const TempDir& dir, const TestPki& pki, const std::string& gateway_id,
                                     const std::string& broker_uri, const std::vector<std::string>& sign_args = {},
                                     const std::string& extra_yaml = "");

/// A 3 s, 640x360, 10 fps street clip rendered by gridwatch-sim (real
/// video through OpenCV); returns its path in `dir`.
std::string render_street_clip(const TempDir& dir);

}  // namespace gridwatch::test
