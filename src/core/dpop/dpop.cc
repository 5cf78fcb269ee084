// DPoP proof creation and the RFC 9449 §4.3 checks.
#include "core/dpop/dpop.h"

#include <algorithm>
#include <utility>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "core/jose/compact.h"
#include "core/json.h"

namespace ztm::dpop {
namespace {

namespace bj = boost::json;

// RFC 9449 §4.2 recommends at least 96 bits of randomness in "jti"; ztm uses 128.
constexpr std::size_t kGeneratedJtiBytes = 16;

Error Fail(Code code, std::string message) { return Error{code, "dpop: " + std::move(message)}; }

// RFC 9110 §5.6.2: method = token = 1*tchar.
bool IsHttpToken(std::string_view text) {
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           kSymbols.find(c) != std::string_view::npos;
  });
}

// RFC 9449 §8.1: nonce = 1*NQCHAR, NQCHAR = %x21 / %x23-5B / %x5D-7E.
bool IsNonceSyntax(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\';
  });
}

const char* DefaultPort(std::string_view scheme) { return scheme == "https" ? "443" : "80"; }

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 §6.2.2.2: uppercase the hex of every percent-encoding, and decode those that
// encode unreserved characters (ALPHA / DIGIT / "-" / "." / "_" / "~", §2.3). Reserved
// characters stay encoded: "%2F" is not "/".
std::string NormalizePercentEncoding(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    int high = -1, low = -1;
    if (text[i] == '%' && i + 2 < text.size()) {
      high = HexValue(text[i + 1]);
      low = HexValue(text[i + 2]);
    }
    if (high < 0 || low < 0) {
      out.push_back(text[i]);
      continue;
    }
    const char decoded = static_cast<char>(high * 16 + low);
    const bool unreserved = (decoded >= 'a' && decoded <= 'z') ||
                            (decoded >= 'A' && decoded <= 'Z') ||
                            (decoded >= '0' && decoded <= '9') || decoded == '-' ||
                            decoded == '.' || decoded == '_' || decoded == '~';
    if (unreserved) {
      out.push_back(decoded);
    } else {
      out.push_back('%');
      out.push_back(kHex[high]);
      out.push_back(kHex[low]);
    }
    i += 2;
  }
  return out;
}

// RFC 3986 §5.2.4 remove_dot_segments.
std::string RemoveDotSegments(std::string_view input) {
  std::string output;
  const auto drop_last_segment = [&output] {
    std::size_t slash = output.rfind('/');
    output.erase(slash == std::string::npos ? 0 : slash);
  };
  while (!input.empty()) {
    if (input.substr(0, 3) == "../") {
      input.remove_prefix(3);
    } else if (input.substr(0, 2) == "./") {
      input.remove_prefix(2);
    } else if (input.substr(0, 3) == "/./") {
      input.remove_prefix(2);
    } else if (input == "/.") {
      input = "/";
    } else if (input.substr(0, 4) == "/../") {
      input.remove_prefix(3);
      drop_last_segment();
    } else if (input == "/..") {
      input = "/";
      drop_last_segment();
    } else if (input == "." || input == "..") {
      input = {};
    } else {
      std::size_t end = input.find('/', input.front() == '/' ? 1 : 0);
      if (end == std::string_view::npos) end = input.size();
      output.append(input.substr(0, end));
      input.remove_prefix(end);
    }
  }
  return output;
}

// now - max_age <= iat <= now + max_future, for any int64 `iat` and `now` (both come from
// outside: the proof and the clock). The windows are 0..kMaxIatWindowSeconds (Create), so
// the bounds are computed only when they cannot overflow; otherwise the window reaches past
// the int64 range on that side and every iat there is inside it.
bool IatInWindow(std::int64_t iat, std::int64_t now, std::int64_t max_age,
                 std::int64_t max_future) {
  std::int64_t earliest = 0;
  std::int64_t latest = 0;
  if (!__builtin_sub_overflow(now, max_age, &earliest) && iat < earliest) return false;
  if (!__builtin_add_overflow(now, max_future, &latest) && iat > latest) return false;
  return true;
}

