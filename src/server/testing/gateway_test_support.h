// Test-only helpers for the gateway's unit tests (header-only, so nothing here is compiled into
// ztm_server): a temporary directory with a real SQLite store, a test configuration, and a
// device that registers, proves possession (DPoP) and signs requests (RFC 9421) the way the
// ztm client does, with every part overridable so tests can forge what an attacker would send.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/bytes.h"
#include "core/crypto/crypto.h"
#include "core/crypto/keys.h"
#include "core/dpop/dpop.h"
#include "core/encoding.h"
#include "core/httpsig/content_digest.h"
#include "core/httpsig/http_message.h"
#include "core/httpsig/message_signature.h"
#include "core/httpsig/signature_base.h"
#include "core/jose/jwk.h"
#include "core/jose/jws.h"
#include "core/json.h"
#include "server/config.h"
#include "server/http/message.h"
#include "server/store/sqlite_store.h"

namespace ztm::server::testing {

inline constexpr std::int64_t kTestNow = 1'700'000'000;
inline constexpr const char* kTestHost = "gw.test";
inline constexpr const char* kTestIssuer = "https://gw.test";
inline constexpr const char* kTestAudience = "https://api.test";

// Aborts the test binary with `what` when `result` failed: setup steps are not under test.
template <typename T>
T Must(Result<T> result, const char* what = "setup step") {
  if (!result.ok()) throw std::runtime_error(std::string(what) + ": " + result.error().message);
  return std::move(result).value();
}
inline void Must(Status status, const char* what = "setup step") {
  if (!status.ok()) throw std::runtime_error(std::string(what) + ": " + status.error().message);
}

// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ztm-gw-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A real SQLite store in `dir`.
inline std::unique_ptr<SqliteStore> OpenTestStore(const TempDir& dir,
                                                  const std::string& name = "gateway.db") {
  return Must(SqliteStore::Open(dir.File(name)), "open store");
}

// A fixed master key (tests that need another one pass their own).
inline Secret TestMasterKey(std::uint8_t fill = 0x42) { return Secret(Bytes(32, fill)); }

// The configuration unit tests start from: plaintext on port 0, software attestation allowed,
// reverse-proxy mode.
inline GatewayConfig TestConfig(const TempDir& dir) {
  GatewayConfig config;
  config.listen.port = 0;
  config.listen.allow_plaintext = true;
  config.storage.sqlite_path = dir.File("gateway.db");
  config.storage.master_key_file = dir.File("gateway.key");
  config.tokens.issuer = kTestIssuer;
  config.tokens.audience = kTestAudience;
  config.attestation.allow_software = true;
  config.upstream = UpstreamConfig{"http://127.0.0.1:9", 5};
  return config;
}

// A device: its key, and everything it sends.
class TestDevice {
 public:
  explicit TestDevice(crypto::KeyType type = crypto::KeyType::kEcP256)
      : key_(Must(crypto::PrivateKey::Generate(type), "generate device key")) {}

  const crypto::PrivateKey& key() const { return key_; }
  jose::Jwk public_jwk() const { return jose::Jwk::FromPublicKey(key_.public_key()); }
  std::string jkt() const { return public_jwk().Thumbprint(); }
  boost::json::object public_jwk_object() const { return Must(public_jwk().ToPublicObject()); }
  std::string public_jwk_json() const { return json::Serialize(public_jwk_object()); }

  // The store record of this device registered as `device_id` (for tests that skip the
  // registration endpoint).
  DeviceRecord Record(const std::string& device_id, std::int64_t now = kTestNow) const {
    DeviceRecord record;
    record.device_id = device_id;
    record.public_jwk = public_jwk_json();
    record.jkt = jkt();
    record.attestation_format = "software";
    record.registered_at = now;
    return record;
  }

  // `software` attestation evidence: {"challenge": challenge} signed by this key.
  std::string Evidence(std::string_view challenge) const {
    boost::json::object payload;
    payload["challenge"] = challenge;
    const jose::JwsAlgorithm algorithm = key_.type() == crypto::KeyType::kEcP256
                                             ? jose::JwsAlgorithm::kEs256
                                             : jose::JwsAlgorithm::kEdDsa;
    return Must(jose::SignCompact({}, AsBytes(json::Serialize(payload)),
                                  jose::Jwk::FromPrivateKey(key_), algorithm),
                "sign evidence");
  }

