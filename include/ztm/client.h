// libztm's C++ API: one Client object per app that keeps the device's keys and secrets
// encrypted at rest, talks only to the real gateway (certificate pinning), and makes every API
// call carry proof that it comes from this device and this session (DPoP, Content-Digest and
// an RFC 9421 signature by a non-exportable device key, behind a short-lived access token that
// is refreshed on its own).
//
//   ztm::ClientOptions options;
//   options.gateway_url = "https://api.example.com";
//   options.data_directory = app_data + "/ztm";
//   options.pins = {{"api.example.com", {"sha256/...live...", "sha256/...backup..."}}};
//   options.passphrase = ...;          // or the kernel keyring / a platform KeyStore
//   auto client = ztm::Client::Open(std::move(options));
//   client->Register();                // once per install
//   client->SignIn(user, password);
//   auto orders = client->Call("GET", "/api/orders");
//   client->Logout();                  // revokes and wipes
//
// Errors are values (ztm::Result / ztm::Status, see ztm/error.h); nothing throws.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ztm/bytes.h"
#include "ztm/error.h"
#include "ztm/sql.h"

namespace ztm {

namespace client {
class EncryptedDatabase;
class KeyStore;
}  // namespace client

// One host's pinned keys (SPKI SHA-256, "sha256/<base64>"). At least two pins: the live key
// and a backup key kept offline, so a key rotation does not lock the app out.
struct PinConfig {
  std::string host;
  std::vector<std::string> pins;
  std::optional<std::int64_t> expires;  // unix seconds; past it the pins are not enforced
  bool include_subdomains = false;
  bool report_only = false;  // report failures but let the connection proceed
  std::string report_uri;    // https URL receiving pin failure reports; empty: none sent
};

// Evidence that the device key lives in genuine hardware on a genuine app: what a platform
// attestation API returns (App Attest, Android Key Attestation, Play Integrity), in the form
// the gateway's registration takes (docs/protocol.md).
struct AttestationEvidence {
  std::string format;    // e.g. "apple-appattest", "android-key", "play-integrity"
  std::string evidence;  // the format's encoding (base64 / JWS), as the gateway expects it
};

// Asked at registration with the gateway's single-use challenge and the device key's public
// JWK (JSON): returns the platform's evidence for them.
using AttestationProvider = std::function<Result<AttestationEvidence>(
    std::string_view challenge, std::string_view public_jwk_json)>;

struct ClientOptions {
  // The gateway's origin, e.g. "https://api.example.com" (https only, no path).
  std::string gateway_url;
  // Where the key store, secure store and encrypted database live (created 0700).
  std::string data_directory;
  // PEM trust anchors used instead of the system's (a private CA); empty: system trust.
  std::string ca_file;
  std::vector<PinConfig> pins;
  // Key protection in the software key store: the key-encryption key comes from this
  // passphrase (Argon2id) or, when it is empty, from the Linux kernel keyring. Ignored when
  // `key_store` is given.
  Secret passphrase;
  // A platform key store (Secure Enclave, Android Keystore) to hold the keys instead.
  std::shared_ptr<client::KeyStore> key_store;
  // Platform attestation at registration; empty: `software` attestation (the device key
  // signs the challenge), which the gateway accepts only where its configuration allows.
  AttestationProvider attestation_provider;
  // Identify the app in pin failure reports.
  std::string app_id;
  std::string app_version;
};

struct ApiResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
  std::string body;
  std::optional<std::string> Header(std::string_view lowercase_name) const;
};

class Client {
 public:
  // Opens (or creates) the client's state in options.data_directory. Fails with
  // kInvalidArgument (bad options), kPinSetInvalid, kKekInvalid (wrong passphrase),
  // kKeyStoreInsecure or kVaultCorrupt.
  static Result<std::unique_ptr<Client>> Open(ClientOptions options);
  ~Client();

  // Registers this device with the gateway (software attestation: the device key signs the
  // gateway's challenge). Does nothing if the device is registered already.
  Status Register();
  bool registered() const;
  // The gateway's id for this device, or "" before Register().
  std::string device_id() const;

  // Signs in with the gateway's own user store. Fails with kNotRegistered, kGatewayRefused
  // (wrong credentials: "invalid_grant"), or a transport error (kPinValidationFailed, ...).
  Status SignIn(std::string_view username, std::string_view password);
  bool signed_in() const;

  // Calls the protected API: `path` (with its query) on the gateway's origin, signed. The
  // access token is refreshed first when it is about to expire; concurrent calls share that
  // refresh. Any HTTP status is a response; errors are kNotSignedIn, kSessionEnded (the
  // gateway ended the session: sign in again) and transport failures.
  Result<ApiResponse> Call(std::string_view method, std::string_view path,
                           std::string_view body = {},
                           std::vector<std::pair<std::string, std::string>> headers = {});

  // The app's offline data, in an SQLCipher database (data_directory/app.db) under a random
  // 256-bit key kept in the secure store; opened at first use. One statement per call, its
  // ?-placeholders bound to `parameters` in order. Fail with kDatabaseQueryFailed (syntax,
  // constraint, parameter count), kDatabaseKeyInvalid / kDatabaseNotEncrypted (a database
  // that is not this client's), kInputTooLarge (Query beyond 10 000 rows: page with LIMIT).
  // Logout deletes the database and its key.
  Status Exec(std::string_view sql, std::vector<SqlValue> parameters = {});
  Result<std::vector<SqlRow>> Query(std::string_view sql, std::vector<SqlValue> parameters = {});

  // Told once when the gateway ends the session on its own (refresh token reuse detected,
  // revocation); the app should ask the user to sign in again.
  void OnSessionEnded(std::function<void(const Error& reason)> callback);

  // Ends the session at the gateway and wipes everything this client stored: tokens, the
  // secure store, the encrypted database and the device keys. The device must register again
  // afterwards. The local wipe happens even when the gateway cannot be reached (the error is
  // returned after it).
  Status Logout();

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

 private:
  struct State;
  explicit Client(std::unique_ptr<State> state);
  // Opens the database at first use; the caller holds State::database_mutex.
  Result<client::EncryptedDatabase*> OpenDatabase();
  std::unique_ptr<State> state_;
};

}  // namespace ztm
