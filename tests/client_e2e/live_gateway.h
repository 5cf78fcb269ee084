// A real ztm-gateway for libztm's end-to-end suites: TLS on 127.0.0.1 with a throwaway CA,
// the embedded SQLite store, the e2e tests' Python upstream, one user, and the SPKI pin of
// the gateway's certificate (from `ztm pin spki`, as an app's build would take it).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "e2e/harness.h"

namespace ztm::e2e {

class LiveGateway {
 public:
  // Starts everything; check ok() (and error()) before use.
  LiveGateway(std::string user, std::string password) {
    MakeTlsFiles(dir_.path());
    upstream_ = std::make_unique<Upstream>(dir_.path());
    port_ = FreePort();
    WriteFile(dir_.File("gateway.yaml"), Config());
    CommandResult added = RunCommand(
        {ZTM_CLI_PATH, "users", "add", user, "--db", dir_.File("gateway.db")}, password + "\n");
    if (added.exit_code != 0) {
      error_ = "ztm users add: " + added.err;
      return;
    }
    CommandResult pin = RunCommand({ZTM_CLI_PATH, "pin", "spki", dir_.File("server.pem")});
    if (pin.exit_code != 0) {
      error_ = "ztm pin spki: " + pin.err;
      return;
    }
    server_pin_ = pin.out;
    while (!server_pin_.empty() && (server_pin_.back() == '\n' || server_pin_.back() == '\r')) {
      server_pin_.pop_back();
    }
    gateway_ = std::make_unique<Process>(
        std::vector<std::string>{ZTM_GATEWAY_PATH, "--config", dir_.File("gateway.yaml")});
    if (!gateway_->WaitForLine("\"listening\"", std::chrono::seconds(30))) {
      error_ = "ztm-gateway did not start: " + gateway_->Output();
    }
  }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  std::string url() const { return "https://localhost:" + std::to_string(port_); }
  std::string ca_file() const { return dir_.File("ca.pem"); }
  std::string File(const std::string& name) const { return dir_.File(name); }
  // The pin of the gateway's key, and one no certificate here has (the offline backup key's).
  const std::string& server_pin() const { return server_pin_; }
  static std::string BackupPin() {
    return "sha256/" + Base64Encode(crypto::Sha256(std::string_view("ztm e2e backup key")));
  }
  Upstream& upstream() { return *upstream_; }

 private:
  std::string Config() const {
    const std::string port = std::to_string(port_);
    return "listen:\n"
           "  address: 127.0.0.1\n"
           "  port: " +
           port +
           "\n"
           "  public_origins: [\"https://localhost:" +
           port +
           "\"]\n"
           "  threads: 2\n"
           "  tls:\n"
           "    certificate_file: server.pem\n"
           "    private_key_file: server.key\n"
           "storage:\n"
           "  sqlite_path: gateway.db\n"
           "  master_key_file: master.key\n"
           "tokens:\n"
           "  issuer: https://gateway.e2e.test\n"
           "  audience: https://api.e2e.test\n"
           "  refresh_grace_seconds: 0\n"
           "  refresh_grace_max_retries: 0\n"
           "attestation:\n"
           "  allow_software: true\n"
           "mode: reverse_proxy\n"
           "upstream:\n"
           "  url: http://127.0.0.1:" +
           std::to_string(upstream_->port()) +
           "\n"
           "limits:\n"
           "  per_ip_rate: 1000\n"
           "  per_ip_burst: 1000\n"
           "  per_device_rate: 1000\n"
           "  per_device_burst: 1000\n";
  }

  TempDir dir_;
  std::unique_ptr<Upstream> upstream_;
  int port_ = 0;
  std::string server_pin_;
  std::unique_ptr<Process> gateway_;  // last: stopped first
  std::string error_;
};

}  // namespace ztm::e2e
