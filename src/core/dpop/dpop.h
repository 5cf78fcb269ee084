// OAuth 2.0 Demonstrating Proof of Possession (DPoP, RFC 9449): creating proofs (client) and
// checking them (gateway) per RFC 9449 §4.3.
//
// Security guarantee: a VerifiedDpopProof exists only if the proof is a single well-formed
// JWT typed "dpop+jwt", signed with an allowed asymmetric algorithm by the public key in its
// own "jwk" header, for this request's method and URI, created within the verifier's time
// window, and bound to the presented access token, server nonce and token key when given.
// Replay of its "jti" is the caller's to check (the gateway's replay cache).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/crypto/keys.h"
#include "core/crypto/public_key_cache.h"
#include "core/error.h"
#include "core/jose/jwk.h"
#include "core/jose/jws.h"

namespace ztm::dpop {

// A proof is one header line: a P-256 proof is about 600 bytes, and typical HTTP servers
// cap a header line at 8 KiB.
inline constexpr std::size_t kMaxProofBytes = 8 * 1024;
// RFC 9449 §11.1: servers tracking "jti" should reject unnecessarily large values. 96 bits
// of entropy need 16 base64url characters and a UUID 36; 256 leaves generous room.
inline constexpr std::size_t kMaxJtiBytes = 256;
// Bound on a server nonce; ztm's own nonces are well under 100 characters.
inline constexpr std::size_t kMaxNonceBytes = 512;
// Bound on an "htu"/request URI.
inline constexpr std::size_t kMaxUriBytes = 4096;
// RFC 9449 §11.1: proofs are accepted "for a relatively brief period on the order of seconds
// or minutes". A window longer than an hour either way defeats that and is refused.
inline constexpr std::int64_t kMaxIatWindowSeconds = 3600;
// Upper bound on DpopPolicy::key_cache_capacity. Proof keys are chosen by clients (and so by
// attackers), who can fill the cache at will: each entry holds an OpenSSL key of about 1 KB,
// so a million entries bound it near 1 GB, far above any legitimate count of active devices
// (PublicKeyCache::kDefaultCapacity is 10,000) while refusing an unbounded SIZE_MAX.
inline constexpr std::size_t kMaxKeyCacheCapacity = 1'000'000;
// The JWS "typ" of a DPoP proof (RFC 9449 §4.2).
inline constexpr std::string_view kProofType = "dpop+jwt";

// What a new proof says.
struct ProofInput {
  std::string htm;  // HTTP method, e.g. "POST"
  std::string htu;  // target URI; query and fragment are removed before signing
  std::int64_t iat = 0;
  std::string jti;                          // empty: 128 random bits, base64url
  std::optional<std::string> access_token;  // adds "ath" = base64url(SHA-256(token))
  std::optional<std::string> nonce;         // the server's DPoP-Nonce
};

// Creates a DPoP proof signed with `key` (ES256 for P-256, EdDSA for Ed25519), whose header
// carries {"typ":"dpop+jwt","alg":...,"jwk":<public key>}. Fails with kInvalidArgument if
// htm is empty or not an HTTP token, htu is not an absolute http(s) URI, or jti/nonce exceed
// their bounds.
Result<std::string> CreateProof(const crypto::PrivateKey& key, const ProofInput& input);
// The same with a key that may not be exportable: ES256 for a kEcdsaP256Sha256Raw signer,
// EdDSA for kEd25519. Fails like the PrivateKey form, with kCryptoUnsupportedAlgorithm for a
// DER ECDSA signer (JOSE needs R || S), and with the signer's own errors.
Result<std::string> CreateProof(const crypto::Signer& signer, const ProofInput& input);

// RFC 9449 §4.3 point 9 and its note: the "htu" comparison form of `uri`. Requires an
// absolute http/https URI with a host (not percent-encoded), no userinfo, a port (if any) of
// decimal digits within 0..65535 and a path that is empty or starts with "/"; drops query and
// fragment; applies RFC 3986 §6.2.2 syntax-based normalisation (lowercase scheme and host,
// uppercase percent-encoding hex, decode percent-encoded unreserved characters only, remove
// dot segments) and §6.2.3 scheme-based normalisation (drop an empty or default port, empty
// path -> "/"). Fails with kInvalidArgument otherwise. The result is a fixed point:
// normalising it again gives it back.
Result<std::string> NormalizeHtu(std::string_view uri);

// The verifier's policy. Defaults: ES256 and EdDSA, proofs up to 5 minutes old or 1 minute
// in the future, no nonce required.
struct DpopPolicy {
  std::vector<jose::JwsAlgorithm> allowed_algorithms = {jose::JwsAlgorithm::kEs256,
                                                        jose::JwsAlgorithm::kEdDsa};
  std::int64_t max_age_seconds = 300;
  std::int64_t max_future_seconds = 60;
  bool require_nonce = false;
  // Proof keys parsed into OpenSSL keys are cached (bounded LRU, keyed by the exact key
  // bytes) so a device's key is imported once, not per request; 0 disables the cache, and
  // more than kMaxKeyCacheCapacity is refused.
  std::size_t key_cache_capacity = crypto::PublicKeyCache::kDefaultCapacity;
};

// Per-request inputs besides the proof, method and URI. Views must outlive Verify().
struct DpopRequestContext {
  // The access token presented with the proof (Authorization: DPoP <token>), if any.
  std::optional<std::string_view> access_token;
  // The nonce this server last issued to the client, if any.
  std::optional<std::string_view> expected_nonce;
  // The access token's "cnf"."jkt" (RFC 9449 §6.1). Required whenever access_token is set
  // (unless allow_unbound_access_token): the proof's key must be the token's key.
  std::optional<std::string_view> expected_jkt;
  // WARNING: lets Verify accept an access_token without expected_jkt, so a proof by ANY key
  // passes with the token (only "ath" ties them). For tools that inspect a proof without the
  // token's claims (the CLI without --jkt); a resource server must never set it.
  bool allow_unbound_access_token = false;
};

// A proof that passed every check. Only DpopVerifier can create one.
class VerifiedDpopProof {
 public:
  // RFC 7638 thumbprint of the proof's key: compare with, or bind as, "cnf"."jkt".
  const std::string& thumbprint() const { return thumbprint_; }
  // The proof's "jti", for the caller's replay cache (RFC 9449 §11.1).
  const std::string& jti() const { return jti_; }
  std::int64_t iat() const { return iat_; }
  const std::string& htm() const { return htm_; }
  // The "htu" claim as sent.
  const std::string& htu() const { return htu_; }
  const std::optional<std::string>& nonce() const { return nonce_; }
  const jose::Jwk& key() const { return key_; }

