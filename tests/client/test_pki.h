// Test support for libztm's transport tests: certificates made at test time with OpenSSL
// (P-256 keys, a root CA, intermediates, leaves for 127.0.0.1/localhost, client
// certificates), a temporary directory, and a real TLS server process (tls_server.py) on
// 127.0.0.1 that logs what it received.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace ztm::testing {

// A certificate and its private key.
class TestCertificate {
 public:
  // A self-signed CA certificate named `common_name`.
  static TestCertificate Root(const std::string& common_name);
  // A CA certificate named `common_name` issued by `issuer`.
  static TestCertificate Intermediate(const std::string& common_name,
                                      const TestCertificate& issuer);
  // A TLS server certificate for `subject_alt_name` (OpenSSL config syntax) issued by
  // `issuer`.
  static TestCertificate Server(const std::string& common_name, const TestCertificate& issuer,
                                const std::string& subject_alt_name = "DNS:localhost,IP:127.0.0.1");
  // A TLS client certificate issued by `issuer`.
  static TestCertificate Client(const std::string& common_name, const TestCertificate& issuer);

  std::string CertificatePem() const;
  std::string KeyPem() const;
  // "sha256/<base64>" of the certificate's SubjectPublicKeyInfo.
  std::string Pin() const;

 private:
  TestCertificate(std::shared_ptr<X509> certificate, std::shared_ptr<EVP_PKEY> key)
      : certificate_(std::move(certificate)), key_(std::move(key)) {}
  std::shared_ptr<X509> certificate_;
  std::shared_ptr<EVP_PKEY> key_;
};

// A pin of a fresh key that no certificate uses (a backup pin).
std::string UnusedPin();

// A fresh directory under /tmp, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void WriteTextFile(const std::string& path, const std::string& content);
std::string ReadTextFile(const std::string& path);

struct TlsServerOptions {
  std::vector<const TestCertificate*> chain;   // leaf first; the leaf's key is used
  const TestCertificate* client_ca = nullptr;  // require a client certificate from this CA
  int status = 200;
  std::size_t body_size = 0;  // 0: the body "hello"
};

// A tls_server.py process on 127.0.0.1, killed on destruction.
class TlsServer {
 public:
  TlsServer(const TempDir& dir, const std::string& name, const TlsServerOptions& options);
  ~TlsServer();
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  int port() const { return port_; }
  std::string Url(const std::string& path = "/") const;
  // The server's log: one JSON object per connection (see tls_server.py). Waits until it
  // has at least `at_least` lines or a few seconds passed (the server logs asynchronously).
  std::vector<std::string> Log(std::size_t at_least = 0) const;

 private:
  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace ztm::testing
