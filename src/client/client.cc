// ztm::Client (include/ztm/client.h): assembles libztm's parts — the key store (or the app's
// platform one), the secure store, the pinned transport, the request signer and the token
// manager — and speaks the gateway's protocol (docs/protocol.md): challenge, registration with
// software attestation, token grants with DPoP, signed calls, logout.
#include "ztm/client.h"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <mutex>

#include <boost/json.hpp>

#include "client/keystore/file_key_store.h"
#include "client/keystore/kek_source.h"
#include "client/session/request_signer.h"
#include "client/session/token_manager.h"
#include "client/storage/encrypted_database.h"
#include "client/storage/secure_store.h"
#include "client/transport/https_transport.h"
#include "client/transport/pin_set.h"
#include "client/transport/secure_pin_report_store.h"
#include "core/clock.h"
#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "core/jose/jwk.h"
#include "core/jose/jws.h"
#include "core/json.h"
#include "core/text.h"

namespace ztm {
namespace {

using client::HttpRequest;
using client::HttpResponse;

constexpr char kDeviceKeyAlias[] = "ztm.device";
constexpr char kDeviceIdItem[] = "ztm.device-id";
// What the gateway's software attestation format expects (docs/protocol.md).
constexpr char kAttestationType[] = "ztm-attest+jwt";
// A DPoP nonce the gateway asks for is retried once; a second use_dpop_nonce is an error.
constexpr int kMaxNonceRetries = 1;
// The gateway's fields are short; anything longer is not its answer.
constexpr std::size_t kMaxDeviceIdBytes = 128;

std::string ToString(const Secret& secret) {
  return std::string(reinterpret_cast<const char*>(secret.view().data()), secret.view().size());
}

// The error member of an OAuth / gateway error body, or of WWW-Authenticate.
std::string GatewayError(const HttpResponse& response) {
  if (auto body = json::ParseObject(response.body); body.ok()) {
    if (const auto* error = body->if_contains("error"); error != nullptr && error->is_string()) {
      return std::string(error->get_string());
    }
  }
  if (auto challenge = response.Header("www-authenticate")) {
    const std::string key = "error=\"";
    if (std::size_t at = challenge->find(key); at != std::string::npos) {
      const std::size_t start = at + key.size();
      const std::size_t end = challenge->find('"', start);
      if (end != std::string::npos) return challenge->substr(start, end - start);
    }
  }
  return "http_" + std::to_string(response.status);
}

Error Refused(const HttpResponse& response, std::string_view what) {
  return Error{Code::kGatewayRefused, std::string(what) + ": the gateway answered " +
                                          std::to_string(response.status) + " " +
                                          ForMessage(GatewayError(response))};
}

Result<std::string> StringMember(const boost::json::object& object, std::string_view key,
                                 std::string_view what) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_string() || value->get_string().empty()) {
    return Error{Code::kGatewayProtocol,
                 std::string(what) + ": the answer has no \"" + std::string(key) + "\""};
  }
  return std::string(value->get_string());
}

// RFC 6749 §5.1 / RFC 9449 §5: a DPoP-bound token grant.
Result<client::TokenGrant> ParseGrant(const HttpResponse& response, const Clock& clock) {
  ZTM_ASSIGN_OR_RETURN(boost::json::object body, json::ParseObject(response.body));
  ZTM_ASSIGN_OR_RETURN(std::string access, StringMember(body, "access_token", "token"));
  ZTM_ASSIGN_OR_RETURN(std::string type, StringMember(body, "token_type", "token"));
  if (type != "DPoP") return Error{Code::kGatewayProtocol, "token: token_type is not DPoP"};
  const auto* expires_in = body.if_contains("expires_in");
  if (expires_in == nullptr || !expires_in->is_int64() || expires_in->get_int64() <= 0 ||
      expires_in->get_int64() > 24 * 3600) {
    return Error{Code::kGatewayProtocol, "token: expires_in is missing or out of range"};
  }
  client::TokenGrant grant;
  grant.access_token = Secret(AsBytes(access));
  grant.expires_at = clock.NowSeconds() + expires_in->get_int64();
  if (const auto* refresh = body.if_contains("refresh_token");
      refresh != nullptr && refresh->is_string()) {
    grant.refresh_token = Secret(AsBytes(std::string_view(refresh->get_string())));
  }
  return grant;
}

