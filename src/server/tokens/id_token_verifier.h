// OpenID Connect ID tokens from configured issuers, for the token endpoint's token exchange
// (RFC 8693 with subject_token_type urn:ietf:params:oauth:token-type:id_token): a user who
// signed in with the app's identity provider gets a ztm session bound to the device key.
//
// Each issuer's keys come from its JWKS file, loaded at start. ztm's JOSE layer verifies ES256
// and EdDSA only, so an issuer must publish at least one EC P-256 or Ed25519 signing key
// (RSA-only issuers are refused at start rather than silently never matching).
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

namespace ztm::server {

// An ID token is accepted for exchange at most this long after it was issued: it is meant to
// be exchanged right after sign-in, and a short window limits what a leaked one is worth.
inline constexpr std::int64_t kMaxIdTokenAgeSeconds = 600;
// Bound on a JWKS file: an issuer publishes a handful of keys.
inline constexpr std::size_t kMaxJwksBytes = 256 * 1024;
inline constexpr std::size_t kMaxJwksKeys = 64;
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
  // Loads every issuer's JWKS file. Fails with kConfigInvalid naming the issuer for a JWKS
  // file that cannot be read or parsed, an issuer without a usable key, or an issuer given
  // only a jwks_url (fetching keys is not implemented: give jwks_file).
  static Result<std::unique_ptr<IdTokenVerifier>> Create(
      const std::vector<OidcIssuerConfig>& issuers, std::int64_t clock_skew_seconds);

  // Verifies `id_token` at `now`: its "iss" names a configured issuer, its "kid" one of that
  // issuer's keys (a JWKS with a single key may omit kids), the signature verifies, "aud"
  // contains the issuer's audience, "exp" has not passed, "iat" is at most
  // kMaxIdTokenAgeSeconds old, and "sub" is present, printable ASCII and at most 255 bytes.
  // Every failure is kOAuthInvalidGrant with a message naming the check.
  Result<VerifiedIdToken> Verify(std::string_view id_token, std::int64_t now) const;

  bool empty() const { return issuers_.empty(); }

 private:
  struct Key {
    std::string kid;  // empty: the JWKS had a single key without kid
    jose::JwsVerifier verifier;
  };
  struct Issuer {
    std::string issuer;
    jose::JwtValidator validator;
    std::vector<Key> keys;
  };
  explicit IdTokenVerifier(std::vector<Issuer> issuers) : issuers_(std::move(issuers)) {}
  std::vector<Issuer> issuers_;
};

}  // namespace ztm::server