// Maps a JWS parse/verify failure to the DPoP code a gateway reports.
Error FromJwsError(const Error& error) {
  switch (error.code) {
    case Code::kInputTooLarge:
      return error;
    case Code::kJwsAlgNotAllowed:
      return Fail(Code::kDpopAlgNotAllowed, error.message);
    case Code::kJwsSignatureInvalid:
      return Fail(Code::kDpopSignatureInvalid, "proof signature is not valid");
    default:
      return Fail(Code::kDpopMalformed, error.message);
  }
}

}  // namespace

std::string AccessTokenHash(std::string_view access_token) {
  return Base64UrlEncode(crypto::Sha256(access_token));
}

Result<std::string> NormalizeHtu(std::string_view uri) {
  const auto invalid = [](const char* why) {
    return Error{Code::kInvalidArgument, std::string("dpop: URI ") + why};
  };
  if (uri.size() > kMaxUriBytes) return invalid("is too long");
  // Boost.URL parses; the normalisation is done here, component by component, because
  // url::normalize() in Boost 1.81 also decodes reserved characters ("%2F" -> "/"), which
  // would make two different resources compare equal.
  auto parsed = boost::urls::parse_uri(uri);
  if (!parsed) return invalid("is not an absolute URI (RFC 3986 §4.3)");
  const boost::urls::url_view& url = *parsed;

  // RFC 3986 §6.2.2.1: scheme and host are case-insensitive; lowercase them.
  std::string scheme = AsciiLower(url.scheme());
  if (scheme != "http" && scheme != "https") return invalid("is not http or https");
  if (!url.has_authority() || url.encoded_host().empty()) return invalid("has no host");
  // RFC 9110 §4.2.4: senders MUST NOT generate userinfo in http(s) URIs.
  if (url.has_userinfo()) return invalid("contains userinfo");
  std::string host = AsciiLower(url.encoded_host_address());
  if (url.host_type() == boost::urls::host_type::ipv6 ||
      url.host_type() == boost::urls::host_type::ipvfuture) {
    host = "[" + host + "]";
  }
  // Percent-encoded host names are legal but never needed for HTTP; refusing them removes
  // a second spelling of every host.
  if (host.find('%') != std::string::npos) return invalid("has a percent-encoded host");

  // RFC 3986 §3.3: with an authority the path is empty or starts with "/". Boost.URL 1.81
  // ends the port at its first non-digit and parses the rest as a rootless path, so
  // "https://api.exa:mple.com/x" would come out as host "api.exa", port "" and path
  // "mple.com/x", and be rebuilt as "https://api.example.com/x": another host.
  const std::string_view encoded_path = url.encoded_path();
  if (!encoded_path.empty() && encoded_path.front() != '/') {
    return invalid(url.has_port() ? "has a port that is not a decimal number (RFC 3986 §3.2.3)"
                                  : "has a path that does not start with \"/\"");
  }

  // RFC 3986 §3.2.3 port = *DIGIT, and TCP ports are 0..65535. §6.2.3: an empty port or the
  // scheme's default port is the same URI without it.
  std::string port;
  if (url.has_port()) {
    std::string_view digits = url.port();
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return invalid("has a port that is not a decimal number (RFC 3986 §3.2.3)");
    }
    while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
    if (digits.size() > 5 || (digits.size() == 5 && digits > "65535")) {
      return invalid("has a port out of range (0-65535)");
    }
    if (!digits.empty() && digits != DefaultPort(scheme)) port = ":" + std::string(digits);
  }

  // RFC 3986 §6.2.2.2 then §6.2.2.3; an empty path is "/" (§6.2.3).
  std::string path = RemoveDotSegments(NormalizePercentEncoding(encoded_path));
  if (path.empty()) path = "/";
  // Query and fragment are not part of "htu" (RFC 9449 §4.2, §4.3 point 9).
  return scheme + "://" + host + port + path;
}

