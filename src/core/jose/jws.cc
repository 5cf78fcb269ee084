// JWS compact signing and verification (RFC 7515 §5.1, §5.2).
#include "core/jose/jws.h"

#include <algorithm>
#include <utility>

#include <boost/json/value.hpp>

#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "core/jose/compact.h"
#include "core/json.h"
#include "core/text.h"

namespace ztm::jose {
namespace {

namespace bj = boost::json;

// The key type each asymmetric algorithm needs; HS256 needs an oct key.
bool AlgorithmFitsKey(JwsAlgorithm algorithm, JwkKeyType type) {
  switch (algorithm) {
    case JwsAlgorithm::kEs256:
      return type == JwkKeyType::kEcP256;
    case JwsAlgorithm::kEdDsa:
      return type == JwkKeyType::kEd25519;
    case JwsAlgorithm::kHs256:
      return type == JwkKeyType::kOct;
  }
  return false;
}

crypto::SignatureAlgorithm SignatureAlgorithmFor(JwsAlgorithm algorithm) {
  // RFC 7518 §3.4: the JWS ECDSA signature is R || S, not DER.
  return algorithm == JwsAlgorithm::kEs256 ? crypto::SignatureAlgorithm::kEcdsaP256Sha256Raw
                                           : crypto::SignatureAlgorithm::kEd25519;
}

Error KeyMismatch(JwsAlgorithm algorithm) {
  return Error{
      Code::kJwsAlgNotAllowed,
      "jws: algorithm " + std::string(JwsAlgorithmName(algorithm)) + " does not fit the key type"};
}

}  // namespace

std::string_view JwsAlgorithmName(JwsAlgorithm algorithm) {
  switch (algorithm) {
    case JwsAlgorithm::kEs256:
      return "ES256";
    case JwsAlgorithm::kEdDsa:
      return "EdDSA";
    case JwsAlgorithm::kHs256:
      return "HS256";
  }
  return "";
}

Result<JwsAlgorithm> ParseJwsAlgorithm(std::string_view name) {
  // Exact, case-sensitive names (RFC 7515 §4.1.1: "alg" values are case-sensitive).
  if (name == "ES256") return JwsAlgorithm::kEs256;
  if (name == "EdDSA") return JwsAlgorithm::kEdDsa;
  if (name == "HS256") return JwsAlgorithm::kHs256;
  // A header is attacker-controlled: the name is shown bounded and escaped.
  return Error{Code::kJwsAlgNotAllowed,
               "jws: algorithm \"" + ForMessage(name) + "\" is not allowed"};
}

Result<JwsVerifier> JwsVerifier::Create(std::vector<JwsAlgorithm> allowed, Jwk key) {
  if (allowed.empty()) {
    return Error{Code::kInvalidArgument, "jws: the allowed algorithm list is empty"};
  }
  for (JwsAlgorithm algorithm : allowed) {
    if (!AlgorithmFitsKey(algorithm, key.key_type())) return KeyMismatch(algorithm);
    ZTM_RETURN_IF_ERROR(
        key.PermitsSignatureUse(KeyOperation::kVerify, JwsAlgorithmName(algorithm)));
  }
  return JwsVerifier(std::move(allowed), std::move(key));
}

Result<VerifiedJws> JwsVerifier::Verify(std::string_view compact) const {
  ZTM_ASSIGN_OR_RETURN(internal::CompactJws parts,
                       internal::ParseCompact(compact, kMaxCompactJwsBytes));
  return VerifyParsed(std::move(parts));
}

Result<VerifiedJws> JwsVerifier::VerifyParsed(internal::CompactJws parts) const {
  ZTM_ASSIGN_OR_RETURN(JwsAlgorithm algorithm, ParseJwsAlgorithm(parts.alg));
  if (std::find(allowed_.begin(), allowed_.end(), algorithm) == allowed_.end()) {
    return Error{Code::kJwsAlgNotAllowed,
                 "jws: algorithm " + std::string(JwsAlgorithmName(algorithm)) + " is not allowed"};
  }
  // The factory checked that every allowed algorithm fits key_; the key type therefore
  // decides which branch runs, never the header.
  Status verified = OkStatus();
  if (algorithm == JwsAlgorithm::kHs256) {
    verified = crypto::HmacVerify(crypto::HashAlgorithm::kSha256, key_.secret()->view(),
                                  AsBytes(parts.signing_input), parts.signature);
  } else {
    verified = key_.public_key()->Verify(SignatureAlgorithmFor(algorithm),
                                         AsBytes(parts.signing_input), parts.signature);
  }
  if (!verified.ok()) {
    // One message for every failure (Tink): no oracle on why a signature was refused.
    return Error{Code::kJwsSignatureInvalid, "jws: signature is not valid"};
  }
  return VerifiedJws(std::move(parts.header), algorithm, std::move(parts.payload));
}

namespace {

// RFC 7515 §5.1: the compact serialization of `payload` under a header of "alg" plus
// `header_members`, signed over ASCII(BASE64URL(UTF8(header)) || '.' || BASE64URL(payload)) by
// `sign`.
template <class SignFunction>
Result<std::string> SignCompactWith(const bj::object& header_members, ByteView payload,
                                    JwsAlgorithm algorithm, SignFunction sign) {
  for (std::string_view reserved : {"alg", "crit", "b64"}) {
    if (header_members.contains(reserved)) {
      return Error{Code::kInvalidArgument,
                   "jws: header member \"" + std::string(reserved) + "\" cannot be set here"};
    }
  }
  bj::object header;
  header["alg"] = JwsAlgorithmName(algorithm);
  for (const auto& member : header_members) header[member.key()] = member.value();
  std::string compact = Base64UrlEncode(json::Serialize(header)) + "." + Base64UrlEncode(payload);
  ZTM_ASSIGN_OR_RETURN(Bytes signature, sign(AsBytes(compact)));
  compact += ".";
  compact += Base64UrlEncode(signature);
  return compact;
}

}  // namespace

Result<std::string> SignCompact(const bj::object& header_members, ByteView payload, const Jwk& key,
                                JwsAlgorithm algorithm) {
  if (!AlgorithmFitsKey(algorithm, key.key_type())) return KeyMismatch(algorithm);
  if (!key.is_private()) {
    return Error{Code::kInvalidArgument, "jws: signing needs a private key"};
  }
  ZTM_RETURN_IF_ERROR(key.PermitsSignatureUse(KeyOperation::kSign, JwsAlgorithmName(algorithm)));
  return SignCompactWith(
      header_members, payload, algorithm, [&](ByteView signing_input) -> Result<Bytes> {
        if (algorithm == JwsAlgorithm::kHs256) {
          return crypto::HmacSha256(key.secret()->view(), signing_input);
        }
        return key.private_key()->Sign(SignatureAlgorithmFor(algorithm), signing_input);
      });
}

Result<std::string> SignCompact(const bj::object& header_members, ByteView payload,
                                const crypto::Signer& signer) {
  JwsAlgorithm algorithm;
  switch (signer.algorithm()) {
    case crypto::SignatureAlgorithm::kEcdsaP256Sha256Raw:
      algorithm = JwsAlgorithm::kEs256;
      break;
    case crypto::SignatureAlgorithm::kEd25519:
      algorithm = JwsAlgorithm::kEdDsa;
      break;
    default:
      return Error{Code::kCryptoUnsupportedAlgorithm, "jws: ES256 needs an R || S signer"};
  }
  return SignCompactWith(header_members, payload, algorithm,
                         [&](ByteView signing_input) { return signer.Sign(signing_input); });
}

}  // namespace ztm::jose
