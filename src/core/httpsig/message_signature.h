// HTTP Message Signatures (RFC 9421 §3, §4): signing a message into Signature-Input and
// Signature members, and verifying one labelled signature of a received message.
//
// ztm implements three algorithms of the RFC's registry: ed25519, ecdsa-p256-sha256 (raw
// R || S) and hmac-sha256. A verifier is built for one algorithm and one key; the message never
// chooses the algorithm (an `alg` parameter that names another one fails the signature).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/crypto/keys.h"
#include "core/error.h"
#include "core/httpsig/http_message.h"
#include "core/httpsig/signature_base.h"
#include "core/sf/structured_fields.h"

namespace ztm::httpsig {

// Signatures a verifier accepts in one message. A client signs once, a proxy may add one or
// two; 16 bounds the parsing work of a message stuffed with signatures.
inline constexpr std::size_t kMaxSignaturesPerMessage = 16;
// A signature label (a Dictionary key). Labels are short names such as "sig1".
inline constexpr std::size_t kMaxLabelBytes = 64;
// HMAC-SHA-256 keys shorter than the hash output lose security (RFC 2104 §3 recommends at
// least L = 32 bytes).
inline constexpr std::size_t kMinHmacKeyBytes = 32;
// Tolerated difference between the signer's and the verifier's clocks, for `created` in the
// future and `expires` in the past. NTP-synchronized hosts and phones are within seconds.
inline constexpr std::int64_t kDefaultClockSkewSeconds = 60;
// The largest skew a verifier may be configured with: beyond ten minutes `created` stops
// meaning anything.
inline constexpr std::int64_t kMaxClockSkewSeconds = 600;
// Default maximum age of a signature (`created`): a request is signed just before it is sent.
inline constexpr std::int64_t kDefaultMaxAgeSeconds = 300;

// The HTTP message signature algorithms ztm implements (RFC 9421 §3.3).
enum class HttpSigAlgorithm {
  kEd25519,          // "ed25519" (§3.3.6)
  kEcdsaP256Sha256,  // "ecdsa-p256-sha256" (§3.3.4), signature R || S, 64 bytes
  kHmacSha256,       // "hmac-sha256" (§3.3.3)
};

// The registry name of `algorithm`, as used in the `alg` parameter.
std::string_view HttpSigAlgorithmName(HttpSigAlgorithm algorithm);

// Looks up an algorithm by registry name. Fails with kHttpSigAlgUnsupported for names ztm does
// not implement, registered (rsa-pss-sha512, rsa-v1_5-sha256, ecdsa-p384-sha384) or not.
Result<HttpSigAlgorithm> ParseHttpSigAlgorithm(std::string_view name);

// Signature parameters in typed form (RFC 9421 §2.3), for callers that do not hold a
// serialized inner list.
struct SignatureParameters {
  std::vector<sf::Item> components;  // covered component identifiers, in order (see Component)
  std::optional<std::int64_t> created;
  std::optional<std::int64_t> expires;
  std::optional<std::string> nonce;
  std::optional<std::string> keyid;
  std::optional<std::string> tag;
  bool include_alg = false;  // add `alg` naming the signer's algorithm
};

// The inner list for `params`: the components, then created, expires, nonce, keyid, alg, tag
// (those that are set).
sf::InnerList ToInnerList(const SignatureParameters& params, HttpSigAlgorithm algorithm);

// What a signer adds to a message: one member for each of the two Dictionary fields.
struct SignatureFields {
  std::string signature_input;  // e.g. `sig1=("@method" "@path");created=1618884473`
  std::string signature;        // e.g. `sig1=:base64:`
};

// Signs messages with one key and algorithm. Immutable and thread-safe.
class HttpSigner {
 public:
  // A signer for ed25519 or ecdsa-p256-sha256. Fails with kCryptoKeyTypeMismatch if `key` is
  // not of the algorithm's type and kInvalidArgument for kHmacSha256 (use CreateHmac).
  static Result<HttpSigner> Create(HttpSigAlgorithm algorithm, crypto::PrivateKey key);
  // A signer for ed25519 or ecdsa-p256-sha256 over a key that may not be exportable (a
  // platform keystore's). Fails with kInvalidArgument for a null `signer` or kHmacSha256, and
  // kCryptoKeyTypeMismatch unless signer->algorithm() is the algorithm's (Ed25519, or R || S
  // ECDSA P-256). Sign then also fails with the signer's errors.
  static Result<HttpSigner> Create(HttpSigAlgorithm algorithm,
                                   std::shared_ptr<const crypto::Signer> signer);
  // A signer for hmac-sha256. Fails with kCryptoKeyInvalid for keys under kMinHmacKeyBytes.
  static Result<HttpSigner> CreateHmac(Secret key);

  HttpSigAlgorithm algorithm() const { return algorithm_; }