Result<std::string> CreateProof(const crypto::PrivateKey& key, const ProofInput& input) {
  ZTM_ASSIGN_OR_RETURN(
      const crypto::PrivateKeySigner signer,
      crypto::PrivateKeySigner::Create(key, crypto::RawSignatureAlgorithmFor(key.type())));
  return CreateProof(signer, input);
}

Result<std::string> CreateProof(const crypto::Signer& signer, const ProofInput& input) {
  // RFC 7518 §3.4: a JWS ECDSA signature is R || S, never DER.
  if (signer.algorithm() == crypto::SignatureAlgorithm::kEcdsaP256Sha256Der) {
    return Error{Code::kCryptoUnsupportedAlgorithm, "dpop: ES256 needs an R || S signer"};
  }
  if (!IsHttpToken(input.htm)) {
    return Error{Code::kInvalidArgument, "dpop: htm must be an HTTP method token"};
  }
  ZTM_RETURN_IF_ERROR(NormalizeHtu(input.htu));
  // Sign the URI as given minus query and fragment (RFC 9449 §4.2); the verifier
  // normalises both sides, so the client's spelling need not be canonical.
  std::string_view given = input.htu;
  given = given.substr(0, std::min(given.find('?'), given.find('#')));
  std::string jti = input.jti;
  if (jti.empty()) jti = Base64UrlEncode(crypto::RandomBytes(kGeneratedJtiBytes));
  if (jti.size() > kMaxJtiBytes) return Error{Code::kInvalidArgument, "dpop: jti is too long"};
  if (input.nonce && (input.nonce->size() > kMaxNonceBytes || !IsNonceSyntax(*input.nonce))) {
    return Error{Code::kInvalidArgument, "dpop: nonce is not valid (RFC 9449 §8.1)"};
  }

  // RFC 9449 §4.2: the header names the algorithm (SignCompact adds it from the signer), the
  // type and the public key.
  ZTM_ASSIGN_OR_RETURN(bj::object public_jwk,
                       jose::Jwk::FromPublicKey(signer.public_key()).ToPublicObject());
  bj::object header;
  header["typ"] = kProofType;
  header["jwk"] = std::move(public_jwk);

  bj::object claims;
  claims["jti"] = jti;
  claims["htm"] = input.htm;
  claims["htu"] = std::string(given);
  claims["iat"] = input.iat;
  if (input.access_token) claims["ath"] = AccessTokenHash(*input.access_token);
  if (input.nonce) claims["nonce"] = *input.nonce;

  auto proof = jose::SignCompact(header, AsBytes(json::Serialize(claims)), signer);
  if (!proof.ok()) {
    return Error{proof.code(), "dpop: signing the proof failed: " + proof.error().message};
  }
  return proof;
}

DpopVerifier::DpopVerifier(DpopPolicy policy)
    : policy_(std::move(policy)),
      key_cache_(policy_.key_cache_capacity == 0
                     ? nullptr
                     : std::make_shared<crypto::PublicKeyCache>(policy_.key_cache_capacity)) {}

Result<DpopVerifier> DpopVerifier::Create(DpopPolicy policy) {
  if (policy.allowed_algorithms.empty()) {
    return Error{Code::kInvalidArgument, "dpop: no algorithm is allowed"};
  }
  for (jose::JwsAlgorithm algorithm : policy.allowed_algorithms) {
    // RFC 9449 §4.2: "alg" MUST NOT be none or a MAC algorithm.
    if (algorithm == jose::JwsAlgorithm::kHs256) {
      return Error{Code::kInvalidArgument, "dpop: MAC algorithms cannot sign DPoP proofs"};
    }
  }
  const auto in_range = [](std::int64_t seconds) {
    return seconds >= 0 && seconds <= kMaxIatWindowSeconds;
  };
  if (!in_range(policy.max_age_seconds) || !in_range(policy.max_future_seconds)) {
    return Error{Code::kInvalidArgument, "dpop: iat window must be within 0..3600 seconds"};
  }
  if (policy.key_cache_capacity > kMaxKeyCacheCapacity) {
    return Error{Code::kInvalidArgument, "dpop: key cache capacity must be at most " +
                                             std::to_string(kMaxKeyCacheCapacity)};
  }
  return DpopVerifier(std::move(policy));
}

