// Test-only X.509 (header-only, nothing here is compiled into ztm_server): a throwaway CA made
// with OpenSSL at test time and server certificates it issues for chosen names, written as PEM
// files, so TLS tests run against real certificate verification without checked-in keys.
#pragma once

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace ztm::server::testing {

// A server certificate and its key, as PEM files.
struct TestServerCertificate {
  std::string certificate_file;
  std::string private_key_file;
};

// A CA whose certificate is written to `dir`/<name>-ca.pem; it issues P-256 server
// certificates valid from an hour ago to a day from now.
class TestCertificateAuthority {
 public:
  TestCertificateAuthority(std::string dir, const std::string& name)
      : dir_(std::move(dir)), key_(NewKey()), certificate_(NewCertificate(name + " test CA")) {
    X509_set_issuer_name(certificate_.get(), X509_get_subject_name(certificate_.get()));
    X509_set_pubkey(certificate_.get(), key_.get());
    AddExtension(certificate_.get(), certificate_.get(), NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(certificate_.get(), certificate_.get(), NID_key_usage,
                 "critical,keyCertSign,cRLSign");
    Sign(certificate_.get());
    ca_file_ = dir_ + "/" + name + "-ca.pem";
    WritePem(ca_file_, certificate_.get(), nullptr);
  }

  // The CA certificate (what a client must trust).
  const std::string& ca_file() const { return ca_file_; }

  // Issues a serverAuth certificate for `subject_alt_names` in OpenSSL's syntax, e.g.
  // "IP:127.0.0.1,DNS:localhost", written to `dir`/<name>.pem and <name>.key.
  TestServerCertificate IssueServer(const std::string& name, const std::string& subject_alt_names) {
    EvpKey key = NewKey();
    X509Ptr certificate = NewCertificate(name);
    X509_set_issuer_name(certificate.get(), X509_get_subject_name(certificate_.get()));
    X509_set_pubkey(certificate.get(), key.get());
    AddExtension(certificate_.get(), certificate.get(), NID_basic_constraints, "critical,CA:FALSE");
    AddExtension(certificate_.get(), certificate.get(), NID_key_usage, "critical,digitalSignature");
    AddExtension(certificate_.get(), certificate.get(), NID_ext_key_usage, "serverAuth");
    AddExtension(certificate_.get(), certificate.get(), NID_subject_alt_name,
                 subject_alt_names.c_str());
    Sign(certificate.get());
    TestServerCertificate files{dir_ + "/" + name + ".pem", dir_ + "/" + name + ".key"};
    WritePem(files.certificate_file, certificate.get(), nullptr);
    WritePem(files.private_key_file, nullptr, key.get());
    return files;
  }

 private:
  using EvpKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
  using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

  static EvpKey NewKey() {
    EvpKey key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
    if (!key) throw std::runtime_error("test PKI: cannot generate a key");
    return key;
  }

  X509Ptr NewCertificate(const std::string& common_name) {
    X509Ptr certificate(X509_new(), &X509_free);
    if (!certificate) throw std::runtime_error("test PKI: X509_new failed");
    X509_set_version(certificate.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), next_serial_++);
    X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 86400);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(certificate.get()), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                               0);
    return certificate;
  }

  static void AddExtension(X509* issuer, X509* subject, int nid, const char* value) {
    X509V3_CTX context;
    X509V3_set_ctx(&context, issuer, subject, nullptr, nullptr, 0);
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
    if (extension == nullptr) throw std::runtime_error("test PKI: bad extension value");
    X509_add_ext(subject, extension, -1);
    X509_EXTENSION_free(extension);
  }

  void Sign(X509* certificate) {
    if (X509_sign(certificate, key_.get(), EVP_sha256()) == 0) {
      throw std::runtime_error("test PKI: signing failed");
    }
  }

  static void WritePem(const std::string& path, X509* certificate, EVP_PKEY* key) {
    std::FILE* file = std::fopen(path.c_str(), "w");
    if (file == nullptr) throw std::runtime_error("test PKI: cannot write " + path);
    bool written = true;
    if (certificate != nullptr) written = PEM_write_X509(file, certificate) == 1;
    if (key != nullptr) {
      written =
          written && PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    }
    std::fclose(file);
    if (!written) throw std::runtime_error("test PKI: cannot write " + path);
  }

  std::string dir_;
  EvpKey key_;
  long next_serial_ = 1;
  X509Ptr certificate_;
  std::string ca_file_;
};

}  // namespace ztm::server::testing
