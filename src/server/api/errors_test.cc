#include "server/api/errors.h"

#include <gtest/gtest.h>

#include "core/json.h"

namespace ztm::server {
namespace {

std::optional<std::string> HeaderOf(const http::Response& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::string ErrorOf(const http::Response& response) {
  auto body = json::ParseObject(response.body);
  EXPECT_TRUE(body.ok());
  return std::string(body->at("error").as_string());
}

TEST(VerificationErrors, MissingTokenGetsABareChallenge) {
  // RFC 6750 §3.1: no error code when the request had no credentials.
  auto response = VerificationErrorResponse({Code::kAccessTokenMissing, "no access token"}, {}, "");
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(HeaderOf(response, "www-authenticate"), "DPoP algs=\"ES256 EdDSA\"");
  EXPECT_EQ(ErrorOf(response), "access_token_missing");
}

TEST(VerificationErrors, EachCodeHasItsStatusAndChallenge) {
  struct Case {
    Code code;
    int status;
    const char* challenge_error;  // nullptr: no WWW-Authenticate
  };
  const Case cases[] = {
      {Code::kAccessTokenInvalid, 401, "invalid_token"},
      {Code::kAccessTokenExpired, 401, "invalid_token"},
      {Code::kDpopProofInvalid, 401, "invalid_dpop_proof"},
      {Code::kUseDpopNonce, 401, "use_dpop_nonce"},
      {Code::kRequestSignatureMissing, 401, "invalid_request"},
      {Code::kRequestSignatureInvalid, 401, "invalid_request"},
      {Code::kRequestReplayed, 401, "invalid_request"},
      {Code::kReplayCacheFull, 503, nullptr},
      {Code::kContentDigestMismatch, 400, nullptr},
      {Code::kDeviceRevoked, 403, nullptr},
      {Code::kMethodNotAllowed, 405, nullptr},
      {Code::kInsufficientUserAuthentication, 403, "insufficient_user_authentication"},
      {Code::kRateLimited, 429, nullptr},
      {Code::kHttpMessageMalformed, 400, nullptr},
  };
  for (const Case& c : cases) {
    auto response = VerificationErrorResponse({c.code, "why"}, {}, "");
    EXPECT_EQ(response.status, c.status) << CodeName(c.code);
    auto challenge = HeaderOf(response, "www-authenticate");
    if (c.challenge_error == nullptr) {
      EXPECT_FALSE(challenge.has_value()) << CodeName(c.code);
    } else {
      ASSERT_TRUE(challenge.has_value()) << CodeName(c.code);
      EXPECT_NE(challenge->find(std::string("error=\"") + c.challenge_error + "\""),
                std::string::npos)
          << *challenge;
      EXPECT_NE(challenge->find("error_description=\"why\""), std::string::npos);
    }
    EXPECT_EQ(ErrorOf(response), CodeName(c.code));
  }
}

TEST(VerificationErrors, ExtraHeaders) {
  auto nonce = VerificationErrorResponse({Code::kUseDpopNonce, "nonce"}, {}, "n-123");
  EXPECT_EQ(HeaderOf(nonce, "dpop-nonce"), "n-123");
  RoutePolicy policy;
  policy.methods = {"GET", "HEAD"};
  policy.required_acr = "mfa";
  auto method = VerificationErrorResponse({Code::kMethodNotAllowed, "no"}, policy, "");
  EXPECT_EQ(HeaderOf(method, "allow"), "GET, HEAD");
  auto acr = VerificationErrorResponse({Code::kInsufficientUserAuthentication, "no"}, policy, "");
  EXPECT_NE(HeaderOf(acr, "www-authenticate")->find("acr_values=\"mfa\""), std::string::npos);
  EXPECT_EQ(HeaderOf(VerificationErrorResponse({Code::kRateLimited, ""}, {}, ""), "retry-after"),
            "1");
}

TEST(VerificationErrors, InternalDetailNeverReachesTheClient) {
  auto response =
      VerificationErrorResponse({Code::kStoreUnavailable, "store: /var/lib/ztm/db locked"}, {}, "");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body.find("/var/lib"), std::string::npos);
  response = VerificationErrorResponse({Code::kInternal, "secret detail"}, {}, "");
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body.find("secret"), std::string::npos);
  EXPECT_EQ(FailureReason(Code::kInternal), "internal");
  EXPECT_EQ(FailureReason(Code::kRequestReplayed), "request_replayed");
}

TEST(VerificationErrors, DescriptionsCannotBreakTheChallenge) {
  auto response =
      VerificationErrorResponse({Code::kAccessTokenInvalid, "evil\"\r\nSet-Cookie: x=1\\"}, {}, "");
  auto challenge = *HeaderOf(response, "www-authenticate");
  EXPECT_EQ(challenge.find('\r'), std::string::npos);
  EXPECT_EQ(challenge.find('\n'), std::string::npos);
  EXPECT_EQ(challenge.find("evil\""), std::string::npos);
  EXPECT_EQ(SanitizeDescription(std::string(500, 'a')).size(), kMaxDescriptionBytes);
}

TEST(OAuthErrors, Rfc6749Shapes) {
  struct Case {
    Code code;
    int status;
    const char* error;
  };
  const Case cases[] = {
      {Code::kOAuthInvalidRequest, 400, "invalid_request"},
      {Code::kOAuthInvalidGrant, 400, "invalid_grant"},
      {Code::kOAuthUnsupportedGrantType, 400, "unsupported_grant_type"},
      {Code::kDpopProofInvalid, 400, "invalid_dpop_proof"},
      {Code::kRequestReplayed, 400, "invalid_dpop_proof"},
      {Code::kUseDpopNonce, 400, "use_dpop_nonce"},
      {Code::kRateLimited, 429, "rate_limited"},
      {Code::kStoreUnavailable, 503, "temporarily_unavailable"},
      {Code::kInternal, 500, "server_error"},
  };
  for (const Case& c : cases) {
    auto response = OAuthErrorResponse({c.code, "why"}, "nonce-1");
    EXPECT_EQ(response.status, c.status) << CodeName(c.code);
    EXPECT_EQ(ErrorOf(response), c.error);
    EXPECT_EQ(HeaderOf(response, "cache-control"), "no-store");
    EXPECT_EQ(HeaderOf(response, "dpop-nonce").has_value(), c.code == Code::kUseDpopNonce);
  }
}

}  // namespace
}  // namespace ztm::server
