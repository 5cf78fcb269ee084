#include "server/tokens/access_token.h"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/clock.h"
#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "core/jose/jws.h"
#include "core/json.h"

namespace ztm::server {
namespace {

// 128 random bits make "jti" collisions negligible across every token ever issued.
constexpr std::size_t kJtiBytes = 16;

Error Invalid(std::string message) {
  return Error{Code::kAccessTokenInvalid, "access token: " + std::move(message)};
}

// The "kid" of the protected header, unverified: it only picks which key to try, and the
// signature check under that key decides.
Result<std::string> UnverifiedKid(std::string_view token) {
  if (token.size() > jose::kMaxCompactJwsBytes) return Invalid("too large");
  const std::size_t dot = token.find('.');
  if (dot == std::string_view::npos) return Invalid("not a compact JWS");
  auto header_bytes = Base64UrlDecode(token.substr(0, dot));
  if (!header_bytes.ok()) return Invalid("header is not base64url");
  auto header = json::ParseObject(AsString(*header_bytes));
  if (!header.ok()) return Invalid("header is not a JSON object");
  auto kid = json::GetString(*header, "kid");
  if (!kid.ok() || !kid->has_value()) return Invalid("header has no kid");
  return std::move(**kid);
}

Result<std::string> RequiredString(const boost::json::object& claims, std::string_view name) {
  auto value = json::GetString(claims, name);
  if (!value.ok() || !value->has_value() || (*value)->empty()) {
    return Invalid("claim \"" + std::string(name) + "\" missing or not a string");
  }
  return std::move(**value);
}

}  // namespace

Result<AccessTokenService> AccessTokenService::Create(KeyRing& ring, std::string issuer,
                                                      std::string audience,
                                                      std::int64_t ttl_seconds,
                                                      std::int64_t clock_skew_seconds) {
  if (issuer.empty() || audience.empty()) {
    return Error{Code::kInvalidArgument, "access tokens need an issuer and an audience"};
  }
  if (ttl_seconds < kMinAccessTokenTtlSeconds || ttl_seconds > kMaxAccessTokenTtlSeconds) {
    return Error{Code::kInvalidArgument, "access token TTL out of range"};
  }
  // RFC 9068 §4: validate iss, aud, typ "at+jwt", exp; the signature is checked with the
  // key ring's key for the token's kid only.
  ZTM_ASSIGN_OR_RETURN(jose::JwtValidator validator,
                       jose::JwtValidatorBuilder()
                           .ExpectIssuer(issuer)
                           .ExpectAudience(audience)
                           .ExpectTypeHeader(std::string(kAccessTokenType))
                           .SetClockSkew(clock_skew_seconds)
                           .Build());
  return AccessTokenService(ring, std::move(issuer), std::move(audience), ttl_seconds,
                            std::move(validator));
}

Result<IssuedAccessToken> AccessTokenService::Issue(const AccessTokenClaims& claims,
                                                    std::int64_t now) const {
  IssuedAccessToken issued;
  issued.jti = Base64UrlEncode(crypto::RandomBytes(kJtiBytes));
  issued.expires_in = ttl_seconds_;
  // RFC 9068 §2.2 claims, then ztm's.
  boost::json::object payload;
  payload["iss"] = issuer_;
  payload["aud"] = audience_;
  payload["sub"] = claims.subject;
  payload["client_id"] = kAccessTokenClientId;
  payload["iat"] = now;
  payload["exp"] = now + ttl_seconds_;
  payload["jti"] = issued.jti;
  payload["auth_time"] = claims.auth_time;
  payload["acr"] = claims.acr;
  payload["device_id"] = claims.device_id;
  payload["sid"] = claims.session_id;
  boost::json::object cnf;
  cnf["jkt"] = claims.jkt;
  payload["cnf"] = std::move(cnf);
  boost::json::object header;
  header["typ"] = kAccessTokenType;
  ZTM_ASSIGN_OR_RETURN(issued.token, ring_->Sign(header, AsBytes(json::Serialize(payload))));
  return issued;
}

Result<VerifiedAccessToken> AccessTokenService::Verify(std::string_view token,
                                                       std::int64_t now) const {
  ZTM_ASSIGN_OR_RETURN(std::string kid, UnverifiedKid(token));
  auto verifier = ring_->VerifierFor(kid, now);
  if (!verifier.ok()) return Invalid(verifier.error().message);
  auto jwt = jose::VerifyJwt(*verifier, validator_, token, FixedClock(now));
  if (!jwt.ok()) {
    if (jwt.code() == Code::kJwtExpired) {
      return Error{Code::kAccessTokenExpired, "access token expired"};
    }
    return Invalid(jwt.error().message);
  }
  const boost::json::object& claims = jwt->claims();
  VerifiedAccessToken verified;
  if (!jwt->subject() || jwt->subject()->empty()) return Invalid("claim \"sub\" missing");
  verified.claims_.subject = *jwt->subject();
  if (!jwt->jwt_id() || jwt->jwt_id()->empty()) return Invalid("claim \"jti\" missing");
  verified.jti_ = *jwt->jwt_id();
  if (!jwt->issued_at()) return Invalid("claim \"iat\" missing");
  verified.expires_at_ = *jwt->expiration();
  ZTM_ASSIGN_OR_RETURN(std::string client_id, RequiredString(claims, "client_id"));
  if (client_id != kAccessTokenClientId) return Invalid("claim \"client_id\" is not ztm's");
  ZTM_ASSIGN_OR_RETURN(verified.claims_.device_id, RequiredString(claims, "device_id"));
  ZTM_ASSIGN_OR_RETURN(verified.claims_.acr, RequiredString(claims, "acr"));
  ZTM_ASSIGN_OR_RETURN(verified.claims_.session_id, RequiredString(claims, "sid"));
  auto auth_time = json::GetInt(claims, "auth_time");
  if (!auth_time.ok() || !auth_time->has_value()) {
    return Invalid("claim \"auth_time\" missing or not an integer");
  }
  verified.claims_.auth_time = **auth_time;
  const boost::json::value* cnf = claims.if_contains("cnf");
  if (cnf == nullptr || !cnf->is_object()) return Invalid("claim \"cnf\" missing");
  ZTM_ASSIGN_OR_RETURN(verified.claims_.jkt, RequiredString(cnf->get_object(), "jkt"));
  return verified;
}

}  // namespace ztm::server
