// OpenID Connect ID tokens from configured issuers, for the token endpoint's token exchange
// (RFC 8693 with subject_token_type urn:ietf:params:oauth:token-type:id_token): a user who
// signed in with the app's identity provider gets a ztm session bound to the device key.
//
// Each issuer's keys come from its JWKS file, loaded at start, or from its jwks_url, fetched
// and refreshed in the background (jwks_source.h, jwks_refresher.h). ztm's JOSE layer verifies
// ES256 and EdDSA only, so an issuer must publish at least one EC P-256 or Ed25519 signing key:
// an RSA-only JWKS file is refused at start, and an RSA-only fetched JWKS is a failed fetch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/jose/jws.h"
#include "core/jose/jwt.h"
#include "server/config.h"
#include "server/tokens/jwks_refresher.h"
#include "server/tokens/jwks_source.h"

namespace ztm::server {

// An ID token is accepted for exchange at most this long after it was issued: it is meant to
// be exchanged right after sign-in, and a short window limits what a leaked one is worth.
inline constexpr std::int64_t kMaxIdTokenAgeSeconds = 600;
// OIDC Core §2: "sub" is at most 255 ASCII characters.
inline constexpr std::size_t kMaxOidcSubjectBytes = 255;

// An ID token that verified. Only IdTokenVerifier creates one.
class VerifiedIdToken {
 public:
  const std::string& issuer() const { return issuer_; }
  const std::string& subject() const { return subject_; }
  // The ztm subject: "<issuer>#<sub>", so users of different issuers (and local users, whose
  // names cannot contain '#') never collide.
  std::string ztm_subject() const { return issuer_ + "#" + subject_; }
  // "auth_time" when the token has it, else "iat".
  std::int64_t auth_time() const { return auth_time_; }
  std::int64_t expires_at() const { return expires_at_; }

 private:
  friend class IdTokenVerifier;
  VerifiedIdToken() = default;
  std::string issuer_;
  std::string subject_;
  std::int64_t auth_time_ = 0;
  std::int64_t expires_at_ = 0;
};

// Verifies ID tokens of the configured issuers. Immutable and thread-safe.
class IdTokenVerifier {
 public:
  // Loads every issuer's JWKS file now, and registers every jwks_url issuer with
  // `refresher` (borrowed; it fetches them once started: until then those issuers have no
  // keys). Fails with kConfigInvalid naming the issuer for a JWKS file that cannot be read or
  // parsed or has no usable key, a jwks_url that cannot be fetched from (bad URL, unreadable
  // CA file), or a jwks_url issuer when `refresher` is null.
  static Result<std::unique_ptr<IdTokenVerifier>> Create(
      const std::vector<OidcIssuerConfig>& issuers, std::int64_t clock_skew_seconds,
      JwksRefresher* refresher = nullptr);

  // Verifies `id_token` at `now`: its "iss" names a configured issuer, its "kid" one of that
  // issuer's keys (a JWKS with a single key may omit kids), the signature verifies, "aud"
  // contains the issuer's audience, "exp" has not passed, "iat" is at most
  // kMaxIdTokenAgeSeconds old, and "sub" is present, printable ASCII and at most 255 bytes.
  // Every failure is kOAuthInvalidGrant with a message naming the check. Fails closed when a
  // jwks_url issuer has no current key set (never fetched, or stale). A kid the issuer's keys
  // lack, or a missing key set, asks the jwks_url source for an early (rate-limited) refresh:
  // the token is refused, and a later one succeeds once the new keys are fetched.
  Result<VerifiedIdToken> Verify(std::string_view id_token, std::int64_t now) const;

  bool empty() const { return issuers_.empty(); }

 private:
  struct Issuer {
    std::string issuer;
    jose::JwtValidator validator;
    std::shared_ptr<JwksSource> keys;
  };
  explicit IdTokenVerifier(std::vector<Issuer> issuers) : issuers_(std::move(issuers)) {}
  std::vector<Issuer> issuers_;
};

}  // namespace ztm::server