// The gateway's origin parsed once: "https://host[:port]" with nothing after it.
Result<std::string> CheckOrigin(const std::string& url) {
  constexpr std::string_view kScheme = "https://";
  if (!url.starts_with(kScheme) || url.size() == kScheme.size()) {
    return Error{Code::kInvalidArgument, "gateway_url must be an https:// origin"};
  }
  const std::string rest = url.substr(kScheme.size());
  if (rest.find_first_of("/?#@ ") != std::string::npos) {
    return Error{Code::kInvalidArgument,
                 "gateway_url must be an origin only (no path, query or user info)"};
  }
  return url;
}

}  // namespace

std::optional<std::string> ApiResponse::Header(std::string_view lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return value;
  }
  return std::nullopt;
}

struct Client::State {
  ClientOptions options;
  std::string origin;
  const Clock* clock = &SystemClock::Instance();
  std::shared_ptr<client::KeyStore> keys;
  client::FileKeyStore* file_keys = nullptr;  // set when the software store is used
  std::unique_ptr<client::SecureStore> store;
  std::shared_ptr<client::SecurePinReportStore> reports;
  std::unique_ptr<client::CurlTransport> transport;
  std::unique_ptr<client::TokenManager> tokens;
  std::mutex database_mutex;  // guards `database` (opened at first use)
  std::unique_ptr<client::EncryptedDatabase> database;

  mutable std::mutex mutex;  // guards the three below
  std::string device_id;
  std::unique_ptr<client::RequestSigner> signer;
  std::string dpop_nonce;  // the latest DPoP-Nonce the gateway sent (RFC 9449 §8)
  std::function<void(const Error&)> on_session_ended;

  std::string Url(std::string_view path) const { return origin + std::string(path); }

  void RememberNonce(const HttpResponse& response) {
    if (auto nonce = response.Header("dpop-nonce"); nonce && !nonce->empty()) {
      std::lock_guard lock(mutex);
      dpop_nonce = *nonce;
    }
  }
  std::string Nonce() const {
    std::lock_guard lock(mutex);
    return dpop_nonce;
  }
  static bool AsksForNonce(const HttpResponse& response) {
    return (response.status == 400 || response.status == 401) &&
           GatewayError(response) == "use_dpop_nonce" && response.Header("dpop-nonce");
  }

  // POST /v1/token with `fields` and a DPoP proof by the device key (RFC 9449 §5), retrying
  // once with the server's nonce when it asks for one.
  Result<client::TokenGrant> TokenGrant(
      const std::vector<std::pair<std::string, std::string>>& fields) {
    client::RequestSigner* request_signer;
    {
      std::lock_guard lock(mutex);
      request_signer = signer.get();
    }
    if (request_signer == nullptr) return Error{Code::kNotRegistered, "register the device first"};
    for (int attempt = 0;; ++attempt) {
      const std::string nonce = Nonce();
      ZTM_ASSIGN_OR_RETURN(
          std::string proof,
          request_signer->TokenEndpointProof(
              "POST", Url("/v1/token"),
              nonce.empty() ? std::nullopt : std::optional<std::string_view>(nonce)));
      HttpRequest request{"POST",
                          Url("/v1/token"),
                          {{"content-type", "application/x-www-form-urlencoded"}, {"dpop", proof}},
                          FormUrlEncode(fields)};
      ZTM_ASSIGN_OR_RETURN(HttpResponse response, transport->Send(request));
      RememberNonce(response);
      if (AsksForNonce(response) && attempt < kMaxNonceRetries) continue;
      if (response.status == 200) return ParseGrant(response, *clock);
      if (GatewayError(response) == "invalid_grant") {
        return Error{Code::kOAuthInvalidGrant, "token: the gateway refused the grant"};
      }
      return Refused(response, "token");
    }
  }
};

