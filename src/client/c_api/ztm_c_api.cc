// libztm's C ABI (include/ztm/ztm.h): thin wrappers over ztm::Client that check every
// pointer, keep exceptions inside (every entry point runs in Guard), copy outputs into caller
// buffers, and map ztm::Code to the stable ztm_status values.
#include "ztm/ztm.h"

#include <openssl/crypto.h>

#include <cmath>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "client/c_api/callback_attestation_provider.h"
#include "client/c_api/callback_key_store.h"
#include "client/c_api/status_map.h"
#include "core/error.h"
#include "ztm/client.h"

struct ztm_options {
  ztm::ClientOptions options;
};

struct ztm_client {
  std::unique_ptr<ztm::Client> client;
};

struct ztm_response {
  ztm::ApiResponse response;
};

namespace ztm::c_api {
namespace {

// Overwrites the text and blob values of `values`: the database is encrypted because its
// contents matter, so the ABI's own copies do not linger in freed memory.
void WipeValues(std::vector<SqlValue>& values) noexcept {
  for (SqlValue& value : values) {
    if (auto* text = std::get_if<std::string>(&value)) {
      OPENSSL_cleanse(text->data(), text->size());
    } else if (auto* blob = std::get_if<Bytes>(&value)) {
      OPENSSL_cleanse(blob->data(), blob->size());
    }
  }
}

}  // namespace
}  // namespace ztm::c_api

struct ztm_sql_params {
  std::vector<ztm::SqlValue> values;
  ~ztm_sql_params() { ztm::c_api::WipeValues(values); }
};

struct ztm_rows {
  std::vector<ztm::SqlRow> rows;
  ~ztm_rows() {
    for (ztm::SqlRow& row : rows) ztm::c_api::WipeValues(row);
  }
};

