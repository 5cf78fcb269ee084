// The C ABI without a gateway: status mapping, NULL handling, the last error, the two-call
// buffers, option validation, open failures (wrong passphrase), and the platform keystore's
// ownership. The flow against a real gateway is tests/c_api/ztm_c_flow.c.
#include "ztm/ztm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
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

// ---- Attestation provider option ----

struct ProviderContext {
  int released = 0;
};

ztm_status NeverCalledProvider(void*, const char*, const char*, ztm_attestation_out*) {
  ADD_FAILURE() << "no registration happens in these tests";
  return ZTM_ERR_INTERNAL;
}

void ReleaseProvider(void* ctx) { ++static_cast<ProviderContext*>(ctx)->released; }

TEST(ZtmCApi, AttestationProviderCtxIsTakenOnlyOnSuccessAndReleasedOnce) {
  ProviderContext first;
  ProviderContext second;
  EXPECT_EQ(
      ztm_options_set_attestation_provider(nullptr, NeverCalledProvider, &first, ReleaseProvider),
      ZTM_ERR_INVALID_ARGUMENT);
  ztm_options* options = ztm_options_new();
  EXPECT_EQ(ztm_options_set_attestation_provider(options, nullptr, &first, ReleaseProvider),
            ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(LastMessage(), "callback is NULL");
  EXPECT_EQ(first.released, 0);  // not taken

  ASSERT_EQ(
      ztm_options_set_attestation_provider(options, NeverCalledProvider, &first, ReleaseProvider),
      ZTM_OK);
  ASSERT_EQ(
      ztm_options_set_attestation_provider(options, NeverCalledProvider, &second, ReleaseProvider),
      ZTM_OK);
  EXPECT_EQ(first.released, 1);  // replaced
  EXPECT_EQ(second.released, 0);
  ztm_options_free(options);
  EXPECT_EQ(second.released, 1);

  // A NULL release is allowed: ctx then stays the app's to manage.
  options = ztm_options_new();
  ASSERT_EQ(ztm_options_set_attestation_provider(options, NeverCalledProvider, &first, nullptr),
            ZTM_OK);
  ztm_options_free(options);
  EXPECT_EQ(first.released, 1);
}

TEST(ZtmCApi, AClientKeepsTheAttestationProviderUntilFreed) {
  TemporaryDirectory directory;
  ProviderContext context;
  ztm_options* options = ValidOptions(directory.Sub("app"));
  ASSERT_EQ(
      ztm_options_set_attestation_provider(options, NeverCalledProvider, &context, ReleaseProvider),
      ZTM_OK);
  ztm_client* client = nullptr;
  ASSERT_EQ(ztm_client_open(options, &client), ZTM_OK) << LastMessage();
  ztm_options_free(options);
  EXPECT_EQ(context.released, 0);  // the client still holds it
  ztm_client_free(client);
  EXPECT_EQ(context.released, 1);
}

// ---- Encrypted database ----

TEST(ZtmCApi, SqlParamsRefuseNullsAndKeepTheirBounds) {
  EXPECT_EQ(ztm_sql_params_add_null(nullptr), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_sql_params_add_int64(nullptr, 1), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_sql_params_add_double(nullptr, 1.5), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_sql_params_add_text(nullptr, "a", 1), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_sql_params_add_blob(nullptr, nullptr, 0), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_sql_params_count(nullptr), 0u);
  ztm_sql_params_free(nullptr);

  ztm_sql_params* params = ztm_sql_params_new();
  ASSERT_NE(params, nullptr);
  EXPECT_EQ(ztm_sql_params_add_text(params, nullptr, 3), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(LastMessage(), "text is NULL");
  EXPECT_EQ(ztm_sql_params_add_blob(params, nullptr, 3), ZTM_ERR_INVALID_ARGUMENT);
  // A length past the bound is refused before the pointer is read.
  const char one = 'x';
  EXPECT_EQ(ztm_sql_params_add_text(params, &one, ZTM_SQL_MAX_VALUE_BYTES + 1ull),
            ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_sql_params_add_blob(params, reinterpret_cast<const uint8_t*>(&one),
                                    ZTM_SQL_MAX_VALUE_BYTES + 1ull),
            ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_sql_params_add_double(params, std::nan("")), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_sql_params_count(params), 0u);  // failures add nothing

  // Empty text and blob are values (not SQL NULL); NULL is allowed with length 0.
  EXPECT_EQ(ztm_sql_params_add_text(params, nullptr, 0), ZTM_OK);
  EXPECT_EQ(ztm_sql_params_add_blob(params, nullptr, 0), ZTM_OK);
  EXPECT_EQ(ztm_sql_params_add_double(params, std::numeric_limits<double>::infinity()), ZTM_OK);
  while (ztm_sql_params_count(params) < ZTM_SQL_MAX_PARAMETERS) {
    ASSERT_EQ(ztm_sql_params_add_int64(params, 7), ZTM_OK);
  }
  EXPECT_EQ(ztm_sql_params_add_null(params), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(LastMessage(), "more than 999 SQL parameters");
  EXPECT_EQ(ztm_sql_params_count(params), static_cast<size_t>(ZTM_SQL_MAX_PARAMETERS));
  ztm_sql_params_free(params);
}

class ZtmCApiDatabase : public ::testing::Test {
 protected:
  void SetUp() override {
    ztm_options* options = ValidOptions(directory_.Sub("app"));
    ASSERT_EQ(ztm_client_open(options, &client_), ZTM_OK) << LastMessage();
    ztm_options_free(options);
    ASSERT_EQ(ztm_exec(client_,
                       "CREATE TABLE notes (id INTEGER, score REAL, title TEXT, data BLOB, "
                       "extra)",
                       nullptr),
              ZTM_OK)
        << LastMessage();
  }
  void TearDown() override { ztm_client_free(client_); }

  // Inserts one row of each storage class and returns the query's rows.
  ztm_rows* InsertAndQuery() {
    ztm_sql_params* params = ztm_sql_params_new();
    EXPECT_EQ(ztm_sql_params_add_int64(params, -9007199254740993LL), ZTM_OK);
    EXPECT_EQ(ztm_sql_params_add_double(params, 2.5), ZTM_OK);
    EXPECT_EQ(ztm_sql_params_add_text(params, kTitle, sizeof(kTitle) - 1), ZTM_OK);
    EXPECT_EQ(ztm_sql_params_add_blob(params, kData, sizeof(kData)), ZTM_OK);
    EXPECT_EQ(ztm_sql_params_add_null(params), ZTM_OK);
    EXPECT_EQ(ztm_exec(client_, "INSERT INTO notes VALUES (?, ?, ?, ?, ?)", params), ZTM_OK)
        << LastMessage();
    ztm_sql_params_free(params);
    ztm_rows* rows = nullptr;
    EXPECT_EQ(ztm_query(client_, "SELECT id, score, title, data, extra FROM notes", nullptr, &rows),
              ZTM_OK)
        << LastMessage();
    return rows;
  }

  static constexpr char kTitle[] = "caf\xc3\xa9 with a \0 inside";  // UTF-8, an embedded NUL
  static constexpr uint8_t kData[] = {0x00, 0xff, 0x10, 0x80};
  TemporaryDirectory directory_;
  ztm_client* client_ = nullptr;
};

TEST_F(ZtmCApiDatabase, ValuesComeBackWithTheirTypes) {
  ztm_rows* rows = InsertAndQuery();
  ASSERT_NE(rows, nullptr);
  ASSERT_EQ(ztm_rows_count(rows), 1u);
  ASSERT_EQ(ztm_rows_columns(rows), 5u);
  const ztm_sql_type expected[] = {ZTM_SQL_INT64, ZTM_SQL_DOUBLE, ZTM_SQL_TEXT, ZTM_SQL_BLOB,
                                   ZTM_SQL_NULL};
  for (size_t column = 0; column < 5; ++column) {
    ztm_sql_type type = ZTM_SQL_NULL;
    ASSERT_EQ(ztm_rows_type(rows, 0, column, &type), ZTM_OK);
    EXPECT_EQ(type, expected[column]) << column;
  }
  int64_t integer = 0;
  ASSERT_EQ(ztm_rows_int64(rows, 0, 0, &integer), ZTM_OK);
  EXPECT_EQ(integer, -9007199254740993LL);  // not rounded through a double
  double real = 0;
  ASSERT_EQ(ztm_rows_double(rows, 0, 1, &real), ZTM_OK);
  EXPECT_EQ(real, 2.5);

  // Text through the two-call pattern: a buffer one byte short is left untouched.
  size_t needed = 0;
  EXPECT_EQ(ztm_rows_text(rows, 0, 2, nullptr, 0, &needed), ZTM_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(needed, sizeof(kTitle));  // the text and a NUL
  EXPECT_STREQ(ztm_last_error_code(), "buffer_too_small");
  std::string text(needed, '#');
  EXPECT_EQ(ztm_rows_text(rows, 0, 2, text.data(), needed - 1, &needed), ZTM_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(text, std::string(needed, '#'));
  ASSERT_EQ(ztm_rows_text(rows, 0, 2, text.data(), text.size(), &needed), ZTM_OK);
  EXPECT_EQ(text, std::string(kTitle, sizeof(kTitle)));
  EXPECT_STREQ(ztm_last_error_code(), "");

  // A blob: exact length, no NUL.
  EXPECT_EQ(ztm_rows_blob(rows, 0, 3, nullptr, 0, &needed), ZTM_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(needed, sizeof(kData));
  uint8_t blob[sizeof(kData) + 2] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
  EXPECT_EQ(ztm_rows_blob(rows, 0, 3, blob, sizeof(kData) - 1, &needed), ZTM_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(blob[0], 0xaa);
  ASSERT_EQ(ztm_rows_blob(rows, 0, 3, blob, sizeof(blob), &needed), ZTM_OK);
  EXPECT_EQ(needed, sizeof(kData));
  EXPECT_EQ(std::memcmp(blob, kData, sizeof(kData)), 0);
  EXPECT_EQ(blob[sizeof(kData)], 0xaa);  // nothing written past the value
  EXPECT_EQ(ztm_rows_blob(rows, 0, 3, nullptr, 4, &needed), ZTM_ERR_INVALID_ARGUMENT);
  ztm_rows_free(rows);
}

TEST_F(ZtmCApiDatabase, AccessorsRefuseOtherTypesOutOfRangeCellsAndNulls) {
  ztm_rows* rows = InsertAndQuery();
  ASSERT_NE(rows, nullptr);
  int64_t integer = 42;
  double real = 4.2;
  size_t needed = 0;
  char text[64];
  uint8_t blob[64];
  ztm_sql_type type = ZTM_SQL_BLOB;
  // Nothing is converted, not even NULL to 0.
  EXPECT_EQ(ztm_rows_int64(rows, 0, 1, &integer), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(LastMessage(), "the value at row 0, column 1 is REAL, not INTEGER");
  EXPECT_EQ(ztm_rows_int64(rows, 0, 4, &integer), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(integer, 42);
  EXPECT_EQ(ztm_rows_double(rows, 0, 0, &real), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(real, 4.2);
  EXPECT_EQ(ztm_rows_text(rows, 0, 3, text, sizeof(text), &needed), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_rows_blob(rows, 0, 2, blob, sizeof(blob), &needed), ZTM_ERR_INVALID_ARGUMENT);

  // Out of range: ZTM_ERR_NOT_FOUND, as for a missing response header.
  EXPECT_EQ(ztm_rows_type(rows, 1, 0, &type), ZTM_ERR_NOT_FOUND);
  EXPECT_STREQ(ztm_last_error_code(), "not_found");
  EXPECT_EQ(LastMessage(), "row 1 is out of range: the result has 1 rows");
  EXPECT_EQ(ztm_rows_type(rows, 0, 5, &type), ZTM_ERR_NOT_FOUND);
  EXPECT_EQ(LastMessage(), "column 5 is out of range: the rows have 5 columns");
  EXPECT_EQ(type, ZTM_SQL_BLOB);
  EXPECT_EQ(ztm_rows_int64(rows, SIZE_MAX, 0, &integer), ZTM_ERR_NOT_FOUND);
  EXPECT_EQ(ztm_rows_double(rows, 0, SIZE_MAX, &real), ZTM_ERR_NOT_FOUND);
  EXPECT_EQ(ztm_rows_text(rows, 1, 2, text, sizeof(text), &needed), ZTM_ERR_NOT_FOUND);
  EXPECT_EQ(ztm_rows_blob(rows, 0, 9, blob, sizeof(blob), &needed), ZTM_ERR_NOT_FOUND);

  EXPECT_EQ(ztm_rows_type(rows, 0, 0, nullptr), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_rows_int64(rows, 0, 0, nullptr), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_rows_double(rows, 0, 1, nullptr), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_rows_type(nullptr, 0, 0, &type), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_rows_int64(nullptr, 0, 0, &integer), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_rows_double(nullptr, 0, 0, &real), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_rows_text(nullptr, 0, 0, text, sizeof(text), &needed), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_rows_blob(nullptr, 0, 0, blob, sizeof(blob), &needed), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_rows_count(nullptr), 0u);
  EXPECT_EQ(ztm_rows_columns(nullptr), 0u);
  ztm_rows_free(nullptr);
  ztm_rows_free(rows);
}

TEST_F(ZtmCApiDatabase, FailuresAreStorageErrorsAndLeaveNoRows) {
  ztm_rows* rows = reinterpret_cast<ztm_rows*>(0x1);  // must be overwritten with NULL
  EXPECT_EQ(ztm_query(client_, "SELEKT 1", nullptr, &rows), ZTM_ERR_STORAGE);
  EXPECT_EQ(rows, nullptr);
  EXPECT_STREQ(ztm_last_error_code(), "database_query_failed");
  // More parameters than placeholders.
  ztm_sql_params* params = ztm_sql_params_new();
  ASSERT_EQ(ztm_sql_params_add_int64(params, 1), ZTM_OK);
  EXPECT_EQ(ztm_exec(client_, "DELETE FROM notes", params), ZTM_ERR_STORAGE);
  EXPECT_STREQ(ztm_last_error_code(), "database_query_failed");
  // Two statements in one call: the second could be an injection riding on the first.
  EXPECT_EQ(ztm_exec(client_, "DELETE FROM notes; DROP TABLE notes", nullptr), ZTM_ERR_STORAGE);

  EXPECT_EQ(ztm_exec(nullptr, "SELECT 1", nullptr), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_exec(client_, nullptr, nullptr), ZTM_ERR_INVALID_ARGUMENT);
  rows = reinterpret_cast<ztm_rows*>(0x1);
  EXPECT_EQ(ztm_query(nullptr, "SELECT 1", nullptr, &rows), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(rows, nullptr);
  EXPECT_EQ(ztm_query(client_, nullptr, nullptr, &rows), ZTM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ztm_query(client_, "SELECT 1", nullptr, nullptr), ZTM_ERR_INVALID_ARGUMENT);
  ztm_sql_params_free(params);
}

TEST_F(ZtmCApiDatabase, ParamsAreReusableAndAnEmptyResultHasNoColumns) {
  ztm_sql_params* params = ztm_sql_params_new();
  ASSERT_EQ(ztm_sql_params_add_int64(params, 5), ZTM_OK);
  ASSERT_EQ(ztm_exec(client_, "INSERT INTO notes (id) VALUES (?)", params), ZTM_OK);
  ASSERT_EQ(ztm_exec(client_, "INSERT INTO notes (id) VALUES (?)", params), ZTM_OK);
  ztm_rows* rows = nullptr;
  ASSERT_EQ(ztm_query(client_, "SELECT count(*) FROM notes WHERE id = ?", params, &rows), ZTM_OK);
  int64_t count = 0;
  ASSERT_EQ(ztm_rows_int64(rows, 0, 0, &count), ZTM_OK);
  EXPECT_EQ(count, 2);
  ztm_rows_free(rows);

  ASSERT_EQ(ztm_query(client_, "SELECT id FROM notes WHERE id = 6", nullptr, &rows), ZTM_OK);
  EXPECT_EQ(ztm_rows_count(rows), 0u);
  EXPECT_EQ(ztm_rows_columns(rows), 0u);
  ztm_rows_free(rows);
  ztm_sql_params_free(params);
}

}  // namespace
}  // namespace ztm::c_api
