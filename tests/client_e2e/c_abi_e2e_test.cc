// The C ABI end to end: tests/c_api/ztm_c_flow.c, a C99 program using only ztm/ztm.h, runs
// an app's whole flow (open, register, sign in, signed GET and POST, the encrypted database,
// logout, wipe check) against the real ztm-gateway binary over pinned TLS, with the e2e
// tests' Python upstream. The attestation callback is driven through ztm.h from C++ here.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "ztm/ztm.h"

#include "client_e2e/live_gateway.h"
#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "e2e/harness.h"

namespace ztm::e2e {
namespace {

using namespace std::chrono_literals;

constexpr char kUser[] = "carol";
constexpr char kPassword[] = "c flow password, long enough";

class CAbiE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    live_ = new LiveGateway(kUser, kPassword);
    ASSERT_TRUE(live_->ok()) << live_->error();
  }

  static void TearDownTestSuite() {
    delete live_;
    live_ = nullptr;
  }

  // Runs the C program for an app whose data lives in `name`.
  static CommandResult RunFlow(const std::string& name, const std::string& pin,
                               const std::string& password) {
    return RunCommand({ZTM_C_FLOW_PATH, live_->url(), live_->ca_file(), pin,
                       LiveGateway::BackupPin(), live_->File(name), kUser, password});
  }

  // Opens a client through ztm.h for an app whose data lives in `name`, attesting with
  // `callback` and `ctx` (released by ReleaseAttester).
  static ztm_client* OpenWithAttester(const std::string& name, ztm_attestation_callback callback,
                                      void* ctx);

  static LiveGateway* live_;
};

LiveGateway* CAbiE2E::live_ = nullptr;

// Each step's line, in order. The program itself checks what each step returned (statuses,
// the BUFFER_TOO_SMALL round, the body naming the user and device, no file left).
TEST_F(CAbiE2E, CProgramRunsTheWholeFlow) {
  const std::size_t before = live_->upstream().Requests().size();
  CommandResult result = RunFlow("app-c", live_->server_pin(), kPassword);
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  std::size_t position = 0;
  for (const char* step : {"open ok\n", "register ok device_id=", "sign_in ok\n",
                           "get ok status=200 body_bytes=", "post ok status=200 body_bytes=",
                           "database ok rows=1\n", "logout ok\n", "wiped ok\n", "c flow ok\n"}) {
    const std::size_t found = result.out.find(step, position);
    ASSERT_NE(found, std::string::npos) << "missing or out of order: " << step << "\n"
                                        << result.out;
    position = found;
  }
  EXPECT_EQ(result.out.find("FAIL"), std::string::npos) << result.out;
  // Both calls reached the upstream through the gateway, the POST with its body.
  const std::vector<std::string> requests = live_->upstream().Requests();
  ASSERT_EQ(requests.size(), before + 2);
  EXPECT_NE(requests.back().find("\"POST\""), std::string::npos) << requests.back();
  EXPECT_NE(requests.back().find("quantity"), std::string::npos) << requests.back();
}

