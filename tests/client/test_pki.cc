// Test PKI and TLS server process for libztm's transport tests (see test_pki.h).
#include "client/test_pki.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "core/crypto/keys.h"

namespace ztm::testing {
namespace {

// Certificates outlive any test by far, and start an hour back to tolerate clock skew.
constexpr long kValiditySeconds = 24 * 60 * 60;
constexpr long kBackdateSeconds = 60 * 60;
// python3 starts in well under a second; a loaded CI machine may be much slower.
constexpr int kServerStartTimeoutMs = 20'000;

std::shared_ptr<EVP_PKEY> NewKey() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) throw std::runtime_error("EVP_EC_gen failed");
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

void AddExtension(X509* certificate, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  if (extension == nullptr) throw std::runtime_error("bad extension");
  X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
}

enum class Kind { kCa, kServer, kClient };

std::shared_ptr<X509> MakeCertificate(const std::string& common_name, EVP_PKEY* key, X509* issuer,
                                      EVP_PKEY* issuer_key, Kind kind,
                                      const std::string& subject_alt_name = "") {
  std::shared_ptr<X509> certificate(X509_new(), X509_free);
  X509* cert = certificate.get();
  X509_set_version(cert, 2);
  unsigned char serial[8];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* number = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert));
  BN_free(number);
  X509_gmtime_adj(X509_getm_notBefore(cert), -kBackdateSeconds);
  X509_gmtime_adj(X509_getm_notAfter(cert), kValiditySeconds);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert, issuer == nullptr ? name : X509_get_subject_name(issuer));
  X509_set_pubkey(cert, key);
  X509* signer = issuer == nullptr ? cert : issuer;
  AddExtension(cert, signer, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) AddExtension(cert, signer, NID_authority_key_identifier, "keyid:always");
  switch (kind) {
    case Kind::kCa:
      AddExtension(cert, signer, NID_basic_constraints, "critical,CA:TRUE");
      AddExtension(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
      break;
    case Kind::kServer:
      AddExtension(cert, signer, NID_basic_constraints, "critical,CA:FALSE");
      AddExtension(cert, signer, NID_key_usage, "critical,digitalSignature");
      AddExtension(cert, signer, NID_ext_key_usage, "serverAuth");
      AddExtension(cert, signer, NID_subject_alt_name, subject_alt_name.c_str());
      break;
    case Kind::kClient:
      AddExtension(cert, signer, NID_basic_constraints, "critical,CA:FALSE");
      AddExtension(cert, signer, NID_key_usage, "critical,digitalSignature");
      AddExtension(cert, signer, NID_ext_key_usage, "clientAuth");
      break;
  }
  if (X509_sign(cert, issuer_key == nullptr ? key : issuer_key, EVP_sha256()) <= 0) {
    throw std::runtime_error("X509_sign failed");
  }
  return certificate;
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(length));
}

}  // namespace

TestCertificate TestCertificate::Root(const std::string& common_name) {
  auto key = NewKey();
  return TestCertificate(MakeCertificate(common_name, key.get(), nullptr, nullptr, Kind::kCa), key);
}

TestCertificate TestCertificate::Intermediate(const std::string& common_name,
                                              const TestCertificate& issuer) {
  auto key = NewKey();
  return TestCertificate(MakeCertificate(common_name, key.get(), issuer.certificate_.get(),
                                         issuer.key_.get(), Kind::kCa),
                         key);
}

TestCertificate TestCertificate::Server(const std::string& common_name,
                                        const TestCertificate& issuer,
                                        const std::string& subject_alt_name) {
  auto key = NewKey();
  return TestCertificate(MakeCertificate(common_name, key.get(), issuer.certificate_.get(),
                                         issuer.key_.get(), Kind::kServer, subject_alt_name),
                         key);
}

TestCertificate TestCertificate::Client(const std::string& common_name,
                                        const TestCertificate& issuer) {
  auto key = NewKey();
  return TestCertificate(MakeCertificate(common_name, key.get(), issuer.certificate_.get(),
                                         issuer.key_.get(), Kind::kClient),
                         key);
}

std::string TestCertificate::CertificatePem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), certificate_.get());
  return BioText(bio.get());
}

std::string TestCertificate::KeyPem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return BioText(bio.get());
}

std::string TestCertificate::Pin() const {
  std::string pem = CertificatePem();
  auto pin = crypto::SpkiPinOfCertificate(AsBytes(pem));
  if (!pin.ok()) throw std::runtime_error("SpkiPinOfCertificate failed");
  return *pin;
}

std::string UnusedPin() {
  auto root = TestCertificate::Root("unused backup key");
  return root.Pin();
}

TempDir::TempDir() {
  char pattern[] = "/tmp/ztm-transport-XXXXXX";
  const char* made = mkdtemp(pattern);
  if (made == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void WriteTextFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TlsServer::TlsServer(const TempDir& dir, const std::string& name, const TlsServerOptions& options)
    : log_path_(dir.File(name + ".log")) {
  if (options.chain.empty()) throw std::runtime_error("TlsServer needs a certificate");
  std::string chain;
  for (const TestCertificate* certificate : options.chain) chain += certificate->CertificatePem();
  const std::string chain_file = dir.File(name + "-chain.pem");
  const std::string key_file = dir.File(name + "-key.pem");
  WriteTextFile(chain_file, chain);
  WriteTextFile(key_file, options.chain.front()->KeyPem());
  WriteTextFile(log_path_, "");
  std::vector<std::string> args = {"/usr/bin/python3",
                                   std::string(ZTM_TESTDATA_DIR) + "/../tests/client/tls_server.py",
                                   "--cert",
                                   chain_file,
                                   "--key",
                                   key_file,
                                   "--log",
                                   log_path_,
                                   "--status",
                                   std::to_string(options.status),
                                   "--body-size",
                                   std::to_string(options.body_size)};
  if (options.client_ca != nullptr) {
    const std::string ca_file = dir.File(name + "-client-ca.pem");
    WriteTextFile(ca_file, options.client_ca->CertificatePem());
    args.push_back("--client-ca");
    args.push_back(ca_file);
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string error_file = dir.File(name + ".stderr");

  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(fds[1], STDOUT_FILENO);
    int error_fd = open(error_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (error_fd >= 0) dup2(error_fd, STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::string output;
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kServerStartTimeoutMs);
  while (output.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{fds[0], POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0) continue;
    char buffer[256];
    ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    output.append(buffer, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  constexpr std::string_view kPrefix = "listening ";
  if (output.rfind(kPrefix, 0) != 0) {
    throw std::runtime_error("tls_server.py did not start: " + ReadTextFile(error_file));
  }
  port_ = std::stoi(output.substr(kPrefix.size()));
}

TlsServer::~TlsServer() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string TlsServer::Url(const std::string& path) const {
  return "https://localhost:" + std::to_string(port_) + path;
}

std::vector<std::string> TlsServer::Log(std::size_t at_least) const {
  // The server logs after the client has its answer (or its failure); poll briefly.
  constexpr int kLogWaitMs = 5000;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kLogWaitMs);
  while (true) {
    std::vector<std::string> lines;
    std::istringstream in(ReadTextFile(log_path_));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) lines.push_back(line);
    }
    if (lines.size() >= at_least || std::chrono::steady_clock::now() >= deadline) return lines;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace ztm::testing
