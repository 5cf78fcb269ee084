// RequestSigner: turns an app's request into one the gateway accepts, with the device key held
// by a KeyStore (which only ever signs): Authorization: DPoP <token>, a DPoP proof with "ath"
// (RFC 9449 §4.2, §7.1), Content-Digest of the body (RFC 9530 §2) and an RFC 9421 signature
// over @method, @target-uri, authorization and content-digest, with created, a fresh nonce and
// keyid = the device id. docs/protocol.md describes what the gateway checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/keystore/key_store.h"
#include "client/transport/https_transport.h"
#include "core/clock.h"
#include "core/crypto/keys.h"
#include "core/error.h"
#include "core/httpsig/message_signature.h"

namespace ztm::client {

// The RFC 9421 signature label the gateway's verifier reads (it accepts the only signature).
inline constexpr std::string_view kRequestSignatureLabel = "sig1";
// RFC 9421 §2.3 nonce: 128 random bits make a repeat by chance negligible, so the gateway's
// replay cache only ever matches a request that was really sent twice.
inline constexpr std::size_t kSignatureNonceBytes = 16;
// An access token travels in one header line, and servers cap a line at 8 KiB (see
// dpop::kMaxProofBytes); ztm's tokens are under 1 KiB.
inline constexpr std::size_t kMaxAccessTokenBytes = 8 * 1024;
// How long RequestSigner holds the device key unsealed by default (KeyStore::OpenSigningKey):
// an access token's lifetime, so a burst of calls unseals the key once, and a key in memory
// is dropped within minutes of the last use that needed it.
inline constexpr std::int64_t kDefaultKeyHoldSeconds = 300;

// A request as the app is about to send it (method, absolute https URL, headers, body).
using OutgoingRequest = HttpRequest;

// The header lines RequestSigner adds to a request, lowercase names, in this order:
// authorization, dpop, content-digest (only with a body), signature-input, signature.
struct SignedHeaders {
  std::vector<std::pair<std::string, std::string>> headers;
};

// KeyStoreSigner is a crypto::Signer (ES256, R || S) over a KeyStore's signing key. Thread-safe.
//
// With hold_seconds = 0 every signature is a KeyStore::Sign (FileKeyStore unseals the key each
// time). Otherwise the key is opened with KeyStore::OpenSigningKey and the held key signs
// until it expires or stops working (key deleted, store wiped), when it is opened again; a key
// that needs user presence cannot be held and is signed with through KeyStore::Sign, which
// asks for presence every time.
class KeyStoreSigner final : public crypto::Signer {
 public:
  // Create reads the public key of `alias` once. Fails with kInvalidArgument for a null
  // `keys` or a hold_seconds that is not 0 and outside 1..kMaxSigningKeyHoldSeconds, and with
  // SigningPublicKey's errors (kKeyAliasInvalid, kKeyNotFound, kCryptoKeyTypeMismatch, ...).
  // `clock` must outlive the signer.
  static Result<std::shared_ptr<const KeyStoreSigner>> Create(std::shared_ptr<KeyStore> keys,
                                                              std::string_view alias,
                                                              const Clock& clock,
                                                              std::int64_t hold_seconds);

  crypto::SignatureAlgorithm algorithm() const override {
    return crypto::SignatureAlgorithm::kEcdsaP256Sha256Raw;
  }
  const crypto::PublicKey& public_key() const override { return public_key_; }

 private:
  KeyStoreSigner(std::shared_ptr<KeyStore> keys, std::string alias, crypto::PublicKey public_key,
                 const Clock& clock, std::int64_t hold_seconds)
      : keys_(std::move(keys)),
        alias_(std::move(alias)),
        public_key_(std::move(public_key)),
        clock_(clock),
        hold_seconds_(hold_seconds) {}
  Result<Bytes> SignMessage(ByteView message) const override;
  // Opens the key again, checking it is still the key whose public half this signer reports.
  Result<std::shared_ptr<const crypto::Signer>> Reopen() const;

