// JWS Compact Serialization (RFC 7515) signing and verification with ES256 (RFC 7518 §3.4,
// raw R || S), EdDSA over Ed25519 (RFC 8037 §3.1) and HS256 (RFC 7518 §3.2).
//
// Security guarantee: a VerifiedJws exists only if its signature verified under the key the
// JwsVerifier was built with, using an algorithm the caller allowed for that key. The token's
// own header never chooses the key or widens the algorithm set ("none", alg confusion).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/bytes.h"
#include "core/crypto/keys.h"
#include "core/error.h"
#include "core/jose/jwk.h"

namespace ztm::dpop {
class DpopVerifier;
}

namespace ztm::jose {

namespace internal {
struct CompactJws;
}

// Largest compact JWS a verifier accepts. Access tokens and DPoP proofs are 0.5-2 KiB, and
// common HTTP servers cap a header line at 8 KiB; 16 KiB bounds the work done before the
// signature check with room to spare.
inline constexpr std::size_t kMaxCompactJwsBytes = 16 * 1024;

enum class JwsAlgorithm {
  kEs256,  // "ES256": ECDSA P-256 SHA-256, signature R || S (64 bytes)
  kEdDsa,  // "EdDSA": Ed25519
  kHs256,  // "HS256": HMAC SHA-256; only with an explicitly allowed oct key
};

// The registered "alg" name of `algorithm` (RFC 7518 §3.1, RFC 8037 §3.1).
std::string_view JwsAlgorithmName(JwsAlgorithm algorithm);
// Parses an "alg" name. Fails with kJwsAlgNotAllowed for "none" and every name ztm does not
// implement (RS256, PS256, ES384, ES512, HS384, ...).
Result<JwsAlgorithm> ParseJwsAlgorithm(std::string_view name);

// A JWS whose signature has been verified. Only JwsVerifier can create one.
class VerifiedJws {
 public:
  const boost::json::object& header() const { return header_; }
  JwsAlgorithm algorithm() const { return algorithm_; }
  const Bytes& payload() const { return payload_; }
  std::string_view payload_text() const { return AsString(payload_); }

 private:
  friend class JwsVerifier;
  VerifiedJws(boost::json::object header, JwsAlgorithm algorithm, Bytes payload)
      : header_(std::move(header)), algorithm_(algorithm), payload_(std::move(payload)) {}
  boost::json::object header_;
  JwsAlgorithm algorithm_;
  Bytes payload_;
};

// Verifies compact JWSs under one key. Immutable and thread-safe.
class JwsVerifier {
 public:
  // Creates a verifier for `key` that accepts exactly the algorithms in `allowed`. Fails with
  // kInvalidArgument if `allowed` is empty, and with kJwsAlgNotAllowed if an algorithm does
  // not fit the key: ES256 needs an EC P-256 key, EdDSA an Ed25519 key, and HS256 an oct key
  // (so the bytes of a public key can never be used as an HMAC secret). Fails with
  // kJwkInvalid if the key's "use", "key_ops" or "alg" members forbid verifying with an
  // allowed algorithm. Private JWKs are accepted; only their public part is used.
  static Result<JwsVerifier> Create(std::vector<JwsAlgorithm> allowed, Jwk key);

  // Verifies `compact` (at most kMaxCompactJwsBytes). Fails with kInputTooLarge,
  // kJwsMalformed or kJwsHeaderInvalid (see ParseCompact in compact.h), kJwsAlgNotAllowed
  // if the header's "alg" is "none", unknown or not allowed, and kJwsSignatureInvalid if the
  // signature does not verify. Header members other than "alg", "crit" and "b64" (including
  // "jwk", "jku", "kid") are returned but never used to pick the key.
  Result<VerifiedJws> Verify(std::string_view compact) const;

  const Jwk& key() const { return key_; }

 private:
  friend class ztm::dpop::DpopVerifier;
  JwsVerifier(std::vector<JwsAlgorithm> allowed, Jwk key)
      : allowed_(std::move(allowed)), key_(std::move(key)) {}
  // Verifies an already-parsed token (lets DPoP read the header's "jwk" first).
  Result<VerifiedJws> VerifyParsed(internal::CompactJws parts) const;
  std::vector<JwsAlgorithm> allowed_;
  Jwk key_;
};

// Signs `payload` as a compact JWS. The protected header is {"alg": <alg>} followed by
// `header_members` (which must not contain "alg", "crit" or "b64"). `key` must be a private
// JWK fitting `algorithm` and permitting signing with it. Fails with kInvalidArgument or
// kJwsAlgNotAllowed otherwise.
Result<std::string> SignCompact(const boost::json::object& header_members, ByteView payload,
                                const Jwk& key, JwsAlgorithm algorithm);

// The same with a key that may not be exportable (a platform keystore's): the algorithm
// follows the signer, ES256 for an R || S P-256 signer and EdDSA for an Ed25519 one. Fails
// with kCryptoUnsupportedAlgorithm for a DER ECDSA signer (RFC 7518 §3.4: JWS ECDSA is
// R || S), kInvalidArgument for a reserved header member, and with the signer's own errors.
Result<std::string> SignCompact(const boost::json::object& header_members, ByteView payload,
                                const crypto::Signer& signer);

}  // namespace ztm::jose
