// Access tokens: JWTs signed ES256 by the key ring, in the RFC 9068 shape ("typ":"at+jwt"),
// bound to the device key by "cnf"."jkt" (RFC 9449 §6.1), carrying the device id, the
// authentication context (acr, auth_time) and the token family ("sid") they were issued under.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/jose/jwt.h"
#include "server/tokens/key_ring.h"

namespace ztm::server {

// The "typ" header of an access token (RFC 9068 §2.1).
inline constexpr std::string_view kAccessTokenType = "at+jwt";
// The "client_id" claim (RFC 9068 §2.2). The gateway has one client, the ztm app library.
inline constexpr std::string_view kAccessTokenClientId = "ztm";
// Bounds on the TTL the issuer accepts, matching tokens.access_token_ttl_seconds: short-lived
// because a stolen access token is only refused once it expires (revocation is by family).
inline constexpr std::int64_t kMinAccessTokenTtlSeconds = 60;
inline constexpr std::int64_t kMaxAccessTokenTtlSeconds = 3600;

// What an access token asserts.
struct AccessTokenClaims {
  std::string subject;         // "sub": the user
  std::string device_id;       // "device_id"
  std::string jkt;             // "cnf"."jkt": the device key's RFC 7638 thumbprint
  std::string acr;             // "acr": how the user authenticated
  std::int64_t auth_time = 0;  // "auth_time": when
  std::string session_id;      // "sid": the refresh-token family
};

struct IssuedAccessToken {
  std::string token;
  std::string jti;
  std::int64_t expires_in = 0;  // seconds
};

// An access token whose signature, issuer, audience, type, lifetime and ztm claims verified.
// Only AccessTokenService creates one.
class VerifiedAccessToken {
 public:
  const AccessTokenClaims& claims() const { return claims_; }
  const std::string& jti() const { return jti_; }
  std::int64_t expires_at() const { return expires_at_; }

 private:
  friend class AccessTokenService;
  VerifiedAccessToken() = default;
  AccessTokenClaims claims_;
  std::string jti_;
  std::int64_t expires_at_ = 0;
};

// Issues and verifies access tokens. Thread-safe; borrows the key ring.
class AccessTokenService {
 public:
  // Fails with kInvalidArgument for an empty issuer or audience, a TTL outside
  // [kMinAccessTokenTtlSeconds, kMaxAccessTokenTtlSeconds] or a clock skew outside
  // [0, jose::kMaxClockSkewSeconds].
  static Result<AccessTokenService> Create(KeyRing& ring, std::string issuer, std::string audience,
                                           std::int64_t ttl_seconds,
                                           std::int64_t clock_skew_seconds);

  // Signs a token for `claims` issued at `now`, with a fresh 128-bit "jti".
  Result<IssuedAccessToken> Issue(const AccessTokenClaims& claims, std::int64_t now) const;

  // Verifies `token` at `now`. Fails with kAccessTokenExpired when it expired (beyond the
  // clock skew), and kAccessTokenInvalid for everything else: not a compact JWS, no "kid" or
  // a kid the ring does not know or has retired, an algorithm other than ES256 ("none"
  // included), a bad signature, the wrong "typ", "iss" or "aud", "iat" in the future, or a
  // missing or mistyped claim. Messages describe the check, never the token.
  Result<VerifiedAccessToken> Verify(std::string_view token, std::int64_t now) const;

  std::int64_t ttl_seconds() const { return ttl_seconds_; }

 private:
  AccessTokenService(KeyRing& ring, std::string issuer, std::string audience,
                     std::int64_t ttl_seconds, jose::JwtValidator validator)
      : ring_(&ring),
        issuer_(std::move(issuer)),
        audience_(std::move(audience)),
        ttl_seconds_(ttl_seconds),
        validator_(std::move(validator)) {}
  KeyRing* ring_;
  std::string issuer_;
  std::string audience_;
  std::int64_t ttl_seconds_;
  jose::JwtValidator validator_;
};

}  // namespace ztm::server