namespace ztm::c_api {
namespace {

// An app's request carries a handful of extra headers; a count beyond this is a caller bug
// (say a byte length passed as the count), caught before walking arrays that short.
constexpr std::size_t kMaxRequestHeaders = 128;

// The bounds of ztm.h's parameter lists. SQLCipher 3.4.1 is SQLite 3.15, whose
// SQLITE_MAX_VARIABLE_NUMBER is 999: a statement cannot have more placeholders.
constexpr std::size_t kMaxSqlParameters = ZTM_SQL_MAX_PARAMETERS;
// SQLite's default SQLITE_MAX_LENGTH: a longer string or blob fails to bind (SQLITE_TOOBIG).
constexpr std::size_t kMaxSqlValueBytes = ZTM_SQL_MAX_VALUE_BYTES;

// The calling thread's last failure: a static code name and a message. Per thread, like
// errno, so that concurrent calls on one client never report each other's errors.
struct LastError {
  const char* code = "";
  std::string message;
};
thread_local LastError last_error;

void Record(const char* code, std::string_view message) noexcept {
  last_error.code = code;
  try {
    last_error.message.assign(message);
  } catch (...) {
    last_error.message.clear();  // out of memory: the code alone has to do
  }
}

ztm_status Succeed() noexcept {
  last_error.code = "";
  last_error.message.clear();
  return ZTM_OK;
}

ztm_status Fail(const Error& error) noexcept {
  Record(CodeName(error.code), error.message);
  return StatusOf(error.code);
}

ztm_status Fail(Code code, std::string_view message) noexcept {
  Record(CodeName(code), message);
  return StatusOf(code);
}

ztm_status FailNull(const char* argument) noexcept {
  Record(CodeName(Code::kInvalidArgument), std::string(argument) + " is NULL");
  return ZTM_ERR_INVALID_ARGUMENT;
}

// Runs an entry point's body; no exception leaves it.
template <typename Body>
ztm_status Guard(Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return Fail(Code::kInternal, "out of memory");
  } catch (const std::exception& e) {
    return Fail(Code::kInternal, std::string("unexpected exception: ") + e.what());
  } catch (...) {
    return Fail(Code::kInternal, "unexpected exception");
  }
}

// The two-call pattern: copies `size` bytes of `data` (plus a NUL when `terminate`) into
// `buffer` if they fit, else reports the size needed and writes nothing. Records nothing:
// callers decide (ztm_last_error_message must not overwrite the error it reports).
ztm_status CopyOut(const void* data, std::size_t size, bool terminate, void* buffer,
                   std::size_t capacity, std::size_t* needed) noexcept {
  if (buffer == nullptr && capacity != 0) return ZTM_ERR_INVALID_ARGUMENT;
  const std::size_t required = size + (terminate ? 1 : 0);
  if (needed != nullptr) *needed = required;
  if (capacity < required) return ZTM_ERR_BUFFER_TOO_SMALL;
  if (size != 0) std::memcpy(buffer, data, size);
  if (terminate) static_cast<char*>(buffer)[size] = '\0';
  return ZTM_OK;
}

// CopyOut for the entry points, recording the outcome.
ztm_status CopyOutRecorded(const void* data, std::size_t size, bool terminate, void* buffer,
                           std::size_t capacity, std::size_t* needed) noexcept {
  const ztm_status status = CopyOut(data, size, terminate, buffer, capacity, needed);
  switch (status) {
    case ZTM_OK:
      return Succeed();
    case ZTM_ERR_BUFFER_TOO_SMALL:
      Record("buffer_too_small", std::to_string(size + (terminate ? 1 : 0)) +
                                     " bytes needed, the buffer holds " + std::to_string(capacity));
      return status;
    default:
      Record(CodeName(Code::kInvalidArgument), "buffer is NULL but capacity is not 0");
      return status;
  }
}

ztm_status CopyString(std::string_view value, char* buffer, std::size_t capacity,
                      std::size_t* needed) noexcept {
  return CopyOutRecorded(value.data(), value.size(), /*terminate=*/true, buffer, capacity, needed);
}

// Appends `value` to `params` after checking the list's bound; the entry points check the
// value itself first.
ztm_status AddParameter(ztm_sql_params* params, SqlValue value) {
  if (params == nullptr) return FailNull("params");
  if (params->values.size() >= kMaxSqlParameters) {
    return Fail(Code::kInvalidArgument,
                "more than " + std::to_string(kMaxSqlParameters) + " SQL parameters");
  }
  params->values.push_back(std::move(value));
  return Succeed();
}

ztm_status FailValueTooLarge(std::size_t size) noexcept {
  return Fail(Code::kInvalidArgument, "an SQL value of " + std::to_string(size) +
                                          " bytes; at most " + std::to_string(kMaxSqlValueBytes));
}

const char* SqlTypeName(const SqlValue& value) noexcept {
  switch (value.index()) {
    case 0:
      return "NULL";
    case 1:
      return "INTEGER";
    case 2:
      return "REAL";
    case 3:
      return "TEXT";
    default:
      return "BLOB";
  }
}

// The value at (row, column), or nullptr after recording ZTM_ERR_NOT_FOUND.
const SqlValue* ValueAt(const ztm_rows& rows, std::size_t row, std::size_t column) {
  if (row >= rows.rows.size()) {
    Record("not_found", "row " + std::to_string(row) + " is out of range: the result has " +
                            std::to_string(rows.rows.size()) + " rows");
    return nullptr;
  }
  if (column >= rows.rows[row].size()) {
    Record("not_found", "column " + std::to_string(column) + " is out of range: the rows have " +
                            std::to_string(rows.rows[row].size()) + " columns");
    return nullptr;
  }
  return &rows.rows[row][column];
}

// The value at (row, column) if it holds a T; otherwise nullptr, with ZTM_ERR_NOT_FOUND or
// ZTM_ERR_INVALID_ARGUMENT (a value of another type) in *status.
template <typename T>
const T* TypedValueAt(const ztm_rows& rows, std::size_t row, std::size_t column, const char* wanted,
                      ztm_status* status) {
  const SqlValue* value = ValueAt(rows, row, column);
  if (value == nullptr) {
    *status = ZTM_ERR_NOT_FOUND;
    return nullptr;
  }
  const T* typed = std::get_if<T>(value);
  if (typed == nullptr) {
    *status = Fail(Code::kInvalidArgument, "the value at row " + std::to_string(row) + ", column " +
                                               std::to_string(column) + " is " +
                                               SqlTypeName(*value) + ", not " + wanted);
  }
  return typed;
}

// The parameters of an Exec or Query: a copy, since the list stays the caller's.
std::vector<SqlValue> ParametersOf(const ztm_sql_params* params) {
  return params == nullptr ? std::vector<SqlValue>() : params->values;
}

}  // namespace
}  // namespace ztm::c_api

