// JWT claim validation (RFC 7519 §4.1, §7.2) on top of a verified JWS, with a validator
// built like Tink's JwtValidator: every check is on by default and skipping one takes an
// explicit call (IgnoreIssuer(), AllowMissingExpiration(), ...).
//
// Defaults (each documented on the builder): "exp" required; a token carrying "iss", "aud"
// or a "typ" header is refused unless the validator expects or explicitly ignores it (an
// unset expected audience never silently accepts a token meant for some audience); clock
// skew 60 s; "iat" in the future refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/clock.h"
#include "core/error.h"
#include "core/jose/jws.h"

namespace ztm::jose {

// Default allowance for clocks that disagree (RFC 7519 §4.1.4 "some small leeway").
inline constexpr std::int64_t kDefaultClockSkewSeconds = 60;
// A larger skew would let an expired token live on for a meaningful time; 10 minutes is
// Tink's cap too.
inline constexpr std::int64_t kMaxClockSkewSeconds = 600;
// NumericDates above 9999-12-31T23:59:59Z are refused so date arithmetic cannot overflow.
inline constexpr std::int64_t kMaxNumericDate = 253402300799;

// A JWT whose signature and claims were validated. Only JwtValidator can create one.
class VerifiedJwt {
 public:
  const std::optional<std::string>& issuer() const { return issuer_; }
  const std::optional<std::string>& subject() const { return subject_; }
  // The "aud" claim as a list (a single string becomes a one-element list).
  const std::vector<std::string>& audiences() const { return audiences_; }
  const std::optional<std::string>& jwt_id() const { return jwt_id_; }
  const std::optional<std::int64_t>& expiration() const { return expiration_; }
  const std::optional<std::int64_t>& not_before() const { return not_before_; }
  const std::optional<std::int64_t>& issued_at() const { return issued_at_; }
  // The "typ" header parameter, if present.
  const std::optional<std::string>& type_header() const { return type_header_; }
  // All claims, including the registered ones above, as parsed (duplicates rejected).
  const boost::json::object& claims() const { return claims_; }
  const boost::json::object& header() const { return header_; }

 private:
  friend class JwtValidator;
  VerifiedJwt() = default;
  std::optional<std::string> issuer_;
  std::optional<std::string> subject_;
  std::vector<std::string> audiences_;
  std::optional<std::string> jwt_id_;
  std::optional<std::int64_t> expiration_;
  std::optional<std::int64_t> not_before_;
  std::optional<std::int64_t> issued_at_;
  std::optional<std::string> type_header_;
  boost::json::object claims_;
  boost::json::object header_;
};

class JwtValidatorBuilder;

// Validates the claims of a VerifiedJws. Immutable and thread-safe.
class JwtValidator {
 public:
  // Validates the claims of `jws` at `clock`'s time. Fails with kJwtClaimsInvalid if the
  // payload is not a JSON object (duplicates refused) or a registered claim has the wrong
  // type (dates must be integer NumericDates in [0, kMaxNumericDate]; "aud" a string or an
  // array of strings); kJwtMissingClaim if "exp" (unless allowed) or an expected "iss"/"aud"
  // is absent; kJwtExpired if now >= exp + skew; kJwtNotYetValid if now + skew < nbf;
  // kJwtIssuedInFuture if iat > now + skew; kJwtIssuerMismatch, kJwtAudienceMismatch and
  // kJwtTypeMismatch for those checks (including a present "iss"/"aud"/"typ" that the
  // validator neither expects nor ignores).
  Result<VerifiedJwt> Validate(const VerifiedJws& jws, const Clock& clock) const;

 private:
  friend class JwtValidatorBuilder;
  JwtValidator() = default;
  std::optional<std::string> issuer_;
  bool ignore_issuer_ = false;
  std::optional<std::string> audience_;
  bool ignore_audience_ = false;
  std::optional<std::string> type_header_;
  bool ignore_type_header_ = false;
  bool allow_missing_expiration_ = false;
  std::int64_t clock_skew_seconds_ = kDefaultClockSkewSeconds;
};

// Builds a JwtValidator. Build() refuses contradictory settings.
class JwtValidatorBuilder {
 public:
  // Requires "iss" to equal `issuer` exactly.
  JwtValidatorBuilder& ExpectIssuer(std::string issuer);
  // Accepts any "iss" (or none).
  JwtValidatorBuilder& IgnoreIssuer();
  // Requires "aud" (string, or array containing it) to include `audience`.
  JwtValidatorBuilder& ExpectAudience(std::string audience);
  // Accepts any "aud" (or none). Without this or ExpectAudience, a token with "aud" fails.
  JwtValidatorBuilder& IgnoreAudience();
  // Requires the "typ" header to name this media type (RFC 7515 §4.1.9 comparison), e.g.
  // "at+jwt".
  JwtValidatorBuilder& ExpectTypeHeader(std::string type);
  // Accepts any "typ" header (or none).
  JwtValidatorBuilder& IgnoreTypeHeader();
  // Accepts tokens without "exp" (a token that never expires: use with care).
  JwtValidatorBuilder& AllowMissingExpiration();
  // Tolerance for clock differences, in [0, kMaxClockSkewSeconds].
  JwtValidatorBuilder& SetClockSkew(std::int64_t seconds);

  // Fails with kInvalidArgument if a check is both expected and ignored, an expected value
  // is empty, or the skew is out of range.
  Result<JwtValidator> Build() const;

 private:
  JwtValidator validator_;
  bool skew_set_invalid_ = false;
};

// Verifies the signature of `compact` with `verifier`, then its claims with `validator`.
Result<VerifiedJwt> VerifyJwt(const JwsVerifier& verifier, const JwtValidator& validator,
                              std::string_view compact, const Clock& clock);

}  // namespace ztm::jose
