#include "edge/provision.hpp"

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/time.hpp"
#include "edge/config_edit.hpp"
#include "edge/edge_config.hpp"
#include "edge/identity.hpp"

namespace gridwatch::edge {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct TlsFiles {
  std::string ca;
  std::string key;
  std::string csr;
  std::string certificate;
};

// --tls-dir, else the directory of the key already configured, else tls/
// beside the config.
TlsFiles tls_files(const ProvisionRequest& request, const EdgeConfig& current) {
  std::string dir = request.tls_dir;
  if (dir.empty() && current.mqtt.tls && !current.mqtt.tls->key_file.empty()) {
    dir = fs::path(current.mqtt.tls->key_file).parent_path().string();
  }
  if (dir.empty()) {
    const auto parent = fs::absolute(request.config_path).parent_path();
    dir = (parent / "tls").string();
  }
  dir = fs::absolute(dir).lexically_normal().string();
  return {dir + "/ca.crt", dir + "/gateway.key", dir + "/gateway.csr", dir + "/gateway.crt"};
}

/// Hands `path` to the service user (when it exists), so the daemon can
/// read its key while nobody else can.
void give_to_service_user(const std::string& path, const std::string& user, std::ostream& err) {
  const passwd* account = getpwnam(user.c_str());
  if (account == nullptr) return;
  if (::chown(path.c_str(), account->pw_uid, account->pw_gid) != 0) {
    err << "warning: cannot give " << path << " to user " << user << ": " << std::strerror(errno) << '\n';
  }
}

bool install_copy(const std::string& from, const std::string& to, std::ostream& err) {
  if (fs::exists(to) && fs::equivalent(from, to)) return true;
  const auto content = read_text(from);
  if (!content) {
    err << from << ": cannot read\n";
    return false;
  }
  const auto problem = replace_file_atomically(to, *content, 0644);
  if (!problem.empty()) err << "cannot install " << to << ": " << problem << '\n';
  return problem.empty();
}

}  // namespace