Client::Client(std::unique_ptr<State> state) : state_(std::move(state)) {}
Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::Open(ClientOptions options) {
  auto state = std::make_unique<State>();
  ZTM_ASSIGN_OR_RETURN(state->origin, CheckOrigin(options.gateway_url));
  if (options.data_directory.empty()) {
    return Error{Code::kInvalidArgument, "data_directory is required"};
  }
  std::error_code ec;
  std::filesystem::create_directories(options.data_directory, ec);
  if (ec) {
    return Error{Code::kInvalidArgument, "cannot create data_directory: " + ec.message()};
  }
  std::filesystem::permissions(options.data_directory, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);

  // Keys: the app's platform store, or the software one sealed under a passphrase or a
  // kernel-keyring key.
  if (options.key_store != nullptr) {
    state->keys = options.key_store;
  } else {
    std::unique_ptr<client::KekSource> kek;
    if (!options.passphrase.empty()) {
      ZTM_ASSIGN_OR_RETURN(kek, client::PassphraseKek::Create(options.passphrase));
    } else {
      ZTM_ASSIGN_OR_RETURN(
          kek, client::KernelKeyringKek::Create(
                   "ztm:" + HexEncode(crypto::Sha256(std::string_view(options.data_directory))),
                   client::KernelKeyring::kUser));
    }
    ZTM_ASSIGN_OR_RETURN(
        std::unique_ptr<client::FileKeyStore> file_keys,
        client::FileKeyStore::Open(options.data_directory + "/keys", std::move(kek)));
    state->file_keys = file_keys.get();
    state->keys = std::move(file_keys);
  }
  ZTM_ASSIGN_OR_RETURN(state->store,
                       client::SecureStore::Open(options.data_directory + "/secure", state->keys));
  state->reports = std::make_shared<client::SecurePinReportStore>(*state->store);

  std::vector<client::PinSetConfig> pin_sets;
  for (const PinConfig& pin : options.pins) {
    client::PinSetConfig config;
    config.host = pin.host;
    config.pins = pin.pins;
    config.expires = pin.expires;
    config.include_subdomains = pin.include_subdomains;
    config.mode = pin.report_only ? client::PinMode::kReportOnly : client::PinMode::kEnforce;
    config.report_uri = pin.report_uri;
    pin_sets.push_back(std::move(config));
  }
  ZTM_ASSIGN_OR_RETURN(client::PinPolicy policy, client::PinPolicy::Create(pin_sets));

  // The device id, if registered, names this device in requests and reports.
  auto device_id = state->store->Get(kDeviceIdItem);
  if (device_id.ok()) {
    state->device_id = ToString(*device_id);
  } else if (device_id.code() != Code::kSecureItemNotFound) {
    return std::move(device_id).error();
  }

  client::CurlTransportOptions transport;
  transport.ca_file = options.ca_file;
  transport.pin_policy = std::make_shared<const client::PinPolicy>(std::move(policy));
  transport.report_store = state->reports;
  transport.report_identity.app_bundle_id = options.app_id;
  transport.report_identity.app_version = options.app_version;
  transport.report_identity.app_platform = "LINUX";
  transport.report_identity.app_vendor_id = state->device_id;
  ZTM_ASSIGN_OR_RETURN(state->transport, client::CurlTransport::Create(std::move(transport)));

  if (!state->device_id.empty()) {
    ZTM_ASSIGN_OR_RETURN(
        state->signer, client::RequestSigner::Create(state->keys, kDeviceKeyAlias, state->device_id,
                                                     *state->clock));
  }
  State* raw = state.get();
  state->tokens = std::make_unique<client::TokenManager>(
      *state->store, *state->clock, [raw](const Secret& refresh_token) {
        return raw->TokenGrant({{"grant_type", "refresh_token"},
                                {"refresh_token", ToString(refresh_token)},
                                {"device_id", raw->device_id}});
      });
  state->tokens->SetSessionEndedCallback([raw](const Error& reason) {
    std::function<void(const Error&)> callback;
    {
      std::lock_guard lock(raw->mutex);
      callback = raw->on_session_ended;
    }
    if (callback) callback(reason);
  });
  state->options = std::move(options);
  return std::unique_ptr<Client>(new Client(std::move(state)));
}

bool Client::registered() const {
  std::lock_guard lock(state_->mutex);
  return !state_->device_id.empty();
}

std::string Client::device_id() const {
  std::lock_guard lock(state_->mutex);
  return state_->device_id;
}

