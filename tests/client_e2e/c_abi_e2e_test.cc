// The C ABI end to end: tests/c_api/ztm_c_flow.c, a C99 program using only ztm/ztm.h, runs
// an app's whole flow (open, register, sign in, signed GET and POST, logout, wipe check)
// against the real ztm-gateway binary over pinned TLS, with the e2e tests' Python upstream.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "e2e/harness.h"

namespace ztm::e2e {
namespace {

using namespace std::chrono_literals;

constexpr char kUser[] = "carol";
constexpr char kPassword[] = "c flow password, long enough";

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// A pin no certificate here has: the offline backup key's.
std::string BackupPin() {
  return "sha256/" + Base64Encode(crypto::Sha256(std::string_view("ztm c abi backup key")));
}

class CAbiE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    MakeTlsFiles(dir_->path());
    upstream_ = new Upstream(dir_->path());
    port_ = FreePort();
    WriteFile(dir_->File("gateway.yaml"), R"(listen:
  address: 127.0.0.1
  port: )" + std::to_string(port_) + R"(
  public_origins: ["https://localhost:)" + std::to_string(port_) +
                                              R"("]
  threads: 2
  tls:
    certificate_file: server.pem
    private_key_file: server.key
storage:
  sqlite_path: gateway.db
  master_key_file: master.key
tokens:
  issuer: https://gateway.e2e.test
  audience: https://api.e2e.test
  refresh_grace_seconds: 0
  refresh_grace_max_retries: 0
attestation:
  allow_software: true
mode: reverse_proxy
upstream:
  url: http://127.0.0.1:)" + std::to_string(upstream_->port()) +
                                              R"(
limits:
  per_ip_rate: 1000
  per_ip_burst: 1000
  per_device_rate: 1000
  per_device_burst: 1000
)");
    CommandResult added =
        RunCommand({ZTM_CLI_PATH, "users", "add", kUser, "--db", dir_->File("gateway.db")},
                   std::string(kPassword) + "\n");
    ASSERT_EQ(added.exit_code, 0) << added.err;
    CommandResult pin = RunCommand({ZTM_CLI_PATH, "pin", "spki", dir_->File("server.pem")});
    ASSERT_EQ(pin.exit_code, 0) << pin.err;
    server_pin_ = new std::string(Trim(pin.out));
    gateway_ = new Process({ZTM_GATEWAY_PATH, "--config", dir_->File("gateway.yaml")});
    ASSERT_TRUE(gateway_->WaitForLine("\"listening\"", 30s).has_value()) << gateway_->Output();
  }

  static void TearDownTestSuite() {
    delete gateway_;
    delete upstream_;
    delete server_pin_;
    delete dir_;
  }

  // Runs the C program for an app whose data lives in `name`.
  static CommandResult RunFlow(const std::string& name, const std::string& pin,
                               const std::string& password) {
    return RunCommand({ZTM_C_FLOW_PATH, "https://localhost:" + std::to_string(port_),
                       dir_->File("ca.pem"), pin, BackupPin(), dir_->File(name), kUser, password});
  }

  static TempDir* dir_;
  static Upstream* upstream_;
  static Process* gateway_;
  static std::string* server_pin_;
  static int port_;
};

TempDir* CAbiE2E::dir_ = nullptr;
Upstream* CAbiE2E::upstream_ = nullptr;
Process* CAbiE2E::gateway_ = nullptr;
std::string* CAbiE2E::server_pin_ = nullptr;
int CAbiE2E::port_ = 0;

// Each step's line, in order. The program itself checks what each step returned (statuses,
// the BUFFER_TOO_SMALL round, the body naming the user and device, no file left).
TEST_F(CAbiE2E, CProgramRunsTheWholeFlow) {
  const std::size_t before = upstream_->Requests().size();
  CommandResult result = RunFlow("app-c", *server_pin_, kPassword);
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  std::size_t position = 0;
  for (const char* step :
       {"open ok\n", "register ok device_id=", "sign_in ok\n", "get ok status=200 body_bytes=",
        "post ok status=200 body_bytes=", "logout ok\n", "wiped ok\n", "c flow ok\n"}) {
    const std::size_t found = result.out.find(step, position);
    ASSERT_NE(found, std::string::npos) << "missing or out of order: " << step << "\n"
                                        << result.out;
    position = found;
  }
  EXPECT_EQ(result.out.find("FAIL"), std::string::npos) << result.out;
  // Both calls reached the upstream through the gateway, the POST with its body.
  const std::vector<std::string> requests = upstream_->Requests();
  ASSERT_EQ(requests.size(), before + 2);
  EXPECT_NE(requests.back().find("\"POST\""), std::string::npos) << requests.back();
  EXPECT_NE(requests.back().find("quantity"), std::string::npos) << requests.back();
}

TEST_F(CAbiE2E, WrongPasswordStopsAtSignInWithGatewayRefused) {
  CommandResult result = RunFlow("app-c-wrong-password", *server_pin_, "not the password");
  EXPECT_EQ(result.exit_code, 1) << result.out;
  EXPECT_NE(result.out.find("register ok"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("FAIL sign_in: ZTM_ERR_GATEWAY_REFUSED gateway_refused"),
            std::string::npos)
      << result.out;
}

// Pins of other keys (an interception): the handshake fails before anything is sent.
TEST_F(CAbiE2E, WrongPinStopsAtRegisterWithPinValidationFailed) {
  const std::string other_key_pin =
      "sha256/" + Base64Encode(crypto::Sha256(std::string_view("another key")));
  CommandResult result = RunFlow("app-c-mitm", other_key_pin, kPassword);
  EXPECT_EQ(result.exit_code, 1) << result.out;
  EXPECT_NE(result.out.find("open ok"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("FAIL register: ZTM_ERR_PIN_VALIDATION_FAILED pin_validation_failed"),
            std::string::npos)
      << result.out;
}

TEST_F(CAbiE2E, MissingArgumentsAreAUsageError) {
  CommandResult result = RunCommand({ZTM_C_FLOW_PATH, "https://localhost:1"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("usage:"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace ztm::e2e