int run_provision(const ProvisionRequest& request, std::ostream& out, std::ostream& err) {
  const auto original = read_text(request.config_path);
  if (!original) {
    err << request.config_path << ": cannot read the config (install the package, or copy "
        << "config/edge.example.yaml there first)\n";
    return 1;
  }
  std::vector<YamlScalarEdit> edits;
  if (request.gateway_id) edits.push_back({{"gateway", "id"}, yaml_scalar(*request.gateway_id)});
  if (request.lat) edits.push_back({{"gateway", "lat"}, fmt::format("{}", *request.lat)});
  if (request.lon) edits.push_back({{"gateway", "lon"}, fmt::format("{}", *request.lon)});
  if (request.broker) edits.push_back({{"mqtt", "broker"}, yaml_scalar(*request.broker)});
  // Validated before anything is written: a bad --lat leaves every file
  // as it was.
  std::string edited;
  EdgeConfig config;
  const auto edit_and_validate = [&]() -> int {
    try {
      edited = apply_yaml_edits(*original, edits);
      config = parse_edge_config(edited, request.config_path);
      return 0;
    } catch (const YamlEditError& error) {
      err << request.config_path << ": " << error.what() << '\n';
    } catch (const ConfigInvalid& invalid) {
      err << invalid.errors().to_string() << request.config_path << ": " << invalid.errors().size()
          << " problem(s) in the result; nothing was changed\n";
    }
    return 2;
  };
  if (const int invalid = edit_and_validate(); invalid != 0) return invalid;
  const auto files = tls_files(request, config);
  // TLS once asked for (a CA, a certificate, an ssl:// broker, a new key)
  // or already configured: the key, CSR and certificate paths are ours.
  const bool uses_tls = request.ca_file || request.certificate || request.new_key || config.mqtt.tls ||
                        config.mqtt.broker.rfind("ssl://", 0) == 0 || config.mqtt.broker.rfind("mqtts://", 0) == 0;
  if (uses_tls) {
    edits.push_back({{"mqtt", "tls", "ca_file"}, yaml_scalar(files.ca)});
    edits.push_back({{"mqtt", "tls", "cert_file"}, yaml_scalar(files.certificate)});
    edits.push_back({{"mqtt", "tls", "key_file"}, yaml_scalar(files.key)});
    if (const int invalid = edit_and_validate(); invalid != 0) return invalid;
  }
  if (request.ca_file && !fs::exists(*request.ca_file)) {
    err << *request.ca_file << ": no such CA certificate\n";
    return 1;
  }
  if (request.certificate && !fs::exists(*request.certificate)) {
    err << *request.certificate << ": no such certificate\n";
    return 1;
  }

  if (uses_tls) {
    std::error_code ignored;
    const auto dir = fs::path(files.key).parent_path();
    fs::create_directories(dir, ignored);
    ::chmod(dir.c_str(), 0750);
    give_to_service_user(dir.string(), request.service_user, err);
    if (request.ca_file && !install_copy(*request.ca_file, files.ca, err)) return 1;
    try {
      if (request.new_key || !fs::exists(files.key)) {
        // A new key is made beside the old one and renamed over it, so a
        // failure leaves the old identity intact.
        const auto fresh = files.key + ".new";
        fs::remove(fresh, ignored);
        create_private_key(fresh);
        fs::rename(fresh, files.key);
        out << "created private key " << files.key << " (mode 0600)\n";
      }
      give_to_service_user(files.key, request.service_user, err);
      write_csr(files.key, config.gateway.id, files.csr);
    } catch (const std::exception& error) {
      err << "identity: " << error.what() << '\n';
      return 1;
    }
  }

  if (request.certificate) {
    const auto problems =
        certificate_problems(*request.certificate, files.key, files.ca, config.gateway.id, wall_clock_ms());
    if (!problems.empty()) {
      for (const auto& problem : problems) err << "certificate refused: " << problem << '\n';
      err << "nothing was installed\n";
      return 1;
    }
    if (!install_copy(*request.certificate, files.certificate, err)) return 1;
    const auto info = read_certificate(files.certificate);
    out << fmt::format("installed certificate {} for {} (serial {}, valid until {})\n", files.certificate,
                       info.subject_cn, info.serial_hex, format_utc(info.not_after_ms));
  }

  if (edited != *original) {
    // Keep the config's mode, owner and group: the package installs it
    // root:gridwatch 0640, and the service must still read it afterwards.
    struct stat status {};
    const bool existed = ::stat(request.config_path.c_str(), &status) == 0;
    const mode_t mode = existed ? (status.st_mode & 07777) : 0644;
    const auto owner = existed ? std::optional<FileOwner>(FileOwner{status.st_uid, status.st_gid}) : std::nullopt;
    const auto problem = replace_file_atomically(request.config_path, edited, mode, owner);
    if (!problem.empty()) {
      err << "cannot write the config: " << problem << '\n';
      return 1;
    }
    out << "updated " << request.config_path << " (gateway " << config.gateway.id << ", broker "
        << config.mqtt.broker << ")\n";
  }

  if (uses_tls && !request.certificate) {
    if (fs::exists(files.certificate) &&
        certificate_problems(files.certificate, files.key, files.ca, config.gateway.id, wall_clock_ms()).empty()) {
      out << "the installed certificate " << files.certificate << " still fits\n";
    } else {
      out << "certificate request: " << files.csr << "\n"
          << "next: on the central side run `gridwatch-ca sign CA_DIR " << fs::path(files.csr).filename().string()
          << "`, then here `gridwatch-edge provision --config " << request.config_path << " --cert "
          << config.gateway.id << ".crt`\n";
    }
  }
  if (!uses_tls && edits.empty()) out << "nothing to change\n";
  return 0;
}

}  // namespace gridwatch::edge