TEST_F(CAbiE2E, WrongPasswordStopsAtSignInWithGatewayRefused) {
  CommandResult result = RunFlow("app-c-wrong-password", live_->server_pin(), "not the password");
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

// What the attestation callbacks below do and saw; their ctx.
struct Attester {
  const char* format = "apple-appattest";
  ztm_status result = ZTM_OK;
  std::string challenge;
  std::string public_jwk_json;
  int calls = 0;
  int released = 0;
};

ztm_status Attest(void* ctx, const char* challenge, const char* public_jwk_json,
                  ztm_attestation_out* out) {
  auto& attester = *static_cast<Attester*>(ctx);
  ++attester.calls;
  attester.challenge = challenge;
  attester.public_jwk_json = public_jwk_json;
  if (attester.result != ZTM_OK) return attester.result;
  // Not a real App Attest object: the gateway must refuse it.
  const char evidence[] = "bzJmbWN0b2FwcGxlLWFwcGF0dGVzdGdhdHRTdG10oA";
  return ztm_attestation_set(out, attester.format, evidence, std::strlen(evidence));
}

void ReleaseAttester(void* ctx) { ++static_cast<Attester*>(ctx)->released; }

ztm_client* CAbiE2E::OpenWithAttester(const std::string& name, ztm_attestation_callback callback,
                                      void* ctx) {
  const std::string url = live_->url();
  const std::string backup = LiveGateway::BackupPin();
  const char* pins[] = {live_->server_pin().c_str(), backup.c_str()};
  const char passphrase[] = "c abi attestation passphrase";
  ztm_options* options = ztm_options_new();
  EXPECT_NE(options, nullptr);
  EXPECT_EQ(ztm_options_set_gateway_url(options, url.c_str()), ZTM_OK);
  EXPECT_EQ(ztm_options_set_data_directory(options, live_->File(name).c_str()), ZTM_OK);
  EXPECT_EQ(ztm_options_set_ca_file(options, live_->ca_file().c_str()), ZTM_OK);
  EXPECT_EQ(ztm_options_add_pin(options, "localhost", pins, 2, 0, 0, 0, nullptr), ZTM_OK);
  EXPECT_EQ(ztm_options_set_passphrase(options, reinterpret_cast<const uint8_t*>(passphrase),
                                       std::strlen(passphrase)),
            ZTM_OK);
  EXPECT_EQ(ztm_options_set_attestation_provider(options, callback, ctx, ReleaseAttester), ZTM_OK);
  ztm_client* client = nullptr;
  EXPECT_EQ(ztm_client_open(options, &client), ZTM_OK) << ztm_last_error_code();
  ztm_options_free(options);
  return client;
}

std::string LastErrorMessage() {
  char message[512];
  size_t needed = 0;
  if (ztm_last_error_message(message, sizeof(message), &needed) != ZTM_OK) return "(too long)";
  return message;
}

// The callback's evidence reaches the gateway, bound to its challenge and the device key; a
// format the gateway has no verifier for is refused and the device stays unregistered.
TEST_F(CAbiE2E, AttestationCallbackEvidenceIsSentAndAnUnverifiableFormatIsRefused) {
  Attester attester;
  ztm_client* client = OpenWithAttester("app-c-attest", Attest, &attester);
  ASSERT_NE(client, nullptr);
  const ztm_status status = ztm_register(client);
  EXPECT_EQ(status, ZTM_ERR_GATEWAY_REFUSED) << ztm_last_error_code() << ": " << LastErrorMessage();
  // The gateway named the refusal: the evidence reached its verifier lookup.
  EXPECT_STREQ(ztm_last_error_code(), "gateway_refused");
  EXPECT_NE(LastErrorMessage().find("attestation_format_unsupported"), std::string::npos)
      << LastErrorMessage();
  EXPECT_EQ(ztm_is_registered(client), 0);
  EXPECT_EQ(attester.calls, 1);
  EXPECT_FALSE(attester.challenge.empty());
  EXPECT_NE(attester.public_jwk_json.find("\"kty\""), std::string::npos)
      << attester.public_jwk_json;
  EXPECT_EQ(attester.public_jwk_json.find("\"d\""), std::string::npos);  // public only
  EXPECT_EQ(attester.released, 0);
  ztm_client_free(client);
  EXPECT_EQ(attester.released, 1);
}

// A callback's failure is the registration's, with the status the callback chose; no
// registration request is sent.
TEST_F(CAbiE2E, FailingAttestationCallbackFailsRegistrationWithItsStatus) {
  Attester attester;
  attester.result = ZTM_ERR_USER_PRESENCE_REQUIRED;
  ztm_client* client = OpenWithAttester("app-c-attest-fails", Attest, &attester);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(ztm_register(client), ZTM_ERR_USER_PRESENCE_REQUIRED);
  EXPECT_STREQ(ztm_last_error_code(), "user_presence_required");
  EXPECT_EQ(LastErrorMessage(), "the platform attestation provider failed");
  EXPECT_EQ(ztm_is_registered(client), 0);
  EXPECT_EQ(attester.calls, 1);

  // The next attempt asks the callback again, with a fresh challenge.
  const std::string first_challenge = attester.challenge;
  attester.result = ZTM_ERR_NETWORK;
  EXPECT_EQ(ztm_register(client), ZTM_ERR_NETWORK);
  EXPECT_EQ(attester.calls, 2);
  EXPECT_NE(attester.challenge, first_challenge);
  ztm_client_free(client);
  EXPECT_EQ(attester.released, 1);
}

TEST_F(CAbiE2E, MissingArgumentsAreAUsageError) {
  CommandResult result = RunCommand({ZTM_C_FLOW_PATH, "https://localhost:1"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("usage:"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace ztm::e2e