using ztm::Code;
using ztm::c_api::FailNull;
using ztm::c_api::Guard;
using ztm::c_api::Succeed;

extern "C" {

const char* ztm_status_name(ztm_status status) {
  switch (status) {
    case ZTM_OK:
      return "ZTM_OK";
    case ZTM_ERR_INVALID_ARGUMENT:
      return "ZTM_ERR_INVALID_ARGUMENT";
    case ZTM_ERR_BUFFER_TOO_SMALL:
      return "ZTM_ERR_BUFFER_TOO_SMALL";
    case ZTM_ERR_NOT_REGISTERED:
      return "ZTM_ERR_NOT_REGISTERED";
    case ZTM_ERR_NOT_SIGNED_IN:
      return "ZTM_ERR_NOT_SIGNED_IN";
    case ZTM_ERR_SESSION_ENDED:
      return "ZTM_ERR_SESSION_ENDED";
    case ZTM_ERR_GATEWAY_REFUSED:
      return "ZTM_ERR_GATEWAY_REFUSED";
    case ZTM_ERR_PIN_VALIDATION_FAILED:
      return "ZTM_ERR_PIN_VALIDATION_FAILED";
    case ZTM_ERR_TLS_FAILED:
      return "ZTM_ERR_TLS_FAILED";
    case ZTM_ERR_NETWORK:
      return "ZTM_ERR_NETWORK";
    case ZTM_ERR_TIMEOUT:
      return "ZTM_ERR_TIMEOUT";
    case ZTM_ERR_STORAGE:
      return "ZTM_ERR_STORAGE";
    case ZTM_ERR_USER_PRESENCE_REQUIRED:
      return "ZTM_ERR_USER_PRESENCE_REQUIRED";
    case ZTM_ERR_INTERNAL:
      return "ZTM_ERR_INTERNAL";
    case ZTM_ERR_NOT_FOUND:
      return "ZTM_ERR_NOT_FOUND";
  }
  return "ZTM_ERR_UNKNOWN";
}

const char* ztm_last_error_code(void) { return ztm::c_api::last_error.code; }

ztm_status ztm_last_error_message(char* buffer, size_t capacity, size_t* needed) {
  const std::string& message = ztm::c_api::last_error.message;
  return ztm::c_api::CopyOut(message.data(), message.size(), /*terminate=*/true, buffer, capacity,
                             needed);
}

ztm_options* ztm_options_new(void) {
  try {
    return new ztm_options();
  } catch (...) {
    return nullptr;
  }
}

void ztm_options_free(ztm_options* options) {
  delete options;  // ~Secret wipes the passphrase; ~shared_ptr may release the keystore
}

ztm_status ztm_options_set_gateway_url(ztm_options* options, const char* url) {
  return Guard([&] {
    if (options == nullptr) return FailNull("options");
    if (url == nullptr) return FailNull("url");
    options->options.gateway_url = url;
    return Succeed();
  });
}

ztm_status ztm_options_set_data_directory(ztm_options* options, const char* path) {
  return Guard([&] {
    if (options == nullptr) return FailNull("options");
    if (path == nullptr) return FailNull("path");
    options->options.data_directory = path;
    return Succeed();
  });
}

ztm_status ztm_options_set_ca_file(ztm_options* options, const char* path) {
  return Guard([&] {
    if (options == nullptr) return FailNull("options");
    options->options.ca_file = path == nullptr ? "" : path;
    return Succeed();
  });
}

ztm_status ztm_options_set_passphrase(ztm_options* options, const uint8_t* passphrase,
                                      size_t passphrase_len) {
  return Guard([&] {
    if (options == nullptr) return FailNull("options");
    if (passphrase == nullptr && passphrase_len != 0) return FailNull("passphrase");
    // Assigning wipes the previous passphrase (Secret's operator=).
    options->options.passphrase = passphrase_len == 0
                                      ? ztm::Secret()
                                      : ztm::Secret(ztm::ByteView(passphrase, passphrase_len));
    return Succeed();
  });
}

ztm_status ztm_options_set_app_identity(ztm_options* options, const char* app_id,
                                        const char* app_version) {
  return Guard([&] {
    if (options == nullptr) return FailNull("options");
    options->options.app_id = app_id == nullptr ? "" : app_id;
    options->options.app_version = app_version == nullptr ? "" : app_version;
    return Succeed();
  });
}

ztm_status ztm_options_add_pin(ztm_options* options, const char* host, const char* const* pins,
                               size_t pin_count, int64_t expires, int include_subdomains,
                               int report_only, const char* report_uri) {
  return Guard([&] {
    if (options == nullptr) return FailNull("options");
    if (host == nullptr) return FailNull("host");
    if (pins == nullptr && pin_count != 0) return FailNull("pins");
    if (expires < 0) {
      return ztm::c_api::Fail(Code::kInvalidArgument, "expires is a unix time or 0 for never");
    }
    if ((include_subdomains != 0 && include_subdomains != 1) ||
        (report_only != 0 && report_only != 1)) {
      return ztm::c_api::Fail(Code::kInvalidArgument,
                              "include_subdomains and report_only are 0 or 1");
    }
    ztm::PinConfig pin_set;
    pin_set.host = host;
    for (size_t i = 0; i < pin_count; ++i) {
      if (pins[i] == nullptr) return FailNull("a pin");
      pin_set.pins.emplace_back(pins[i]);
    }
    if (expires != 0) pin_set.expires = expires;
    pin_set.include_subdomains = include_subdomains == 1;
    pin_set.report_only = report_only == 1;
    pin_set.report_uri = report_uri == nullptr ? "" : report_uri;
    options->options.pins.push_back(std::move(pin_set));
    return Succeed();
  });
}

ztm_status ztm_options_set_keystore(ztm_options* options, const ztm_keystore_callbacks* callbacks) {
  return Guard([&] {
    if (options == nullptr) return FailNull("options");
    if (callbacks == nullptr) return FailNull("callbacks");
    auto store = ztm::client::CallbackKeyStore::Create(*callbacks);
    if (!store.ok()) return ztm::c_api::Fail(store.error());
    // From here the store owns ctx; the shared_ptr conversion cannot leak it (a failed
    // allocation deletes the store, which releases ctx, and Guard reports it).
    options->options.key_store = std::shared_ptr<ztm::client::KeyStore>(std::move(store).value());
    return Succeed();
  });
}

ztm_status ztm_attestation_set(ztm_attestation_out* out, const char* format, const char* evidence,
                               size_t evidence_len) {
  return Guard([&] {
    if (out == nullptr) return FailNull("out");
    if (format == nullptr) return FailNull("format");
    if (evidence == nullptr) return FailNull("evidence");
    if (out->set) {
      return ztm::c_api::Fail(Code::kInvalidArgument, "the attestation evidence is set already");
    }
    const std::string_view format_text(format);
    if (format_text.empty() || format_text.size() > ztm::client::kMaxAttestationFormatBytes) {
      return ztm::c_api::Fail(Code::kInvalidArgument,
                              "the attestation format has 1 to " +
                                  std::to_string(ztm::client::kMaxAttestationFormatBytes) +
                                  " characters");
    }
    for (char c : format_text) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        return ztm::c_api::Fail(Code::kInvalidArgument,
                                "the attestation format is made of [a-z0-9-]");
      }
    }
    if (evidence_len == 0 || evidence_len > ztm::client::kMaxAttestationEvidenceBytes) {
      return ztm::c_api::Fail(Code::kInvalidArgument,
                              "the attestation evidence has 1 to " +
                                  std::to_string(ztm::client::kMaxAttestationEvidenceBytes) +
                                  " bytes");
    }
    const std::string_view evidence_text(evidence, evidence_len);
    for (char c : evidence_text) {
      // Base64 and JWS are printable ASCII; anything else is not an encoding the gateway reads.
      if (c < 0x21 || c > 0x7e) {
        return ztm::c_api::Fail(Code::kInvalidArgument,
                                "the attestation evidence is not printable ASCII");
      }
    }
    out->format.assign(format_text);
    out->evidence.assign(evidence_text);
    out->set = true;
    return Succeed();
  });
}