  // Signs `message` under `label` with `signature_params` (covered components and signature
  // parameters, kept exactly as given). Fails with kInvalidArgument for a label that is not a
  // lowercase Dictionary key of at most kMaxLabelBytes, kHttpSigAlgMismatch if an `alg`
  // parameter names another algorithm, and with BuildSignatureBase's errors.
  Result<SignatureFields> Sign(
      HttpMessageView message, std::string_view label, const sf::InnerList& signature_params,
      const StructuredFieldTypes& field_types = StructuredFieldTypes::Standard()) const;
  Result<SignatureFields> Sign(HttpMessageView message, std::string_view label,
                               const SignatureParameters& params) const;

 private:
  HttpSigner(HttpSigAlgorithm algorithm, std::shared_ptr<const crypto::Signer> signer,
             Secret hmac_key)
      : algorithm_(algorithm), signer_(std::move(signer)), hmac_key_(std::move(hmac_key)) {}
  HttpSigAlgorithm algorithm_;
  std::shared_ptr<const crypto::Signer> signer_;  // null for hmac-sha256
  Secret hmac_key_;
};

// What a verifier requires of a signature besides a valid signature value. Every check is on
// by default or must be switched off visibly.
struct HttpSigVerifierOptions {
  // Components the signature must cover, compared with SameComponent (e.g. Component("@method"),
  // Component("@target-uri"), Component("content-digest"), Component("authorization")).
  std::vector<sf::Item> required_components;
  // An empty required_components list is refused by Create unless this is set: a signature
  // over nothing but its own parameters proves little.
  bool allow_no_required_components = false;
  // A signature without `created` fails (kHttpSigParameterMissing) unless this is false.
  bool require_created = true;
  // `created` older than this fails (kHttpSigCreatedTooOld); nullopt disables the age check.
  std::optional<std::int64_t> max_age_seconds = kDefaultMaxAgeSeconds;
  // Tolerance for `created` in the future and `expires` in the past, 0..kMaxClockSkewSeconds.
  std::int64_t clock_skew_seconds = kDefaultClockSkewSeconds;
  // A signature without `nonce` fails when set (for callers that keep a replay cache).
  bool require_nonce = false;
  // When set, `tag` must be present and equal (kHttpSigTagMismatch).
  std::optional<std::string> required_tag;
  // When set, `keyid` must be present and equal (kHttpSigKeyIdMismatch).
  std::optional<std::string> required_keyid;
  // The source of "now". Must outlive the verifier.
  const Clock* clock = &SystemClock::Instance();
  // Structured field types for components with the `sf` parameter.
  StructuredFieldTypes field_types = StructuredFieldTypes::Standard();
  // RFC 9530 §1.1 and RFC 9421 §7.2.8: a signed Content-Digest binds the content only if
  // the content matches it. When set (the default), every covered component named
  // content-digest, whatever its parameters (`sf`, `key`, `bs`; `req` meaning the related
  // request's field and body), makes Verify check that message's Content-Digest against its
  // body with VerifyContentDigest (content_digest.h). Required components are covered
  // components, so a required content-digest is always checked.
  // WARNING: set to false only when the body is not available (a gateway in auth_request
  // mode sees headers only); the caller must then check the digest itself against the body
  // before trusting it.
  bool verify_content_digest = true;
};

// A signature that verified, and what it covers. Only HttpSigVerifier creates one.
//
// Replay: RFC 9421 does not stop a signed message from being sent again (§7.2.2). A replay
// cache upstream must key on (keyid, nonce) when the signer sends a nonce, or else on
// signature_base_hash(), and can bound its memory with created. WARNING: never key on the
// signature bytes: an ECDSA signature (r, s) has a second valid form (r, n - s) over the same
// base, so a cache keyed on signature bytes lets each message through twice.
class VerifiedSignature {
 public:
  const std::string& label() const { return label_; }
  HttpSigAlgorithm algorithm() const { return algorithm_; }
  // The covered component identifiers, in signed order.
  const std::vector<sf::Item>& covered_components() const { return covered_components_; }
  // Whether `component` is covered (compared with SameComponent).
  bool Covers(const sf::Item& component) const;
  std::optional<std::int64_t> created() const { return created_; }
  std::optional<std::int64_t> expires() const { return expires_; }
  const std::optional<std::string>& nonce() const { return nonce_; }
  const std::optional<std::string>& keyid() const { return keyid_; }
  // The `alg` parameter as sent, if any (it always names algorithm()).
  const std::optional<std::string>& alg() const { return alg_; }
  const std::optional<std::string>& tag() const { return tag_; }
  // SHA-256 of the signature base (RFC 9421 §2.5) that verified: 32 bytes that identify what
  // was signed, whatever the encoding of the signature value. The replay-cache key when
  // there is no nonce.
  const Bytes& signature_base_hash() const { return signature_base_hash_; }

