// The C ABI without a gateway: status mapping, NULL handling, the last error, the two-call
// buffers, option validation, open failures (wrong passphrase), and the platform keystore's
// ownership. The flow against a real gateway is tests/c_api/ztm_c_flow.c.
#include "ztm/ztm.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include "client/c_api/software_platform_keystore_for_test.h"
#include "client/c_api/status_map.h"
#include "client/storage/storage_test_util.h"
#include "core/error.h"

namespace ztm::c_api {
namespace {

using client::testing::SoftwarePlatformKeyStore;
using client::testing::TemporaryDirectory;

constexpr char kPassphrase[] = "a passphrase for the C ABI tests";

std::string LastMessage() {
  size_t needed = 0;
  EXPECT_EQ(ztm_last_error_message(nullptr, 0, &needed), ZTM_ERR_BUFFER_TOO_SMALL);
  std::string message(needed, '\0');
  EXPECT_EQ(ztm_last_error_message(message.data(), message.size(), &needed), ZTM_OK);
  message.resize(needed - 1);
  return message;
}

// Options that open without a network: a gateway URL, a data directory and two pins.
ztm_options* ValidOptions(const std::string& directory) {
  ztm_options* options = ztm_options_new();
  EXPECT_NE(options, nullptr);
  EXPECT_EQ(ztm_options_set_gateway_url(options, "https://gateway.example"), ZTM_OK);
  EXPECT_EQ(ztm_options_set_data_directory(options, directory.c_str()), ZTM_OK);
  const char* pins[] = {"sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                        "sha256/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA="};
  EXPECT_EQ(ztm_options_add_pin(options, "gateway.example", pins, 2, 0, 0, 0, nullptr), ZTM_OK);
  EXPECT_EQ(ztm_options_set_passphrase(options, reinterpret_cast<const uint8_t*>(kPassphrase),
                                       std::strlen(kPassphrase)),
            ZTM_OK);
  return options;
}

TEST(ZtmCApi, EveryCodeMapsToAnErrorStatus) {
  // Codes are numbered from 0 without gaps; CodeName answers "unknown" past the last one.
  int codes = 0;
  for (int i = 0; std::string(CodeName(static_cast<Code>(i))) != "unknown"; ++i, ++codes) {
    const ztm_status status = StatusOf(static_cast<Code>(i));
    EXPECT_NE(status, ZTM_OK) << CodeName(static_cast<Code>(i));
    EXPECT_NE(std::string(ztm_status_name(status)), "ZTM_ERR_UNKNOWN")
        << CodeName(static_cast<Code>(i));
  }
  EXPECT_GT(codes, 100);
}

TEST(ZtmCApi, CategoriesAnAppActsOn) {
  EXPECT_EQ(StatusOf(Code::kInvalidArgument), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(StatusOf(Code::kPinSetInvalid), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(StatusOf(Code::kNotRegistered), ZTM_ERR_NOT_REGISTERED);
  EXPECT_EQ(StatusOf(Code::kNotSignedIn), ZTM_ERR_NOT_SIGNED_IN);
  EXPECT_EQ(StatusOf(Code::kSessionEnded), ZTM_ERR_SESSION_ENDED);
  EXPECT_EQ(StatusOf(Code::kGatewayRefused), ZTM_ERR_GATEWAY_REFUSED);
  EXPECT_EQ(StatusOf(Code::kGatewayProtocol), ZTM_ERR_GATEWAY_REFUSED);
  EXPECT_EQ(StatusOf(Code::kPinValidationFailed), ZTM_ERR_PIN_VALIDATION_FAILED);
  EXPECT_EQ(StatusOf(Code::kTlsFailed), ZTM_ERR_TLS_FAILED);
  EXPECT_EQ(StatusOf(Code::kTransportConnectFailed), ZTM_ERR_NETWORK);
  EXPECT_EQ(StatusOf(Code::kTransportTimeout), ZTM_ERR_TIMEOUT);
  EXPECT_EQ(StatusOf(Code::kKekInvalid), ZTM_ERR_STORAGE);
  EXPECT_EQ(StatusOf(Code::kVaultCorrupt), ZTM_ERR_STORAGE);
  EXPECT_EQ(StatusOf(Code::kKeyStoreCallbackFailed), ZTM_ERR_STORAGE);
  EXPECT_EQ(StatusOf(Code::kUserPresenceRequired), ZTM_ERR_USER_PRESENCE_REQUIRED);
  EXPECT_EQ(StatusOf(Code::kInternal), ZTM_ERR_INTERNAL);
}

// The values are ABI: a binding compiled against them must keep working.
TEST(ZtmCApi, StatusValuesAreStable) {
  EXPECT_EQ(ZTM_OK, 0);
  EXPECT_EQ(ZTM_ERR_INVALID_ARGUMENT, 1);
  EXPECT_EQ(ZTM_ERR_BUFFER_TOO_SMALL, 2);
  EXPECT_EQ(ZTM_ERR_NOT_REGISTERED, 3);
  EXPECT_EQ(ZTM_ERR_NOT_SIGNED_IN, 4);
  EXPECT_EQ(ZTM_ERR_SESSION_ENDED, 5);
  EXPECT_EQ(ZTM_ERR_GATEWAY_REFUSED, 6);
  EXPECT_EQ(ZTM_ERR_PIN_VALIDATION_FAILED, 7);
  EXPECT_EQ(ZTM_ERR_TLS_FAILED, 8);
  EXPECT_EQ(ZTM_ERR_NETWORK, 9);
  EXPECT_EQ(ZTM_ERR_TIMEOUT, 10);
  EXPECT_EQ(ZTM_ERR_STORAGE, 11);
  EXPECT_EQ(ZTM_ERR_USER_PRESENCE_REQUIRED, 12);
  EXPECT_EQ(ZTM_ERR_INTERNAL, 13);
  EXPECT_EQ(ZTM_ERR_NOT_FOUND, 14);
  std::set<std::string> names;
  for (int i = 0; i <= 14; ++i) names.insert(ztm_status_name(static_cast<ztm_status>(i)));
  EXPECT_EQ(names.size(), 15u);
  EXPECT_STREQ(ztm_status_name(static_cast<ztm_status>(15)), "ZTM_ERR_UNKNOWN");
}

TEST(ZtmCApi, NullArgumentsAreRefused) {
  ztm_client* client = reinterpret_cast<ztm_client*>(0x1);  // must be overwritten with NULL
  EXPECT_EQ(ztm_client_open(nullptr, &client), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(client, nullptr);
  EXPECT_STREQ(ztm_last_error_code(), "invalid_argument");
  EXPECT_EQ(LastMessage(), "options is NULL");

  EXPECT_EQ(ztm_options_set_gateway_url(nullptr, "https://x"), ZTM_ERR_INVALID_ARGUMENT);
  ztm_options* options = ztm_options_new();
  EXPECT_EQ(ztm_options_set_gateway_url(options, nullptr), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_options_set_data_directory(options, nullptr), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_options_set_passphrase(options, nullptr, 5), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_options_add_pin(options, nullptr, nullptr, 0, 0, 0, 0, nullptr),
            ZTM_ERR_INVALID_ARGUMENT);
  const char* with_null[] = {"sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", nullptr};
  EXPECT_EQ(ztm_options_add_pin(options, "h", with_null, 2, 0, 0, 0, nullptr),
            ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_options_set_keystore(options, nullptr), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_client_open(options, nullptr), ZTM_ERR_INVALID_ARGUMENT);
  ztm_options_free(options);

  EXPECT_EQ(ztm_register(nullptr), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_sign_in(nullptr, "u", "p"), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_logout(nullptr), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_set_session_ended_callback(nullptr, nullptr, nullptr), ZTM_ERR_INVALID_ARGUMENT);
  size_t needed = 0;
  EXPECT_EQ(ztm_device_id(nullptr, nullptr, 0, &needed), ZTM_ERR_INVALID_ARGUMENT);
  ztm_response* response = reinterpret_cast<ztm_response*>(0x1);
  EXPECT_EQ(ztm_call(nullptr, "GET", "/", nullptr, 0, nullptr, nullptr, 0, &response),
            ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(response, nullptr);
  EXPECT_EQ(ztm_response_header(nullptr, "a", nullptr, 0, &needed), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_response_body(nullptr, nullptr, 0, &needed), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_is_registered(nullptr), 0);
  EXPECT_EQ(ztm_is_signed_in(nullptr), 0);
  EXPECT_EQ(ztm_response_status(nullptr), 0);
  ztm_client_free(nullptr);
  ztm_response_free(nullptr);
  ztm_options_free(nullptr);
}

TEST(ZtmCApi, LastErrorIsClearedBySuccessAndKeptPerThread) {
  EXPECT_EQ(ztm_register(nullptr), ZTM_ERR_INVALID_ARGUMENT);
  std::string other_thread_code = "unset";
  std::thread([&] { other_thread_code = ztm_last_error_code(); }).join();
  EXPECT_EQ(other_thread_code, "");
  EXPECT_STREQ(ztm_last_error_code(), "invalid_argument");

  // Reading the message, even into a buffer too small, leaves the error in place.
  char tiny[4];
  size_t needed = 0;
  EXPECT_EQ(ztm_last_error_message(tiny, sizeof(tiny), &needed), ZTM_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(needed, std::strlen("client is NULL") + 1);
  EXPECT_STREQ(ztm_last_error_code(), "invalid_argument");

  ztm_options* options = ztm_options_new();
  EXPECT_EQ(ztm_options_set_gateway_url(options, "https://x"), ZTM_OK);
  EXPECT_STREQ(ztm_last_error_code(), "");
  EXPECT_EQ(LastMessage(), "");
  ztm_options_free(options);
}

TEST(ZtmCApi, PinArgumentsAreChecked) {
  ztm_options* options = ztm_options_new();
  const char* pins[] = {"sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                        "sha256/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA="};
  EXPECT_EQ(ztm_options_add_pin(options, "h", pins, 2, -1, 0, 0, nullptr),
            ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_options_add_pin(options, "h", pins, 2, 0, 2, 0, nullptr), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_options_add_pin(options, "h", pins, 2, 0, 0, -1, nullptr),
            ZTM_ERR_INVALID_ARGUMENT);
  ztm_options_free(options);
}

TEST(ZtmCApi, OpenRefusesBadOptions) {
  TemporaryDirectory directory;
  ztm_client* client = nullptr;

  ztm_options* http = ValidOptions(directory.Sub("http"));
  ASSERT_EQ(ztm_options_set_gateway_url(http, "http://gateway.example"), ZTM_OK);
  EXPECT_EQ(ztm_client_open(http, &client), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(client, nullptr);
  ztm_options_free(http);

  // One pin: no backup key, so a rotation would lock the app out.
  ztm_options* one_pin = ztm_options_new();
  ASSERT_EQ(ztm_options_set_gateway_url(one_pin, "https://gateway.example"), ZTM_OK);
  ASSERT_EQ(ztm_options_set_data_directory(one_pin, directory.Sub("one-pin").c_str()), ZTM_OK);
  ASSERT_EQ(ztm_options_set_passphrase(one_pin, reinterpret_cast<const uint8_t*>(kPassphrase),
                                       std::strlen(kPassphrase)),
            ZTM_OK);
  const char* pins[] = {"sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="};
  ASSERT_EQ(ztm_options_add_pin(one_pin, "gateway.example", pins, 1, 0, 0, 0, nullptr), ZTM_OK);
  EXPECT_EQ(ztm_client_open(one_pin, &client), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(ztm_last_error_code(), "pin_set_invalid");
  ztm_options_free(one_pin);
}

TEST(ZtmCApi, WrongPassphraseIsAStorageErrorNamedKekInvalid) {
  TemporaryDirectory directory;
  ztm_options* options = ValidOptions(directory.Sub("app"));
  ztm_client* client = nullptr;
  ASSERT_EQ(ztm_client_open(options, &client), ZTM_OK) << LastMessage();
  ztm_client_free(client);

  const char wrong[] = "not the passphrase at all";
  ASSERT_EQ(ztm_options_set_passphrase(options, reinterpret_cast<const uint8_t*>(wrong),
                                       std::strlen(wrong)),
            ZTM_OK);
  client = reinterpret_cast<ztm_client*>(0x1);
  EXPECT_EQ(ztm_client_open(options, &client), ZTM_ERR_STORAGE);
  EXPECT_EQ(client, nullptr);
  EXPECT_STREQ(ztm_last_error_code(), "kek_invalid");
  EXPECT_FALSE(LastMessage().empty());
  ztm_options_free(options);
}

TEST(ZtmCApi, UnregisteredClientReportsPreciseStates) {
  TemporaryDirectory directory;
  ztm_options* options = ValidOptions(directory.Sub("app"));
  ztm_client* client = nullptr;
  ASSERT_EQ(ztm_client_open(options, &client), ZTM_OK) << LastMessage();
  ztm_options_free(options);  // the client does not need them any more

  EXPECT_EQ(ztm_is_registered(client), 0);
  EXPECT_EQ(ztm_is_signed_in(client), 0);
  size_t needed = 123;
  char buffer[64];
  EXPECT_EQ(ztm_device_id(client, buffer, sizeof(buffer), &needed), ZTM_ERR_NOT_REGISTERED);
  EXPECT_STREQ(ztm_last_error_code(), "not_registered");

  ztm_response* response = nullptr;
  EXPECT_EQ(ztm_call(client, "GET", "/api", nullptr, 0, nullptr, nullptr, 0, &response),
            ZTM_ERR_NOT_REGISTERED);
  EXPECT_EQ(response, nullptr);
  EXPECT_EQ(ztm_sign_in(client, "user", "password"), ZTM_ERR_NOT_REGISTERED);
  EXPECT_STREQ(ztm_last_error_code(), "not_registered");
  EXPECT_EQ(ztm_set_session_ended_callback(client, nullptr, nullptr), ZTM_OK);
  ztm_client_free(client);
}

TEST(ZtmCApi, CallArgumentsAreCheckedBeforeAnythingIsSent) {
  TemporaryDirectory directory;
  ztm_options* options = ValidOptions(directory.Sub("app"));
  ztm_client* client = nullptr;
  ASSERT_EQ(ztm_client_open(options, &client), ZTM_OK) << LastMessage();
  ztm_options_free(options);
  ztm_response* response = nullptr;
  EXPECT_EQ(ztm_call(client, "POST", "/api", nullptr, 3, nullptr, nullptr, 0, &response),
            ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_call(client, "GET", "/api", nullptr, 0, nullptr, nullptr, 1, &response),
            ZTM_ERR_INVALID_ARGUMENT);
  const char* names[] = {"x-a", nullptr};
  const char* values[] = {"1", "2"};
  EXPECT_EQ(ztm_call(client, "GET", "/api", nullptr, 0, names, values, 2, &response),
            ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_call(client, "GET", "/api", nullptr, 0, names, values, 100000, &response),
            ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(LastMessage(), "more than 128 request headers");
  EXPECT_EQ(response, nullptr);
  ztm_client_free(client);
}

TEST(ZtmCApi, PlatformKeystoreHoldsTheKeysAndIsReleasedOnce) {
  TemporaryDirectory directory;
  SoftwarePlatformKeyStore platform;
  ztm_options* options = ValidOptions(directory.Sub("app"));
  ztm_keystore_callbacks callbacks = platform.Callbacks();
  ASSERT_EQ(ztm_options_set_keystore(options, &callbacks), ZTM_OK);
  ztm_client* client = nullptr;
  ASSERT_EQ(ztm_client_open(options, &client), ZTM_OK) << LastMessage();
  ztm_options_free(options);
  EXPECT_GT(platform.calls(), 0);
  // No software key store was made: the keys are the platform's.
  EXPECT_FALSE(std::filesystem::exists(directory.Sub("app/keys")));
  EXPECT_EQ(platform.released(), 0);  // the client still uses the callbacks
  ztm_client_free(client);
  EXPECT_EQ(platform.released(), 1);
}

TEST(ZtmCApi, ReplacedKeystoreIsReleasedAndIncompleteCallbacksAreNotTaken) {
  SoftwarePlatformKeyStore first;
  SoftwarePlatformKeyStore second;
  ztm_options* options = ztm_options_new();
  ztm_keystore_callbacks callbacks = first.Callbacks();
  ASSERT_EQ(ztm_options_set_keystore(options, &callbacks), ZTM_OK);
  ztm_keystore_callbacks incomplete = second.Callbacks();
  incomplete.sign = nullptr;
  EXPECT_EQ(ztm_options_set_keystore(options, &incomplete), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(second.released(), 0);
  EXPECT_EQ(first.released(), 0);  // still set
  callbacks = second.Callbacks();
  ASSERT_EQ(ztm_options_set_keystore(options, &callbacks), ZTM_OK);
  EXPECT_EQ(first.released(), 1);
  ztm_options_free(options);
  EXPECT_EQ(second.released(), 1);
}

}  // namespace
}  // namespace ztm::c_api
