#include "server/verify/request_verifier.h"

#include <algorithm>
#include <boost/json/object.hpp>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/httpsig/content_digest.h"
#include "core/httpsig/http_message.h"
#include "core/httpsig/message_signature.h"
#include "core/httpsig/signature_base.h"
#include "core/jose/jwk.h"
#include "core/json.h"

namespace ztm::server {
namespace {

constexpr std::int64_t kMaxWindowSeconds = 3600;
constexpr std::int64_t kMaxSkewSeconds = 600;
// Separates the parts of a replay-cache key; it cannot occur in a device id, thumbprint, nonce
// (RFC 8941 String) or jti (a JSON string is possible, but the jti is last).
constexpr char kKeySeparator = '\x1f';

bool IsToken68Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

// The single value of header `name`, or nullopt; kError if it is repeated.
Result<std::optional<std::string_view>> SingleHeader(const http::Request& request,
                                                     std::string_view name, Code repeated_code,
                                                     std::string_view what) {
  std::optional<std::string_view> value;
  for (const auto& [key, field_value] : request.headers) {
    if (key != name) continue;
    if (value) return Error{repeated_code, std::string(what) + " is repeated"};
    value = field_value;
  }
  return value;
}

Error DpopError(const Error& error) {
  switch (error.code) {
    case Code::kDpopNonceRequired:
    case Code::kDpopNonceMismatch:
      return Error{Code::kUseDpopNonce, "a DPoP nonce from this server is required"};
    case Code::kDpopKeyMismatch:
      return Error{Code::kDpopProofInvalid, "DPoP proof is not signed by the token's key"};
    default:
      return Error{Code::kDpopProofInvalid, error.message};
  }
}

}  // namespace

Result<std::string_view> DpopAccessToken(std::string_view authorization) {
  // RFC 9110 §11.1: the scheme is case-insensitive; RFC 9449 §7.1 names it "DPoP".
  constexpr std::string_view kScheme = "dpop";
  if (authorization.size() <= kScheme.size() || authorization[kScheme.size()] != ' ') {
    return Error{Code::kAccessTokenInvalid, "Authorization scheme must be DPoP"};
  }
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    if (static_cast<char>(c | 0x20) != kScheme[i]) {
      return Error{Code::kAccessTokenInvalid, "Authorization scheme must be DPoP"};
    }
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
  std::size_t end = 0;
  while (end < token.size() && IsToken68Char(token[end])) ++end;
  std::size_t padded = end;
  while (padded < token.size() && token[padded] == '=') ++padded;
  if (end == 0 || padded != token.size()) {
    return Error{Code::kAccessTokenInvalid, "Authorization credentials are not a token68"};
  }
  return token;
}

Result<std::unique_ptr<RequestVerifier>> RequestVerifier::Create(
    const AccessTokenService& access_tokens, DeviceStore& devices, TokenFamilyStore& families,
    ReplayCache& replay_cache, const DpopNonceService* nonces, RequestVerifierOptions options) {
  if (options.signature_window_seconds < 1 ||
      options.signature_window_seconds > kMaxWindowSeconds || options.dpop_window_seconds < 1 ||
      options.dpop_window_seconds > kMaxWindowSeconds) {
    return Error{Code::kInvalidArgument, "verification windows must be within 1..3600 s"};
  }
  if (options.clock_skew_seconds < 0 || options.clock_skew_seconds > kMaxSkewSeconds) {
    return Error{Code::kInvalidArgument, "clock skew must be within 0..600 s"};
  }
  if (options.require_dpop_nonce && nonces == nullptr) {
    return Error{Code::kInvalidArgument, "DPoP nonces are required but no nonce service given"};
  }
  dpop::DpopPolicy policy;
  policy.max_age_seconds = options.dpop_window_seconds;
  policy.max_future_seconds = options.clock_skew_seconds;
  // Server nonces are checked here, not by DpopVerifier: a stateless nonce has two valid values
  // (this step's and the previous one's), and DpopVerifier compares against one.
  policy.require_nonce = false;
  ZTM_ASSIGN_OR_RETURN(dpop::DpopVerifier dpop_verifier, dpop::DpopVerifier::Create(policy));
  return std::unique_ptr<RequestVerifier>(new RequestVerifier(
      access_tokens, devices, families, replay_cache, nonces, options, std::move(dpop_verifier)));
}

Result<VerifiedRequest> RequestVerifier::Verify(const http::Request& request,
                                                const ClientRequest& client,
                                                const RoutePolicy& policy, std::int64_t now) const {
  VerifiedRequest verified;
  if (policy.public_route) return verified;

  // 1. Access token (RFC 9449 §7.1, RFC 9068 §4).
  ZTM_ASSIGN_OR_RETURN(
      std::optional<std::string_view> authorization,
      SingleHeader(request, "authorization", Code::kAccessTokenInvalid, "Authorization"));
  if (!authorization) {
    if (!policy.require_token) return verified;
    return Error{Code::kAccessTokenMissing, "no access token"};
  }
  ZTM_ASSIGN_OR_RETURN(std::string_view token_text, DpopAccessToken(*authorization));
  ZTM_ASSIGN_OR_RETURN(VerifiedAccessToken token, access_tokens_.Verify(token_text, now));
  const AccessTokenClaims& claims = token.claims();

  // 2. DPoP proof bound to the token and its key (RFC 9449 §4.3, §7.1).
  std::optional<dpop::VerifiedDpopProof> proof;
  if (policy.require_dpop) {
    ZTM_ASSIGN_OR_RETURN(std::optional<std::string_view> proof_text,
                         SingleHeader(request, "dpop", Code::kDpopProofInvalid, "DPoP header"));
    if (!proof_text) return Error{Code::kDpopProofInvalid, "no DPoP proof"};
    dpop::DpopRequestContext context;
    context.access_token = token_text;
    context.expected_jkt = claims.jkt;
    const std::string htu = client.scheme + "://" + client.authority + client.target;
    auto checked = dpop_verifier_.Verify(*proof_text, client.method, htu, context, FixedClock(now));
    if (!checked.ok()) return DpopError(checked.error());
    // RFC 9449 §9: the nonce must be one this server issued recently.
    if (options_.require_dpop_nonce &&
        (!checked->nonce() || !nonces_->Valid(*checked->nonce(), now))) {
      return Error{Code::kUseDpopNonce, "the DPoP nonce is stale or unknown"};
    }
    proof = std::move(checked).value();
  }

  ZTM_ASSIGN_OR_RETURN(std::optional<DeviceRecord> device, devices_.FindDevice(claims.device_id));
  if (!device) return Error{Code::kAccessTokenInvalid, "access token names an unknown device"};
  if (!ConstantTimeEqual(device->jkt, claims.jkt)) {
    return Error{Code::kAccessTokenInvalid, "access token is not bound to its device's key"};
  }

  // 3. HTTP message signature by the device key (RFC 9421 §3.2).
  httpsig::HttpRequest message;
  message.method = client.method;
  message.target = client.target;
  message.scheme = client.scheme;
  message.authority = client.authority;
  for (const auto& [name, value] : request.headers) {
    if (!message.fields.Add(name, value).ok()) {
      return Error{Code::kRequestSignatureInvalid, "request header section cannot be signed"};
    }
  }
  const bool has_body = request.HasBody();
  const bool has_digest = message.fields.Contains("content-digest");
  std::optional<httpsig::VerifiedSignature> signature;
  if (policy.require_signature) {
    if (!message.fields.Contains("signature-input") || !message.fields.Contains("signature")) {
      return Error{Code::kRequestSignatureMissing, "request has no HTTP message signature"};
    }
    ZTM_ASSIGN_OR_RETURN(boost::json::object jwk_object, json::ParseObject(device->public_jwk));
    auto device_key = jose::ParsePublicJwk(jwk_object, device_keys_.get());
    if (!device_key.ok() || device_key->public_key() == nullptr) {
      return Error{Code::kInternal, "stored device key is invalid"};
    }
    const httpsig::HttpSigAlgorithm algorithm = device_key->key_type() == jose::JwkKeyType::kEcP256
                                                    ? httpsig::HttpSigAlgorithm::kEcdsaP256Sha256
                                                    : httpsig::HttpSigAlgorithm::kEd25519;
    const FixedClock clock(now);
    httpsig::HttpSigVerifierOptions sig_options;
    sig_options.required_components = {httpsig::Component("@method"),
                                       httpsig::Component("@target-uri"),
                                       httpsig::Component("authorization")};
    if (has_body || has_digest) {
      sig_options.required_components.push_back(httpsig::Component("content-digest"));
    }
    sig_options.require_created = true;
    sig_options.max_age_seconds = options_.signature_window_seconds;
    sig_options.clock_skew_seconds = options_.clock_skew_seconds;
    sig_options.require_nonce = true;
    sig_options.required_keyid = device->device_id;
    sig_options.clock = &clock;
    // Step 5 checks the digest against the body itself, so that a tampered body has its own
    // code; in auth_request mode there is no body to check.
    sig_options.verify_content_digest = false;
    auto verifier = httpsig::HttpSigVerifier::Create(algorithm, *device_key->public_key(),
                                                     std::move(sig_options));
    if (!verifier.ok()) return Error{Code::kInternal, "cannot build the signature verifier"};
    auto checked = verifier->Verify(message);
    if (!checked.ok()) {
      return Error{Code::kRequestSignatureInvalid, "request signature: " + checked.error().message};
    }
    if (!checked->nonce() || checked->nonce()->size() > kMaxSignatureNonceBytes) {
      return Error{Code::kRequestSignatureInvalid,
                   "request signature nonce is missing or too long"};
    }
    signature = std::move(checked).value();
  }

  // 4. Replay: each signature nonce and proof jti once inside its window. An entry lives until
  // the request carrying it would fail the time check anyway.
  if (signature) {
    const std::int64_t created = *signature->created();
    const std::int64_t expires = std::max(created, now) + options_.signature_window_seconds +
                                 options_.clock_skew_seconds + 1;
    std::string key = "sig";
    key.append(1, kKeySeparator).append(device->device_id).append(1, kKeySeparator);
    key.append(*signature->nonce());
    auto inserted = replay_cache_.Insert(key, expires, now);
    if (!inserted.ok()) {
      if (inserted.code() == Code::kRequestReplayed) {
        return Error{Code::kRequestReplayed, "request signature nonce was already used"};
      }
      return std::move(inserted).error();
    }
  }
  if (proof) {
    const std::int64_t expires = std::max(proof->iat(), now) + options_.dpop_window_seconds +
                                 options_.clock_skew_seconds + 1;
    std::string key = "dpop";
    key.append(1, kKeySeparator).append(proof->thumbprint()).append(1, kKeySeparator);
    key.append(proof->jti());
    auto inserted = replay_cache_.Insert(key, expires, now);
    if (!inserted.ok()) {
      if (inserted.code() == Code::kRequestReplayed) {
        return Error{Code::kRequestReplayed, "DPoP proof jti was already used"};
      }
      return std::move(inserted).error();
    }
  }

  // 5. Content-Digest against the body (RFC 9530 §2). The signature covered the field, so a
  // matching digest binds the body to the signature.
  if (has_digest) {
    verified.content_digest_ = *request.CombinedHeader("content-digest");
  }
  if (options_.mode == GatewayMode::kReverseProxy && (has_body || has_digest)) {
    if (!has_digest) {
      return Error{Code::kContentDigestMismatch, "request has a body but no Content-Digest"};
    }
    if (request.body_stream != nullptr) {
      // The body is still arriving: the field is checked now, the bytes as they stream.
      auto checker = httpsig::ContentDigestChecker::Create(*verified.content_digest_);
      if (!checker.ok()) {
        return Error{Code::kContentDigestMismatch, "Content-Digest: " + checker.error().message};
      }
      verified.streamed_body_check_ =
          std::make_shared<httpsig::ContentDigestChecker>(std::move(checker).value());
    } else {
      auto digest = httpsig::VerifyContentDigest(*verified.content_digest_, AsBytes(request.body));
      if (!digest.ok()) {
        return Error{Code::kContentDigestMismatch, "Content-Digest: " + digest.error().message};
      }
    }
  }

  // 6. Device not revoked.
  if (device->revoked_at) return Error{Code::kDeviceRevoked, "the device is revoked"};
  // 6b. Session not revoked: logout, refresh-token reuse or revocation ends the session's
  // access tokens now, not at their exp. Read from the store on every request (an indexed
  // primary-key lookup); a revocation is never cached as a live session.
  ZTM_ASSIGN_OR_RETURN(std::optional<TokenFamily> family, families_.FindFamily(claims.session_id));
  if (!family || family->revoked_at) {
    return Error{Code::kSessionRevoked, "session revoked"};
  }

  // 7. Route policy.
  if (!policy.methods.empty() && std::find(policy.methods.begin(), policy.methods.end(),
                                           client.method) == policy.methods.end()) {
    return Error{Code::kMethodNotAllowed, "method not allowed on this route"};
  }
  if (policy.required_acr && claims.acr != *policy.required_acr) {
    return Error{Code::kInsufficientUserAuthentication,
                 "this route needs a stronger user authentication"};
  }

  verified.authenticated_ = true;
  verified.subject_ = claims.subject;
  verified.device_id_ = claims.device_id;
  verified.acr_ = claims.acr;
  verified.jkt_ = claims.jkt;
  verified.token_jti_ = token.jti();
  verified.session_id_ = claims.session_id;
  return verified;
}

}  // namespace ztm::server