ztm_status ztm_options_set_attestation_provider(ztm_options* options,
                                                ztm_attestation_callback callback, void* ctx,
                                                void (*release)(void* ctx)) {
  return Guard([&] {
    if (options == nullptr) return FailNull("options");
    if (callback == nullptr) return FailNull("callback");
    // The move assignment does not throw; it destroys a previous provider, releasing its ctx.
    options->options.attestation_provider =
        ztm::client::MakeCallbackAttestationProvider(callback, ctx, release);
    return Succeed();
  });
}

ztm_status ztm_client_open(const ztm_options* options, ztm_client** out) {
  if (out != nullptr) *out = nullptr;
  return Guard([&] {
    if (options == nullptr) return FailNull("options");
    if (out == nullptr) return FailNull("out");
    // A copy: the options stay the caller's. Its passphrase is a Secret, wiped by Open.
    auto client = ztm::Client::Open(options->options);
    if (!client.ok()) return ztm::c_api::Fail(client.error());
    *out = new ztm_client{std::move(client).value()};
    return Succeed();
  });
}

void ztm_client_free(ztm_client* client) {
  try {
    delete client;
  } catch (...) {
    // ~Client does not throw; a destructor that did would have nowhere to report.
  }
}

ztm_status ztm_register(ztm_client* client) {
  return Guard([&] {
    if (client == nullptr) return FailNull("client");
    ztm::Status registered = client->client->Register();
    if (!registered.ok()) return ztm::c_api::Fail(registered.error());
    return Succeed();
  });
}

