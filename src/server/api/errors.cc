#include "server/api/errors.h"

#include <boost/json/object.hpp>

#include "core/json.h"

namespace ztm::server {
namespace {

struct Shape {
  int status;
  // RFC 6750 / RFC 9449 error code for WWW-Authenticate; nullptr: no error parameter; empty:
  // no challenge at all.
  const char* challenge_error;
};

// RFC 9110 §15.5.2: a 401 must carry a WWW-Authenticate challenge.
Shape VerificationShape(Code code) {
  switch (code) {
    case Code::kAccessTokenMissing:
      // RFC 6750 §3.1: no error code when the request has no authentication at all.
      return {401, nullptr};
    case Code::kAccessTokenInvalid:
    case Code::kAccessTokenExpired:
      return {401, "invalid_token"};
    case Code::kDpopProofInvalid:
      return {401, "invalid_dpop_proof"};
    case Code::kUseDpopNonce:
      return {401, "use_dpop_nonce"};  // RFC 9449 §9
    case Code::kRequestSignatureMissing:
    case Code::kRequestSignatureInvalid:
    case Code::kRequestReplayed:
    case Code::kAttestationCounterNotIncreasing:  // a replayed App Attest assertion
      // RFC 9421 defines no challenge; the request is not authenticated, so 401 with the
      // DPoP scheme's generic invalid_request.
      return {401, "invalid_request"};
    case Code::kInsufficientUserAuthentication:
      return {403, "insufficient_user_authentication"};  // RFC 9470 §3
    case Code::kSessionRevoked:
      return {401, "invalid_token"};
    case Code::kContentDigestMismatch:
    case Code::kHttpMessageMalformed:
    case Code::kRequestPathAmbiguous:
      return {400, ""};
    case Code::kMisdirectedRequest:
      return {421, ""};  // RFC 9110 §15.5.20
    case Code::kDeviceRevoked:
      return {403, ""};
    case Code::kMethodNotAllowed:
      return {405, ""};
    case Code::kRateLimited:
      return {429, ""};
    case Code::kReplayCacheFull:
    case Code::kStoreUnavailable:
      return {503, ""};
    default:
      return {500, ""};
  }
}

std::string Quoted(std::string_view value) { return "\"" + SanitizeDescription(value) + "\""; }

}  // namespace

std::string SanitizeDescription(std::string_view text) {
  std::string clean;
  clean.reserve(std::min(text.size(), kMaxDescriptionBytes));
  for (char c : text) {
    if (clean.size() >= kMaxDescriptionBytes) break;
    const auto byte = static_cast<unsigned char>(c);
    clean.push_back(byte < 0x20 || byte > 0x7e || c == '"' || c == '\\' ? ' ' : c);
  }
  return clean;
}

bool IsInternalError(Code code) {
  switch (code) {
    case Code::kInternal:
    case Code::kStoreUnavailable:
    case Code::kStoreConflict:
    case Code::kStoreNotFound:
    case Code::kInvalidArgument:
    case Code::kSigningKeyUnavailable:
    case Code::kMasterKeyInvalid:
    case Code::kConfigInvalid:
      return true;
    default:
      return false;
  }
}

std::string_view FailureReason(Code code) {
  return IsInternalError(code) ? std::string_view("internal") : std::string_view(CodeName(code));
}

http::Response JsonError(int status, std::string_view error, std::string_view description) {
  boost::json::object body;
  body["error"] = error;
  if (!description.empty()) body["error_description"] = SanitizeDescription(description);
  return http::Response::Json(status, json::Serialize(body));
}

http::Response VerificationErrorResponse(const Error& error, const RoutePolicy& policy,
                                         std::string_view dpop_nonce) {
  const Shape shape = VerificationShape(error.code);
  http::Response response =
      IsInternalError(error.code)
          ? JsonError(shape.status, shape.status == 503 ? "unavailable" : "internal_error", "")
          : JsonError(shape.status, CodeName(error.code), error.message);
  if (shape.challenge_error == nullptr || *shape.challenge_error != '\0') {
    std::string challenge = "DPoP algs=\"" + std::string(kDpopAlgs) + "\"";
    if (shape.challenge_error != nullptr) {
      challenge += ", error=\"" + std::string(shape.challenge_error) + "\"";
      challenge += ", error_description=" + Quoted(error.message);
    }
    if (error.code == Code::kInsufficientUserAuthentication && policy.required_acr) {
      challenge += ", acr_values=" + Quoted(*policy.required_acr);
    }
    response.headers.emplace_back("www-authenticate", std::move(challenge));
  }
  if (error.code == Code::kUseDpopNonce && !dpop_nonce.empty()) {
    response.headers.emplace_back("dpop-nonce", std::string(dpop_nonce));
  }
  if (error.code == Code::kMethodNotAllowed) {
    std::string allow;
    for (const std::string& method : policy.methods) {
      if (!allow.empty()) allow += ", ";
      allow += method;
    }
    response.headers.emplace_back("allow", std::move(allow));
  }
  if (shape.status == 429 || shape.status == 503) response.headers.emplace_back("retry-after", "1");
  return response;
}

http::Response OAuthErrorResponse(const Error& error, std::string_view dpop_nonce) {
  http::Response response;
  switch (error.code) {
    case Code::kOAuthInvalidRequest:
    case Code::kHttpMessageMalformed:
      response = JsonError(400, "invalid_request", error.message);
      break;
    case Code::kOAuthInvalidGrant:
      response = JsonError(400, "invalid_grant", error.message);
      break;
    case Code::kOAuthUnsupportedGrantType:
      response = JsonError(400, "unsupported_grant_type", error.message);
      break;
    case Code::kDpopProofInvalid:
    case Code::kRequestReplayed:
      response = JsonError(400, "invalid_dpop_proof", error.message);
      break;
    case Code::kUseDpopNonce:
      response = JsonError(400, "use_dpop_nonce", error.message);
      if (!dpop_nonce.empty()) response.headers.emplace_back("dpop-nonce", std::string(dpop_nonce));
      break;
    case Code::kRateLimited:
      response = JsonError(429, "rate_limited", error.message);
      response.headers.emplace_back("retry-after", "1");
      break;
    case Code::kReplayCacheFull:
    case Code::kStoreUnavailable:
    case Code::kServerBusy:
      response = JsonError(503, "temporarily_unavailable", "");
      response.headers.emplace_back("retry-after", "1");
      break;
    default:
      response = JsonError(500, "server_error", "");
      break;
  }
  // RFC 6749 §5.1: token endpoint responses are not cached.
  response.headers.emplace_back("pragma", "no-cache");
  return response;
}

http::Response RegistrationErrorResponse(const Error& error) {
  switch (error.code) {
    case Code::kStoreConflict:
      return JsonError(409, "device_already_registered", "this device key is already registered");
    case Code::kAttestationFormatDisabled:
      return JsonError(403, CodeName(error.code), error.message);
    case Code::kRateLimited: {
      http::Response response = JsonError(429, "rate_limited", error.message);
      response.headers.emplace_back("retry-after", "1");
      return response;
    }
    case Code::kOAuthInvalidRequest:
      return JsonError(400, "invalid_request", error.message);
    case Code::kStoreUnavailable:
      return JsonError(503, "unavailable", "");
    default:
      if (IsInternalError(error.code)) return JsonError(500, "internal_error", "");
      return JsonError(400, CodeName(error.code), error.message);
  }
}

}  // namespace ztm::server