Result<VerifiedDpopProof> DpopVerifier::Verify(std::string_view proof, std::string_view htm,
                                               std::string_view htu,
                                               const DpopRequestContext& context,
                                               const Clock& clock) const {
  ZTM_ASSIGN_OR_RETURN(std::string request_uri, NormalizeHtu(htu));
  // §4.3 point 12 and §6: a DPoP-bound token is usable only with a proof by its key. Without
  // the token's "cnf"."jkt" any key's proof would pass, so the caller must supply it or opt
  // out by name.
  if (context.access_token && !context.expected_jkt && !context.allow_unbound_access_token) {
    return Error{Code::kInvalidArgument, "dpop: a presented access token needs its cnf.jkt"};
  }

  // §4.3 point 2: a single well-formed JWT.
  auto parsed = jose::internal::ParseCompact(proof, kMaxProofBytes);
  if (!parsed.ok()) return FromJwsError(parsed.error());
  jose::internal::CompactJws parts = std::move(parsed).value();

  // §4.3 point 4 and §11.5: explicit typing.
  const bj::value* typ = parts.header.if_contains("typ");
  if (typ == nullptr || !typ->is_string() ||
      !jose::internal::TypeHeaderMatches(typ->as_string(), kProofType)) {
    return Fail(Code::kDpopTypeInvalid, "typ header must be \"dpop+jwt\"");
  }
  // §4.3 point 5: an allowed asymmetric algorithm, never none or a MAC.
  auto algorithm = jose::ParseJwsAlgorithm(parts.alg);
  if (!algorithm.ok()) return FromJwsError(algorithm.error());
  if (std::find(policy_.allowed_algorithms.begin(), policy_.allowed_algorithms.end(), *algorithm) ==
      policy_.allowed_algorithms.end()) {
    return Fail(Code::kDpopAlgNotAllowed,
                "algorithm " + std::string(jose::JwsAlgorithmName(*algorithm)) + " is not allowed");
  }
  // §4.3 point 7: "jwk" is a public key. ParsePublicJwk refuses any private member, and oct
  // keys (whose "k" is private) with it.
  const bj::value* jwk_value = parts.header.if_contains("jwk");
  if (jwk_value == nullptr || !jwk_value->is_object()) {
    return Fail(Code::kDpopJwkInvalid, "header has no \"jwk\" object");
  }
  auto jwk = jose::ParsePublicJwk(jwk_value->as_object(), key_cache_.get());
  if (!jwk.ok()) return Fail(Code::kDpopJwkInvalid, jwk.error().message);
  auto jws_verifier = jose::JwsVerifier::Create({*algorithm}, *jwk);
  if (!jws_verifier.ok()) return Fail(Code::kDpopJwkInvalid, jws_verifier.error().message);

  // §4.3 point 6: the signature verifies with that key.
  auto verified = jws_verifier->VerifyParsed(std::move(parts));
  if (!verified.ok()) return FromJwsError(verified.error());

  // §4.3 point 3: required claims, strictly typed.
  auto claims_result = json::ParseObject(verified->payload_text());
  if (!claims_result.ok()) {
    return Fail(Code::kDpopMalformed,
                "claims are not a JSON object: " + claims_result.error().message);
  }
  const bj::object& claims = *claims_result;
  auto string_claim = [&](std::string_view name) -> Result<std::optional<std::string>> {
    auto value = json::GetString(claims, name);
    if (!value.ok()) return Fail(Code::kDpopMalformed, value.error().message);
    return std::move(value).value();
  };
  ZTM_ASSIGN_OR_RETURN(std::optional<std::string> jti, string_claim("jti"));
  ZTM_ASSIGN_OR_RETURN(std::optional<std::string> claim_htm, string_claim("htm"));
  ZTM_ASSIGN_OR_RETURN(std::optional<std::string> claim_htu, string_claim("htu"));
  ZTM_ASSIGN_OR_RETURN(std::optional<std::string> ath, string_claim("ath"));
  ZTM_ASSIGN_OR_RETURN(std::optional<std::string> nonce, string_claim("nonce"));
  const bj::value* iat_value = claims.if_contains("iat");
  if (iat_value == nullptr) return Fail(Code::kDpopMalformed, "missing claim \"iat\"");
  if (!iat_value->is_int64()) return Fail(Code::kDpopMalformed, "claim \"iat\" must be an integer");
  const std::int64_t iat = iat_value->as_int64();

  if (!jti || jti->empty()) return Fail(Code::kDpopJtiMissing, "missing claim \"jti\"");
  if (jti->size() > kMaxJtiBytes) return Fail(Code::kDpopMalformed, "claim \"jti\" is too long");
  if (!claim_htm) return Fail(Code::kDpopMalformed, "missing claim \"htm\"");
  if (!claim_htu) return Fail(Code::kDpopMalformed, "missing claim \"htu\"");

  // §4.3 point 8: methods are case-sensitive (RFC 9110 §9.1).
  if (*claim_htm != htm) return Fail(Code::kDpopMethodMismatch, "htm does not match the request");
  // §4.3 point 9, with the normalisation its note recommends.
  auto claimed_uri = NormalizeHtu(*claim_htu);
  if (!claimed_uri.ok() || *claimed_uri != request_uri) {
    return Fail(Code::kDpopUriMismatch, "htu does not match the request URI");
  }
  // §4.3 point 11 and §11.1: creation time within the window.
  if (!IatInWindow(iat, clock.NowSeconds(), policy_.max_age_seconds, policy_.max_future_seconds)) {
    return Fail(Code::kDpopIatOutOfWindow, "iat is outside the accepted window");
  }
  // §4.3 point 12 and §7: "ath" binds the proof to the presented access token, so a proof
  // made for a token cannot be used without it, nor with another.
  if (context.access_token) {
    if (!ath) return Fail(Code::kDpopAthMismatch, "missing claim \"ath\" for the access token");
    if (!ConstantTimeEqual(*ath, AccessTokenHash(*context.access_token))) {
      return Fail(Code::kDpopAthMismatch, "ath does not match the access token");
    }
  } else if (ath) {
    return Fail(Code::kDpopAthMismatch, "proof has \"ath\" but no access token was presented");
  }
  // §4.3 point 12 and §6: the token's key is the proof's key.
  const std::string thumbprint = jwk->Thumbprint();
  if (context.expected_jkt && !ConstantTimeEqual(thumbprint, *context.expected_jkt)) {
    return Fail(Code::kDpopKeyMismatch, "proof key does not match the token's cnf.jkt");
  }
  // §4.3 point 10, §8 and §11.3: once a nonce is in play a proof without it is refused.
  if (context.expected_nonce) {
    if (!nonce) return Fail(Code::kDpopNonceRequired, "proof has no nonce");
    if (!ConstantTimeEqual(*nonce, *context.expected_nonce)) {
      return Fail(Code::kDpopNonceMismatch, "nonce does not match");
    }
  } else if (policy_.require_nonce) {
    return Fail(Code::kDpopNonceRequired, "a server nonce is required");
  }

  VerifiedDpopProof result(std::move(jwk).value());
  result.thumbprint_ = thumbprint;
  result.jti_ = std::move(*jti);
  result.iat_ = iat;
  result.htm_ = std::move(*claim_htm);
  result.htu_ = std::move(*claim_htu);
  result.nonce_ = std::move(nonce);
  return result;
}

}  // namespace ztm::dpop