  // A DPoP proof for `method` `url` at `iat`, bound to `access_token` when given.
  std::string Proof(const std::string& method, const std::string& url, std::int64_t iat,
                    std::optional<std::string> access_token = std::nullopt,
                    std::optional<std::string> nonce = std::nullopt,
                    const std::string& jti = "") const {
    dpop::ProofInput input;
    input.htm = method;
    input.htu = url;
    input.iat = iat;
    input.jti = jti;
    input.access_token = std::move(access_token);
    input.nonce = std::move(nonce);
    return Must(dpop::CreateProof(key_, input), "create proof");
  }

 private:
  crypto::PrivateKey key_;
};

// A request as the HTTP layer hands it to the gateway: https, Host gw.test, from 127.0.0.1.
inline http::Request MakeRequest(const std::string& method, const std::string& target,
                                 const std::string& body = "", http::HeaderList headers = {}) {
  http::Request request;
  request.method = method;
  request.target = target;
  request.body = body;
  request.tls = true;
  request.peer_address = "127.0.0.1";
  request.headers.emplace_back("host", kTestHost);
  for (auto& header : headers) request.headers.push_back(std::move(header));
  return request;
}

// The absolute URL of `target` at the test host.
inline std::string TestUrl(const std::string& target) {
  return std::string("https://") + kTestHost + target;
}

inline void SetHeader(http::Request& request, const std::string& name, const std::string& value) {
  for (auto& [key, existing] : request.headers) {
    if (key == name) {
      existing = value;
      return;
    }
  }
  request.headers.emplace_back(name, value);
}

inline void RemoveHeader(http::Request& request, const std::string& name) {
  std::erase_if(request.headers, [&](const auto& header) { return header.first == name; });
}

// What a signature covers and says; defaults are what the ztm client sends.
struct SignatureSpec {
  std::vector<std::string> components;  // empty: @method @target-uri authorization [content-digest]
  std::optional<std::string> keyid;     // default: the device id
  std::string nonce;                    // empty: 128 random bits
  bool omit_nonce = false;
};

// Adds Signature-Input and Signature (label sig1, ecdsa-p256-sha256 or ed25519) to `request`,
// signed by `device` as `device_id` at `created`.
inline void SignRequest(http::Request& request, const TestDevice& device,
                        const std::string& device_id, std::int64_t created,
                        const SignatureSpec& spec = {}) {
  httpsig::HttpRequest message;
  message.method = request.method;
  message.target = request.target;
  message.scheme = request.tls ? "https" : "http";
  for (const auto& [name, value] : request.headers) {
    if (name == "host") message.authority = value;
    Must(message.fields.Add(name, value), "add field");
  }
  std::vector<std::string> components = spec.components;
  if (components.empty()) {
    components = {"@method", "@target-uri", "authorization"};
    if (request.Header("content-digest")) components.push_back("content-digest");
  }
  httpsig::SignatureParameters params;
  for (const auto& component : components)
    params.components.push_back(httpsig::Component(component));
  params.created = created;
  if (!spec.omit_nonce) {
    params.nonce = spec.nonce.empty() ? Base64UrlEncode(crypto::RandomBytes(16)) : spec.nonce;
  }
  params.keyid = spec.keyid.value_or(device_id);
  const httpsig::HttpSigAlgorithm algorithm = device.key().type() == crypto::KeyType::kEcP256
                                                  ? httpsig::HttpSigAlgorithm::kEcdsaP256Sha256
                                                  : httpsig::HttpSigAlgorithm::kEd25519;
  auto signer = Must(httpsig::HttpSigner::Create(algorithm, device.key()), "signer");
  auto fields = Must(signer.Sign(message, "sig1", params), "sign request");
  SetHeader(request, "signature-input", fields.signature_input);
  SetHeader(request, "signature", fields.signature);
}

// A complete protected request as the ztm client sends it: Authorization: DPoP, a DPoP proof
// bound to the token, Content-Digest when there is a body, and a signature.
inline http::Request SignedApiRequest(const TestDevice& device, const std::string& device_id,
                                      const std::string& access_token, const std::string& method,
                                      const std::string& target, const std::string& body,
                                      std::int64_t now) {
  http::Request request = MakeRequest(method, target, body);
  request.headers.emplace_back("authorization", "DPoP " + access_token);
  request.headers.emplace_back("dpop", device.Proof(method, TestUrl(target), now, access_token));
  if (!body.empty()) {
    request.headers.emplace_back("content-type", "application/json");
    request.headers.emplace_back("content-digest", Must(httpsig::ContentDigest(AsBytes(body))));
  }
  SignRequest(request, device, device_id, now);
  return request;
}

}  // namespace ztm::server::testing
