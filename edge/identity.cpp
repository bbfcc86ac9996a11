#include "edge/identity.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <memory>

namespace gridwatch::edge {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* pointer) const { Free(pointer); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Request = std::unique_ptr<X509_REQ, Deleter<X509_REQ, X509_REQ_free>>;
using Certificate = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Store = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreContext = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

/// The latest OpenSSL error, for messages ("no start line", "bad decrypt").
std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

File open_file(const std::string& path, const char* mode) {
  File file(std::fopen(path.c_str(), mode));
  if (!file) throw IdentityError(path + ": cannot open");
  return file;
}

Key read_key(const std::string& path) {
  auto file = open_file(path, "r");
  Key key(PEM_read_PrivateKey(file.get(), nullptr, nullptr, nullptr));
  if (!key) throw IdentityError(path + ": not a PEM private key (" + openssl_error() + ")");
  return key;
}

Certificate read_x509(const std::string& path) {
  auto file = open_file(path, "r");
  Certificate certificate(PEM_read_X509(file.get(), nullptr, nullptr, nullptr));
  if (!certificate) throw IdentityError(path + ": not a PEM certificate (" + openssl_error() + ")");
  return certificate;
}

std::string common_name(const X509_NAME* name) {
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return "";
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) return "";
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return out;
}

std::string one_line(const X509_NAME* name) {
  char text[256];
  X509_NAME_oneline(name, text, sizeof text);
  return text;
}

EpochMs epoch_ms(const ASN1_TIME* time) {
  std::tm parts{};
  if (ASN1_TIME_to_tm(time, &parts) != 1) return 0;
  return static_cast<EpochMs>(timegm(&parts)) * 1000;
}

}  // namespace

void create_private_key(const std::string& path) {
  Key key(EVP_EC_gen("P-256"));
  if (!key) throw IdentityError("cannot generate an EC P-256 key: " + openssl_error());
  // O_EXCL and mode 0600 at creation: the key is never readable by others,
  // not even for the moment between open and chmod.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
  if (fd < 0) throw IdentityError(path + ": cannot create (it must not exist yet)");
  File file(fdopen(fd, "w"));
  if (!file) {
    ::close(fd);
    throw IdentityError(path + ": cannot write");
  }
  if (PEM_write_PrivateKey(file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      std::fflush(file.get()) != 0 || fsync(fileno(file.get())) != 0) {
    throw IdentityError(path + ": cannot write the key (" + openssl_error() + ")");
  }
}

void write_csr(const std::string& key_path, const std::string& common_name_text, const std::string& csr_path) {
  const auto key = read_key(key_path);
  Request request(X509_REQ_new());
  if (!request || X509_REQ_set_version(request.get(), 0) != 1) throw IdentityError("cannot create a CSR");
  X509_NAME* name = X509_REQ_get_subject_name(request.get());
  if (X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name_text.c_str()), -1, -1, 0) != 1 ||
      X509_REQ_set_pubkey(request.get(), key.get()) != 1 ||
      X509_REQ_sign(request.get(), key.get(), EVP_sha256()) <= 0) {
    throw IdentityError("cannot sign the CSR: " + openssl_error());
  }
  auto file = open_file(csr_path, "w");
  if (PEM_write_X509_REQ(file.get(), request.get()) != 1) throw IdentityError(csr_path + ": cannot write");
}

CertificateInfo read_certificate(const std::string& path) {
  const auto certificate = read_x509(path);
  CertificateInfo info;
  info.subject_cn = common_name(X509_get_subject_name(certificate.get()));
  info.issuer = one_line(X509_get_issuer_name(certificate.get()));
  if (BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate.get()), nullptr)) {
    if (char* hex = BN_bn2hex(serial)) {
      info.serial_hex = hex;
      OPENSSL_free(hex);
    }
    BN_free(serial);
  }
  info.not_before_ms = epoch_ms(X509_get0_notBefore(certificate.get()));
  info.not_after_ms = epoch_ms(X509_get0_notAfter(certificate.get()));
  return info;
}

std::vector<std::string> certificate_problems(const std::string& cert_path, const std::string& key_path,
                                              const std::string& ca_path, const std::string& gateway_id,
                                              EpochMs now_ms) {
  std::vector<std::string> problems;
  Certificate certificate;
  Key key;
  try {
    certificate = read_x509(cert_path);
  } catch (const IdentityError& error) {
    problems.emplace_back(error.what());
    return problems;
  }
  try {
    key = read_key(key_path);
    if (X509_check_private_key(certificate.get(), key.get()) != 1) {
      ERR_clear_error();
      problems.push_back(cert_path + " was not issued for the key " + key_path +
                         " (a certificate for another CSR?)");
    }
  } catch (const IdentityError& error) {
    problems.emplace_back(error.what());
  }
  const auto cn = common_name(X509_get_subject_name(certificate.get()));
  if (cn != gateway_id) {
    problems.push_back(cert_path + ": CN is \"" + cn + "\", but this gateway is \"" + gateway_id +
                       "\" (the broker would let it publish only as \"" + cn + "\")");
  }
  Store store(X509_STORE_new());
  if (!store || X509_STORE_load_file(store.get(), ca_path.c_str()) != 1) {
    ERR_clear_error();
    problems.push_back(ca_path + ": cannot load the CA certificate");
    return problems;
  }
  StoreContext context(X509_STORE_CTX_new());
  if (!context || X509_STORE_CTX_init(context.get(), store.get(), certificate.get(), nullptr) != 1) {
    problems.emplace_back("cannot verify: " + openssl_error());
    return problems;
  }
  X509_STORE_CTX_set_time(context.get(), 0, static_cast<time_t>(now_ms / 1000));
  if (X509_verify_cert(context.get()) != 1) {
    const int code = X509_STORE_CTX_get_error(context.get());
    problems.push_back(cert_path + ": " + X509_verify_cert_error_string(code) + " (checked against " + ca_path + ")");
    ERR_clear_error();
  }
  return problems;
}

}  // namespace gridwatch::edge