 private:
  friend class DpopVerifier;
  explicit VerifiedDpopProof(jose::Jwk key) : key_(std::move(key)) {}
  std::string thumbprint_;
  std::string jti_;
  std::int64_t iat_ = 0;
  std::string htm_;
  std::string htu_;
  std::optional<std::string> nonce_;
  jose::Jwk key_;
};

// Checks DPoP proofs (RFC 9449 §4.3). Immutable and thread-safe.
class DpopVerifier {
 public:
  // Fails with kInvalidArgument if no algorithm is allowed, HS256 is listed (RFC 9449 §4.2:
  // MAC algorithms are forbidden), a window is negative or above kMaxIatWindowSeconds, or
  // key_cache_capacity is above kMaxKeyCacheCapacity.
  static Result<DpopVerifier> Create(DpopPolicy policy);

  // Checks `proof` for a request with method `htm` and target URI `htu` (the full request
  // URI; its query and fragment are ignored). Each failure has its own code:
  //   kInputTooLarge (proof above kMaxProofBytes), kDpopMalformed (not one well-formed JWT,
  //   duplicate JSON members, a claim of the wrong type, "jti" too long), kDpopTypeInvalid,
  //   kDpopAlgNotAllowed ("none", HS256, anything not in the policy), kDpopJwkInvalid (no
  //   usable public "jwk", a private member in it, or a key that does not fit "alg"),
  //   kDpopSignatureInvalid, kDpopMethodMismatch, kDpopUriMismatch, kDpopIatOutOfWindow,
  //   kDpopJtiMissing, kDpopAthMismatch (token presented and "ath" missing or wrong, or "ath"
  //   present without a token), kDpopKeyMismatch (thumbprint differs from expected_jkt),
  //   kDpopNonceRequired (a nonce is required or expected and the proof has none: answer
  //   "use_dpop_nonce"), kDpopNonceMismatch. kInvalidArgument if `htu` itself is not an
  //   absolute http(s) URI, or if context has an access_token but no expected_jkt (and not
  //   allow_unbound_access_token): "dpop: a presented access token needs its cnf.jkt".
  Result<VerifiedDpopProof> Verify(std::string_view proof, std::string_view htm,
                                   std::string_view htu, const DpopRequestContext& context,
                                   const Clock& clock) const;

  const DpopPolicy& policy() const { return policy_; }

 private:
  explicit DpopVerifier(DpopPolicy policy);
  DpopPolicy policy_;
  // Shared by copies of this verifier; internally synchronised.
  std::shared_ptr<crypto::PublicKeyCache> key_cache_;
};

// base64url(SHA-256(ASCII(access_token))): the "ath" value (RFC 9449 §4.2).
std::string AccessTokenHash(std::string_view access_token);

}  // namespace ztm::dpop