 private:
  friend class HttpSigVerifier;
  VerifiedSignature() = default;
  Bytes signature_base_hash_;
  std::string label_;
  HttpSigAlgorithm algorithm_ = HttpSigAlgorithm::kEd25519;
  std::vector<sf::Item> covered_components_;
  std::optional<std::int64_t> created_;
  std::optional<std::int64_t> expires_;
  std::optional<std::string> nonce_;
  std::optional<std::string> keyid_;
  std::optional<std::string> alg_;
  std::optional<std::string> tag_;
};

// Verifies one signature of a message with one key and algorithm (RFC 9421 §3.2). Immutable
// and thread-safe.
class HttpSigVerifier {
 public:
  // A verifier for ed25519 or ecdsa-p256-sha256. Fails with kCryptoKeyTypeMismatch if `key` is
  // not of the algorithm's type, kInvalidArgument for kHmacSha256 (use CreateHmac) or for
  // invalid options (no clock, skew outside 0..kMaxClockSkewSeconds, max age not positive,
  // a required component that is not a String item, no required components without
  // allow_no_required_components).
  static Result<HttpSigVerifier> Create(HttpSigAlgorithm algorithm, crypto::PublicKey key,
                                        HttpSigVerifierOptions options);
  // A verifier for hmac-sha256. Fails with kCryptoKeyInvalid for keys under kMinHmacKeyBytes,
  // or kInvalidArgument for invalid options.
  static Result<HttpSigVerifier> CreateHmac(Secret key, HttpSigVerifierOptions options);

  HttpSigAlgorithm algorithm() const { return algorithm_; }

  // Verifies the signature labelled `label`, or the only signature when `label` is nullopt.
  // The base is rebuilt from the received Signature-Input member exactly (component order
  // and parameter order as sent). Fails with:
  //  - kHttpSigMissing: no Signature-Input or no Signature field;
  //  - kHttpSigInputMalformed: a field that is not a Dictionary, a label repeated (in one line
  //    or across lines) or present in only one of the two fields, a Signature-Input member that is
  //    not an inner list of Strings, a Signature member that is not a Byte Sequence, a signature
  //    parameter of the wrong type, `expires` before `created`;
  //  - kHttpSigLabelNotFound: `label` absent, or no label given and several signatures;
  //  - kHttpSigAlgMismatch: an `alg` parameter naming another algorithm than the verifier's;
  //  - kHttpSigParameterMissing: `created` (or `nonce`) missing when required;
  //  - kHttpSigKeyIdMismatch, kHttpSigTagMismatch: keyid or tag differs from the required one;
  //  - kHttpSigCreatedInFuture, kHttpSigCreatedTooOld, kHttpSigExpired: time checks;
  //  - kHttpSigRequiredComponentMissing: a required component is not covered;
  //  - BuildSignatureBase's errors (a covered component that is missing or invalid);
  //  - kHttpSigInvalid: the signature value does not verify;
  //  - after a valid signature, with options.verify_content_digest, when it covers
  //    content-digest: kDigestMismatch (the body does not match), kDigestMalformed (not a
  //    Dictionary, a repeated algorithm, a digest that is not a Byte Sequence),
  //    kDigestUnsupportedAlgorithm (no sha-256/sha-512 member, or the signature covers only
  //    the member of an algorithm ztm does not check via `key`), kDigestMissing;
  //  - kInputTooLarge: more than kMaxSignaturesPerMessage signatures, or oversize fields.
  Result<VerifiedSignature> Verify(HttpMessageView message,
                                   std::optional<std::string_view> label = std::nullopt) const;

 private:
  HttpSigVerifier(HttpSigAlgorithm algorithm, std::optional<crypto::PublicKey> key, Secret hmac_key,
                  HttpSigVerifierOptions options)
      : algorithm_(algorithm),
        key_(std::move(key)),
        hmac_key_(std::move(hmac_key)),
        options_(std::move(options)) {}
  static Status CheckOptions(const HttpSigVerifierOptions& options);
  HttpSigAlgorithm algorithm_;
  std::optional<crypto::PublicKey> key_;
  Secret hmac_key_;
  HttpSigVerifierOptions options_;
};

// What Signature-Input says about one signature, before anything is verified: for choosing
// the key (by keyid) and so the verifier. Nothing here is authenticated.
struct UnverifiedSignatureInput {
  std::string label;
  std::optional<std::string> keyid;
  std::optional<std::string> alg;
};

// Reads the Signature-Input member labelled `label` (or the only one), with the same parsing
// and errors as HttpSigVerifier::Verify up to choosing the label.
Result<UnverifiedSignatureInput> PeekSignatureInput(
    HttpMessageView message, std::optional<std::string_view> label = std::nullopt);

}  // namespace ztm::httpsig
