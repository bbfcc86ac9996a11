#pragma once
// The gateway's TLS identity through the OpenSSL API: an EC P-256 private
// key, a certificate signing request whose CN is the gateway id, and the
// checks an issued certificate must pass before it is installed (and that
// `doctor` repeats). OpenSSL stays inside identity.cpp.
#include <stdexcept>
#include <string>
#include <vector>

#include "common/time.hpp"

namespace gridwatch::edge {

class IdentityError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Creates a new EC P-256 private key (PEM) at `path`, readable only by
/// its owner from the moment it exists. Throws IdentityError.
void create_private_key(const std::string& path);

/// Writes a CSR (PEM) for `common_name`, signed with the key at
/// `key_path`. Throws IdentityError.
void write_csr(const std::string& key_path, const std::string& common_name, const std::string& csr_path);

struct CertificateInfo {
  std::string subject_cn;
  std::string issuer;
  std::string serial_hex;
  EpochMs not_before_ms = 0;
  EpochMs not_after_ms = 0;
};

/// Reads a PEM certificate. Throws IdentityError.
CertificateInfo read_certificate(const std::string& path);

/// Everything wrong with using `cert_path` as gateway `gateway_id`'s
/// identity at `now_ms`: unreadable files, a key that does not match, a
/// CN other than the gateway id, a chain that does not lead to the CA at
/// `ca_path`, not yet valid or expired. Empty when it is fit.
std::vector<std::string> certificate_problems(const std::string& cert_path, const std::string& key_path,
                                              const std::string& ca_path, const std::string& gateway_id,
                                              EpochMs now_ms);

}  // namespace gridwatch::edge
