// JSON Web Keys (RFC 7517) for the key types ztm signs with: EC P-256 (RFC 7518 §6.2), OKP
// Ed25519 (RFC 8037 §2) and oct HMAC secrets (RFC 7518 §6.4), with RFC 7638 thumbprints.
//
// A Jwk is parsed once, strictly, into crypto key objects and kept: verifiers hold Jwk values
// and never re-parse key material per signature.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/bytes.h"
#include "core/crypto/keys.h"
#include "core/crypto/public_key_cache.h"
#include "core/error.h"

namespace ztm::jose {

// A JWK is a few hundred bytes; 8 KiB leaves room for long "kid"s and x5c-free metadata
// while bounding what an attacker-supplied key (a DPoP "jwk" header) can make us parse.
inline constexpr std::size_t kMaxJwkBytes = 8 * 1024;

// HMAC keys must be at least as long as the hash output (RFC 7518 §3.2).
inline constexpr std::size_t kMinHmacKeyBytes = 32;
// Upper bound on an oct key: far above any real HMAC secret, bounds the decoder.
inline constexpr std::size_t kMaxHmacKeyBytes = 1024;

enum class JwkKeyType {
  kEcP256,   // "kty":"EC", "crv":"P-256"
  kEd25519,  // "kty":"OKP", "crv":"Ed25519"
  kOct,      // "kty":"oct" (HMAC secret)
};

// What a key may be used for, per its "use" (RFC 7517 §4.2) and "key_ops" (§4.3) members.
enum class KeyOperation { kSign, kVerify };

// An immutable, validated JSON Web Key. Copying shares the underlying key objects.
class Jwk {
 public:
  // Wraps an existing key. The result has no "kid", "alg", "use" or "key_ops".
  static Jwk FromPublicKey(const crypto::PublicKey& key);
  static Jwk FromPrivateKey(const crypto::PrivateKey& key);
  // Wraps an HMAC secret as an oct key. Fails with kJwkInvalid if it is shorter than
  // kMinHmacKeyBytes or longer than kMaxHmacKeyBytes.
  static Result<Jwk> FromSecret(Secret secret);

  JwkKeyType key_type() const { return type_; }
  // True for oct keys and for EC/OKP keys that carry "d".
  bool is_private() const { return private_key_.has_value() || type_ == JwkKeyType::kOct; }

  // The public key (EC/OKP only; nullptr for oct).
  const crypto::PublicKey* public_key() const { return public_key_ ? &*public_key_ : nullptr; }
  // The private key (EC/OKP private JWKs only; nullptr otherwise).
  const crypto::PrivateKey* private_key() const { return private_key_ ? &*private_key_ : nullptr; }
  // The HMAC secret (oct only; nullptr otherwise). WARNING: secret material.
  const Secret* secret() const { return type_ == JwkKeyType::kOct ? &secret_ : nullptr; }

  // Optional metadata members (RFC 7517 §4), type-checked at parse time.
  const std::optional<std::string>& kid() const { return kid_; }
  const std::optional<std::string>& alg() const { return alg_; }
  const std::optional<std::string>& use() const { return use_; }
  const std::optional<std::vector<std::string>>& key_ops() const { return key_ops_; }

  // Checks that the key's "use", "key_ops" and "alg" members (when present) permit
  // `operation` with the JWS algorithm named `alg_name`. Fails with kJwkInvalid otherwise.
  Status PermitsSignatureUse(KeyOperation operation, std::string_view alg_name) const;

  // RFC 7638 JWK SHA-256 Thumbprint, base64url: SHA-256 over the required members only, in
  // lexicographic order, without whitespace (§3.2). For oct keys this hashes the secret.
  std::string Thumbprint() const;

  // The public members (kty, crv, x[, y]) plus kid/alg/use/key_ops when set. Fails with
  // kInvalidArgument for oct keys, which have no public form.
  Result<boost::json::object> ToPublicObject() const;
  // The public members plus "d" (or "kty" and "k" for oct), with kid/alg/use/key_ops when
  // set. WARNING: the result holds secret material; fails with kInvalidArgument if this key
  // is public only.
  Result<boost::json::object> ToPrivateObject() const;

 private:
  friend Result<Jwk> ParsePublicJwk(const boost::json::object& object,
                                    crypto::PublicKeyCache* cache);
  friend Result<Jwk> ParsePrivateJwk(const boost::json::object& object);
  static Result<Jwk> Parse(const boost::json::object& object, bool private_form,
                           crypto::PublicKeyCache* cache);
  explicit Jwk(JwkKeyType type) : type_(type) {}
  // Adds kid, alg, use and key_ops (those that are set) to `object`.
  void AddMetadata(boost::json::object& object) const;

  JwkKeyType type_;
  std::optional<crypto::PublicKey> public_key_;
  std::optional<crypto::PrivateKey> private_key_;
  Secret secret_;
  std::optional<std::string> kid_;
  std::optional<std::string> alg_;
  std::optional<std::string> use_;
  std::optional<std::vector<std::string>> key_ops_;
};

// Parses a public JWK (EC P-256 or OKP Ed25519). Fails with kJwkPrivateMember if any private
// member is present ("d", or the RSA/oct private members "p", "q", "dp", "dq", "qi", "oth",
// "k"), kJwkInvalid for a missing or mistyped member, an unsupported kty/crv, base64url that
// is not strictly canonical, a coordinate of the wrong length or a point not on the curve.
// Unknown members are ignored, as RFC 7517 §4 requires.
//
// With a `cache`, every member is still validated, but the key material is imported into an
// OpenSSL key only the first time it is seen (the cache is keyed by the exact key bytes).
Result<Jwk> ParsePublicJwk(const boost::json::object& object,
                           crypto::PublicKeyCache* cache = nullptr);
Result<Jwk> ParsePublicJwk(std::string_view json_text);

// Parses a private JWK: EC P-256 or OKP Ed25519 with "d" (checked against the public members:
// a "d" that does not derive "x"/"y" is kJwkInvalid), or an oct key with "k".
Result<Jwk> ParsePrivateJwk(const boost::json::object& object);
Result<Jwk> ParsePrivateJwk(std::string_view json_text);

// Parses either kind: private when the object has "d" or "k", public otherwise. For callers
// (the CLI's thumbprint verb) that accept both; verifiers use ParsePublicJwk.
Result<Jwk> ParseAnyJwk(std::string_view json_text);

// The RFC 7638 thumbprint input for a key given by its required members, for tests and for
// key types ztm does not otherwise support: SHA-256 of `canonical_json`, base64url.
std::string ThumbprintOfCanonicalJson(std::string_view canonical_json);

}  // namespace ztm::jose