Status Client::Register() {
  if (registered()) return OkStatus();
  State& s = *state_;
  // 1. A single-use challenge.
  ZTM_ASSIGN_OR_RETURN(HttpResponse challenge_response,
                       s.transport->Send(HttpRequest{"POST", s.Url("/v1/challenge"), {}, ""}));
  if (challenge_response.status != 200) return Refused(challenge_response, "challenge");
  ZTM_ASSIGN_OR_RETURN(boost::json::object challenge_body,
                       json::ParseObject(challenge_response.body));
  ZTM_ASSIGN_OR_RETURN(std::string challenge,
                       StringMember(challenge_body, "challenge", "challenge"));

  // 2. The device key (kept if a previous attempt made it) signs the challenge.
  ZTM_ASSIGN_OR_RETURN(bool exists, s.keys->Exists(kDeviceKeyAlias));
  if (!exists) {
    ZTM_RETURN_IF_ERROR(s.keys->CreateSigningKey(kDeviceKeyAlias, {}));
  }
  ZTM_ASSIGN_OR_RETURN(crypto::PublicKey public_key, s.keys->SigningPublicKey(kDeviceKeyAlias));
  ZTM_ASSIGN_OR_RETURN(boost::json::object public_jwk,
                       jose::Jwk::FromPublicKey(public_key).ToPublicObject());
  AttestationEvidence attestation;
  if (s.options.attestation_provider) {
    // The platform attests the key (App Attest, Key Attestation, Play Integrity).
    ZTM_ASSIGN_OR_RETURN(attestation,
                         s.options.attestation_provider(challenge, json::Serialize(public_jwk)));
    if (attestation.format.empty() || attestation.evidence.empty()) {
      return Error{Code::kInvalidArgument, "register: the attestation provider gave no evidence"};
    }
  } else {
    // Software attestation evidence: a compact JWS (RFC 7515) by the device key over the
    // challenge (ES256, signed inside the key store).
    ZTM_ASSIGN_OR_RETURN(std::shared_ptr<const client::KeyStoreSigner> device_signer,
                         client::KeyStoreSigner::Create(s.keys, kDeviceKeyAlias, *s.clock,
                                                        /*hold_seconds=*/0));
    attestation.format = "software";
    ZTM_ASSIGN_OR_RETURN(
        attestation.evidence,
        jose::SignCompact(boost::json::object{{"typ", kAttestationType}},
                          AsBytes(json::Serialize(boost::json::object{{"challenge", challenge}})),
                          *device_signer));
  }

  boost::json::object body;
  body["public_jwk"] = std::move(public_jwk);
  body["challenge"] = challenge;
  body["attestation"] =
      boost::json::object{{"format", attestation.format}, {"evidence", attestation.evidence}};
  ZTM_ASSIGN_OR_RETURN(HttpResponse registered_response,
                       s.transport->Send(HttpRequest{"POST",
                                                     s.Url("/v1/devices"),
                                                     {{"content-type", "application/json"}},
                                                     json::Serialize(body)}));
  if (registered_response.status != 201 && registered_response.status != 200) {
    return Refused(registered_response, "register");
  }
  ZTM_ASSIGN_OR_RETURN(boost::json::object answer, json::ParseObject(registered_response.body));
  ZTM_ASSIGN_OR_RETURN(std::string device_id, StringMember(answer, "device_id", "register"));
  if (device_id.size() > kMaxDeviceIdBytes) {
    return Error{Code::kGatewayProtocol, "register: the device id is too long"};
  }
  ZTM_ASSIGN_OR_RETURN(std::unique_ptr<client::RequestSigner> signer,
                       client::RequestSigner::Create(s.keys, kDeviceKeyAlias, device_id, *s.clock));
  ZTM_RETURN_IF_ERROR(s.store->Put(kDeviceIdItem, AsBytes(device_id)));
  std::lock_guard lock(s.mutex);
  s.device_id = std::move(device_id);
  s.signer = std::move(signer);
  return OkStatus();
}

Status Client::SignIn(std::string_view username, std::string_view password) {
  State& s = *state_;
  const std::string device = device_id();
  if (device.empty()) return Error{Code::kNotRegistered, "register the device first"};
  auto grant = s.TokenGrant({{"grant_type", "password"},
                             {"username", std::string(username)},
                             {"password", std::string(password)},
                             {"device_id", device}});
  if (!grant.ok()) {
    if (grant.code() == Code::kOAuthInvalidGrant) {
      return Error{Code::kGatewayRefused,
                   "sign-in: invalid_grant (wrong username or password, "
                   "or the device is not accepted)"};
    }
    return std::move(grant).error();
  }
  return s.tokens->Start(std::move(grant).value());
}

bool Client::signed_in() const { return state_->tokens->RefreshToken().ok(); }