  const std::shared_ptr<KeyStore> keys_;
  const std::string alias_;
  const crypto::PublicKey public_key_;
  const Clock& clock_;
  const std::int64_t hold_seconds_;
  mutable std::mutex mutex_;                            // guards the two below
  mutable std::shared_ptr<const crypto::Signer> held_;  // null until opened
  mutable bool cannot_hold_ = false;                    // the key needs user presence
};

struct RequestSignerOptions {
  // Seconds the device key stays unsealed between signatures (KeyStoreSigner); 0 unseals it
  // for every signature. At most kMaxSigningKeyHoldSeconds.
  std::int64_t key_hold_seconds = kDefaultKeyHoldSeconds;
};

// RequestSigner signs requests for the gateway with the device key. Immutable apart from the
// held key inside its signer; thread-safe.
class RequestSigner {
 public:
  // Create signs with the KeyStore key `alias` (a P-256 signing key) for device `device_id`.
  // Fails with kInvalidArgument for a null `keys`, an empty `device_id` or one that is not
  // printable ASCII (it becomes the RFC 9421 keyid String), a bad key_hold_seconds, and with
  // KeyStoreSigner::Create's errors. `clock` must outlive the signer.
  static Result<std::unique_ptr<RequestSigner>> Create(std::shared_ptr<KeyStore> keys,
                                                       std::string_view alias,
                                                       std::string_view device_id,
                                                       const Clock& clock,
                                                       RequestSignerOptions options = {});
  // Create signs with `signer` (ES256 R || S or Ed25519), for keys held elsewhere and for
  // tests. Fails like the KeyStore form, and with kInvalidArgument for a null or DER signer.
  static Result<std::unique_ptr<RequestSigner>> Create(std::shared_ptr<const crypto::Signer> signer,
                                                       std::string_view device_id,
                                                       const Clock& clock);

  // Sign returns the headers that make `request` a protected call with `access_token`, and
  // the server's latest DPoP-Nonce when it sent one. Nothing is written into `request`.
  // Fails with kTransportRequestInvalid when the request cannot be signed as given: the
  // method is not a token; the URL is not an absolute https URL with a host, or carries
  // userinfo or a fragment; a header name or value is invalid; or the request already has
  // an Authorization, DPoP, Content-Digest, Signature, Signature-Input or Host header (these
  // are the signer's, or, for Host, the transport's from the URL: a caller's copy would be
  // overwritten or contradict what is signed). Fails with kInvalidArgument for an empty
  // access token, one that is not a token68 (RFC 9110 §11.2) or longer than
  // kMaxAccessTokenBytes, or a nonce that is not an RFC 9449 §8.1 nonce; and with the
  // signer's errors (kUserPresenceRequired, kKeyNotFound, ...).
  Result<SignedHeaders> Sign(const OutgoingRequest& request, std::string_view access_token,
                             std::optional<std::string_view> dpop_nonce) const;

  // TokenEndpointProof returns a DPoP proof (without "ath") for a call to the token endpoint
  // at `url` (RFC 9449 §5), for the DPoP header. Fails like Sign on the method, URL and nonce.
  Result<std::string> TokenEndpointProof(std::string_view method, std::string_view url,
                                         std::optional<std::string_view> dpop_nonce) const;

  const crypto::PublicKey& public_key() const { return signer_->public_key(); }
  const std::string& device_id() const { return device_id_; }

 private:
  RequestSigner(std::shared_ptr<const crypto::Signer> signer, std::string device_id,
                const Clock& clock, httpsig::HttpSigner http_signer)
      : signer_(std::move(signer)),
        device_id_(std::move(device_id)),
        clock_(clock),
        http_signer_(std::move(http_signer)) {}
  Result<std::string> Proof(std::string_view method, std::string_view url,
                            std::optional<std::string_view> access_token,
                            std::optional<std::string_view> dpop_nonce) const;

  const std::shared_ptr<const crypto::Signer> signer_;
  const std::string device_id_;
  const Clock& clock_;
  const httpsig::HttpSigner http_signer_;  // over signer_
};

}  // namespace ztm::client