int ztm_is_registered(const ztm_client* client) {
  try {
    return client != nullptr && client->client->registered() ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

ztm_status ztm_device_id(const ztm_client* client, char* buffer, size_t capacity, size_t* needed) {
  return Guard([&] {
    if (client == nullptr) return FailNull("client");
    const std::string device_id = client->client->device_id();
    if (device_id.empty()) {
      return ztm::c_api::Fail(Code::kNotRegistered, "the device is not registered");
    }
    return ztm::c_api::CopyString(device_id, buffer, capacity, needed);
  });
}

ztm_status ztm_sign_in(ztm_client* client, const char* username, const char* password) {
  return Guard([&] {
    if (client == nullptr) return FailNull("client");
    if (username == nullptr) return FailNull("username");
    if (password == nullptr) return FailNull("password");
    ztm::Status signed_in = client->client->SignIn(username, password);
    if (!signed_in.ok()) return ztm::c_api::Fail(signed_in.error());
    return Succeed();
  });
}

int ztm_is_signed_in(const ztm_client* client) {
  try {
    return client != nullptr && client->client->signed_in() ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

ztm_status ztm_call(ztm_client* client, const char* method, const char* path, const uint8_t* body,
                    size_t body_len, const char* const* header_names,
                    const char* const* header_values, size_t header_count, ztm_response** out) {
  if (out != nullptr) *out = nullptr;
  return Guard([&] {
    if (client == nullptr) return FailNull("client");
    if (method == nullptr) return FailNull("method");
    if (path == nullptr) return FailNull("path");
    if (body == nullptr && body_len != 0) return FailNull("body");
    if (out == nullptr) return FailNull("out");
    if (header_count > ztm::c_api::kMaxRequestHeaders) {
      return ztm::c_api::Fail(
          Code::kInvalidArgument,
          "more than " + std::to_string(ztm::c_api::kMaxRequestHeaders) + " request headers");
    }
    if (header_count != 0 && (header_names == nullptr || header_values == nullptr)) {
      return FailNull("header_names or header_values");
    }
    std::vector<std::pair<std::string, std::string>> headers;
    headers.reserve(header_count);
    for (size_t i = 0; i < header_count; ++i) {
      if (header_names[i] == nullptr || header_values[i] == nullptr) {
        return FailNull("a header name or value");
      }
      headers.emplace_back(header_names[i], header_values[i]);
    }
    const std::string_view body_text =
        body_len == 0 ? std::string_view()
                      : std::string_view(reinterpret_cast<const char*>(body), body_len);
    auto response = client->client->Call(method, path, body_text, std::move(headers));
    if (!response.ok()) return ztm::c_api::Fail(response.error());
    *out = new ztm_response{std::move(response).value()};
    return Succeed();
  });
}

int ztm_response_status(const ztm_response* response) {
  return response == nullptr ? 0 : response->response.status;
}

ztm_status ztm_response_header(const ztm_response* response, const char* name, char* buffer,
                               size_t capacity, size_t* needed) {
  return Guard([&] {
    if (response == nullptr) return FailNull("response");
    if (name == nullptr) return FailNull("name");
    std::string lowercase(name);
    for (char& c : lowercase) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    std::optional<std::string> value = response->response.Header(lowercase);
    if (!value.has_value()) {
      ztm::c_api::Record("not_found", "the response has no header " + lowercase);
      return ZTM_ERR_NOT_FOUND;
    }
    return ztm::c_api::CopyString(*value, buffer, capacity, needed);
  });
}

ztm_status ztm_response_body(const ztm_response* response, uint8_t* buffer, size_t capacity,
                             size_t* needed) {
  return Guard([&] {
    if (response == nullptr) return FailNull("response");
    const std::string& body = response->response.body;
    return ztm::c_api::CopyOutRecorded(body.data(), body.size(), /*terminate=*/false, buffer,
                                       capacity, needed);
  });
}

void ztm_response_free(ztm_response* response) { delete response; }

ztm_status ztm_set_session_ended_callback(ztm_client* client, ztm_session_ended_callback callback,
                                          void* ctx) {
  return Guard([&] {
    if (client == nullptr) return FailNull("client");
    if (callback == nullptr) {
      client->client->OnSessionEnded(nullptr);
      return Succeed();
    }
    client->client->OnSessionEnded([callback, ctx](const ztm::Error& reason) {
      try {
        callback(ctx, ztm::c_api::StatusOf(reason.code), reason.message.c_str());
      } catch (...) {
        // The app's callback is C; one that throws anyway must not unwind through libztm.
      }
    });
    return Succeed();
  });
}

ztm_status ztm_logout(ztm_client* client) {
  return Guard([&] {
    if (client == nullptr) return FailNull("client");
    ztm::Status out = client->client->Logout();
    if (!out.ok()) return ztm::c_api::Fail(out.error());
    return Succeed();
  });
}

ztm_sql_params* ztm_sql_params_new(void) {
  try {
    return new ztm_sql_params();
  } catch (...) {
    return nullptr;
  }
}

void ztm_sql_params_free(ztm_sql_params* params) { delete params; }

size_t ztm_sql_params_count(const ztm_sql_params* params) {
  return params == nullptr ? 0 : params->values.size();
}

ztm_status ztm_sql_params_add_null(ztm_sql_params* params) {
  return Guard([&] { return ztm::c_api::AddParameter(params, nullptr); });
}

ztm_status ztm_sql_params_add_int64(ztm_sql_params* params, int64_t value) {
  return Guard([&] { return ztm::c_api::AddParameter(params, std::int64_t{value}); });
}

ztm_status ztm_sql_params_add_double(ztm_sql_params* params, double value) {
  return Guard([&] {
    if (params == nullptr) return FailNull("params");
    // SQLite binds NaN as NULL: the value would silently change type.
    if (std::isnan(value)) return ztm::c_api::Fail(Code::kInvalidArgument, "an SQL value is NaN");
    return ztm::c_api::AddParameter(params, value);
  });
}

ztm_status ztm_sql_params_add_text(ztm_sql_params* params, const char* text, size_t text_len) {
  return Guard([&] {
    if (params == nullptr) return FailNull("params");
    if (text == nullptr && text_len != 0) return FailNull("text");
    if (text_len > ztm::c_api::kMaxSqlValueBytes) {
      return ztm::c_api::FailValueTooLarge(text_len);
    }
    return ztm::c_api::AddParameter(params,
                                    text_len == 0 ? std::string() : std::string(text, text_len));
  });
}

ztm_status ztm_sql_params_add_blob(ztm_sql_params* params, const uint8_t* blob, size_t blob_len) {
  return Guard([&] {
    if (params == nullptr) return FailNull("params");
    if (blob == nullptr && blob_len != 0) return FailNull("blob");
    if (blob_len > ztm::c_api::kMaxSqlValueBytes) return ztm::c_api::FailValueTooLarge(blob_len);
    return ztm::c_api::AddParameter(
        params, blob_len == 0 ? ztm::Bytes() : ztm::Bytes(blob, blob + blob_len));
  });
}

ztm_status ztm_exec(ztm_client* client, const char* sql, const ztm_sql_params* params) {
  return Guard([&] {
    if (client == nullptr) return FailNull("client");
    if (sql == nullptr) return FailNull("sql");
    ztm::Status done = client->client->Exec(sql, ztm::c_api::ParametersOf(params));
    if (!done.ok()) return ztm::c_api::Fail(done.error());
    return Succeed();
  });
}

ztm_status ztm_query(ztm_client* client, const char* sql, const ztm_sql_params* params,
                     ztm_rows** out) {
  if (out != nullptr) *out = nullptr;
  return Guard([&] {
    if (client == nullptr) return FailNull("client");
    if (sql == nullptr) return FailNull("sql");
    if (out == nullptr) return FailNull("out");
    auto rows = client->client->Query(sql, ztm::c_api::ParametersOf(params));
    if (!rows.ok()) return ztm::c_api::Fail(rows.error());
    auto result = std::make_unique<ztm_rows>();
    result->rows = std::move(rows).value();
    *out = result.release();
    return Succeed();
  });
}

size_t ztm_rows_count(const ztm_rows* rows) { return rows == nullptr ? 0 : rows->rows.size(); }

size_t ztm_rows_columns(const ztm_rows* rows) {
  return rows == nullptr || rows->rows.empty() ? 0 : rows->rows.front().size();
}

ztm_status ztm_rows_type(const ztm_rows* rows, size_t row, size_t column, ztm_sql_type* type) {
  return Guard([&] {
    if (rows == nullptr) return FailNull("rows");
    if (type == nullptr) return FailNull("type");
    const ztm::SqlValue* value = ztm::c_api::ValueAt(*rows, row, column);
    if (value == nullptr) return ZTM_ERR_NOT_FOUND;
    // The variant's alternatives are in ztm_sql_type's order (ztm/sql.h).
    static_assert(
        std::is_same_v<std::variant_alternative_t<ZTM_SQL_NULL, ztm::SqlValue>, std::nullptr_t> &&
        std::is_same_v<std::variant_alternative_t<ZTM_SQL_INT64, ztm::SqlValue>, std::int64_t> &&
        std::is_same_v<std::variant_alternative_t<ZTM_SQL_DOUBLE, ztm::SqlValue>, double> &&
        std::is_same_v<std::variant_alternative_t<ZTM_SQL_TEXT, ztm::SqlValue>, std::string> &&
        std::is_same_v<std::variant_alternative_t<ZTM_SQL_BLOB, ztm::SqlValue>, ztm::Bytes>);
    *type = static_cast<ztm_sql_type>(value->index());
    return Succeed();
  });
}

ztm_status ztm_rows_int64(const ztm_rows* rows, size_t row, size_t column, int64_t* value) {
  return Guard([&] {
    if (rows == nullptr) return FailNull("rows");
    if (value == nullptr) return FailNull("value");
    ztm_status status = ZTM_OK;
    const auto* integer =
        ztm::c_api::TypedValueAt<std::int64_t>(*rows, row, column, "INTEGER", &status);
    if (integer == nullptr) return status;
    *value = *integer;
    return Succeed();
  });
}

ztm_status ztm_rows_double(const ztm_rows* rows, size_t row, size_t column, double* value) {
  return Guard([&] {
    if (rows == nullptr) return FailNull("rows");
    if (value == nullptr) return FailNull("value");
    ztm_status status = ZTM_OK;
    const auto* real = ztm::c_api::TypedValueAt<double>(*rows, row, column, "REAL", &status);
    if (real == nullptr) return status;
    *value = *real;
    return Succeed();
  });
}

ztm_status ztm_rows_text(const ztm_rows* rows, size_t row, size_t column, char* buffer,
                         size_t capacity, size_t* needed) {
  return Guard([&] {
    if (rows == nullptr) return FailNull("rows");
    ztm_status status = ZTM_OK;
    const auto* text = ztm::c_api::TypedValueAt<std::string>(*rows, row, column, "TEXT", &status);
    if (text == nullptr) return status;
    return ztm::c_api::CopyString(*text, buffer, capacity, needed);
  });
}

ztm_status ztm_rows_blob(const ztm_rows* rows, size_t row, size_t column, uint8_t* buffer,
                         size_t capacity, size_t* needed) {
  return Guard([&] {
    if (rows == nullptr) return FailNull("rows");
    ztm_status status = ZTM_OK;
    const auto* blob = ztm::c_api::TypedValueAt<ztm::Bytes>(*rows, row, column, "BLOB", &status);
    if (blob == nullptr) return status;
    return ztm::c_api::CopyOutRecorded(blob->data(), blob->size(), /*terminate=*/false, buffer,
                                       capacity, needed);
  });
}

void ztm_rows_free(ztm_rows* rows) { delete rows; }

}  // extern "C"