Result<ApiResponse> Client::Call(std::string_view method, std::string_view path,
                                 std::string_view body,
                                 std::vector<std::pair<std::string, std::string>> headers) {
  State& s = *state_;
  if (path.empty() || path.front() != '/') {
    return Error{Code::kInvalidArgument, "path must start with \"/\""};
  }
  client::RequestSigner* request_signer;
  {
    std::lock_guard lock(s.mutex);
    request_signer = s.signer.get();
  }
  if (request_signer == nullptr) return Error{Code::kNotRegistered, "register the device first"};
  bool refreshed_for_invalid_token = false;
  for (int nonce_retries = 0;;) {
    ZTM_ASSIGN_OR_RETURN(Secret token, s.tokens->AccessToken());
    client::OutgoingRequest outgoing;
    outgoing.method = std::string(method);
    outgoing.url = s.Url(path);
    outgoing.headers = headers;
    outgoing.body = std::string(body);
    const std::string nonce = s.Nonce();
    ZTM_ASSIGN_OR_RETURN(
        client::SignedHeaders signed_headers,
        request_signer->Sign(
            outgoing, ToString(token),
            nonce.empty() ? std::nullopt : std::optional<std::string_view>(nonce)));
    HttpRequest request{outgoing.method, outgoing.url, outgoing.headers, outgoing.body};
    for (auto& header : signed_headers.headers) request.headers.push_back(std::move(header));
    ZTM_ASSIGN_OR_RETURN(HttpResponse response, s.transport->Send(request));
    s.RememberNonce(response);
    if (State::AsksForNonce(response) && nonce_retries++ < kMaxNonceRetries) continue;
    if (response.status == 401) {
      const std::string error = GatewayError(response);
      if (error == "invalid_token" && !refreshed_for_invalid_token) {
        // The token may have been refused for a reason a fresh one fixes (a retired signing
        // key); a revoked session shows up as a refused refresh.
        refreshed_for_invalid_token = true;
        s.tokens->Invalidate();
        continue;
      }
    }
    return ApiResponse{response.status, std::move(response.headers), std::move(response.body)};
  }
}

namespace {
constexpr char kDatabaseFile[] = "/app.db";
constexpr char kDatabaseKeyItem[] = "ztm.database-key";
}  // namespace

Status Client::Exec(std::string_view sql, std::vector<SqlValue> parameters) {
  std::lock_guard lock(state_->database_mutex);
  ZTM_ASSIGN_OR_RETURN(client::EncryptedDatabase * database, OpenDatabase());
  return database->Exec(sql, parameters);
}

Result<std::vector<SqlRow>> Client::Query(std::string_view sql, std::vector<SqlValue> parameters) {
  std::lock_guard lock(state_->database_mutex);
  ZTM_ASSIGN_OR_RETURN(client::EncryptedDatabase * database, OpenDatabase());
  return database->Query(sql, parameters);
}

Result<client::EncryptedDatabase*> Client::OpenDatabase() {
  State& s = *state_;
  if (s.database == nullptr) {
    ZTM_ASSIGN_OR_RETURN(s.database,
                         client::EncryptedDatabase::Open(s.options.data_directory + kDatabaseFile,
                                                         *s.store, kDatabaseKeyItem));
  }
  return s.database.get();
}

void Client::OnSessionEnded(std::function<void(const Error& reason)> callback) {
  std::lock_guard lock(state_->mutex);
  state_->on_session_ended = std::move(callback);
}

Status Client::Logout() {
  State& s = *state_;
  Status remote = OkStatus();
  if (registered() && signed_in()) {
    // The session ends at the gateway first (while the keys to sign the request still exist).
    auto response = Call("POST", "/v1/logout");
    if (!response.ok()) {
      remote = std::move(response).error();
    } else if (response->status != 204 && response->status != 200) {
      remote = Error{Code::kGatewayRefused,
                     "logout: the gateway answered " + std::to_string(response->status)};
    }
  }
  // Then everything local goes, keys first (without them the sealed files are noise).
  {
    std::lock_guard lock(s.mutex);
    s.signer.reset();
    s.device_id.clear();
  }
  ZTM_RETURN_IF_ERROR(s.tokens->Clear());
  {
    std::lock_guard lock(s.database_mutex);
    if (s.database != nullptr) {
      ZTM_RETURN_IF_ERROR(s.database->Wipe());
      s.database.reset();
    }
  }
  ZTM_RETURN_IF_ERROR(client::EncryptedDatabase::Destroy(s.options.data_directory + kDatabaseFile,
                                                         s.store.get(), kDatabaseKeyItem));
  ZTM_RETURN_IF_ERROR(s.store->WipeAll());
  if (s.file_keys != nullptr) {
    ZTM_RETURN_IF_ERROR(s.file_keys->WipeAll());
  } else {
    Status deleted = s.keys->Delete(kDeviceKeyAlias);
    if (!deleted.ok() && deleted.code() != Code::kKeyNotFound) return deleted;
  }
  return remote;
}

}  // namespace ztm
