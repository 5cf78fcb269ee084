// JWT registered-claim validation (RFC 7519 §4.1, §7.2 step 10 onwards).
#include "core/jose/jwt.h"

#include <algorithm>
#include <utility>

#include <boost/json/value.hpp>

#include "core/jose/compact.h"
#include "core/json.h"

namespace ztm::jose {
namespace {

namespace bj = boost::json;

Error ClaimsInvalid(std::string message) {
  return Error{Code::kJwtClaimsInvalid, "jwt: " + std::move(message)};
}

Result<std::optional<std::string>> StringClaim(const bj::object& claims, std::string_view name) {
  const bj::value* value = claims.if_contains(name);
  if (value == nullptr) return std::optional<std::string>();
  if (!value->is_string())
    return ClaimsInvalid("claim \"" + std::string(name) + "\" must be a string");
  return std::optional<std::string>(std::string(value->as_string()));
}

// RFC 7519 §2 NumericDate. ztm accepts integer seconds only: fractional dates are legal JSON
// but no issuer ztm interoperates with needs them, and refusing them removes rounding
// questions from every comparison.
Result<std::optional<std::int64_t>> DateClaim(const bj::object& claims, std::string_view name) {
  const bj::value* value = claims.if_contains(name);
  if (value == nullptr) return std::optional<std::int64_t>();
  std::int64_t date = 0;
  if (value->is_int64()) {
    date = value->as_int64();
  } else if (value->is_uint64()) {
    date = kMaxNumericDate + 1;  // larger than INT64_MAX, hence out of range below
  } else {
    return ClaimsInvalid("claim \"" + std::string(name) + "\" must be an integer NumericDate");
  }
  if (date < 0 || date > kMaxNumericDate) {
    return ClaimsInvalid("claim \"" + std::string(name) + "\" is out of range");
  }
  return std::optional<std::int64_t>(date);
}

Result<std::vector<std::string>> AudienceClaim(const bj::object& claims) {
  const bj::value* value = claims.if_contains("aud");
  std::vector<std::string> audiences;
  if (value == nullptr) return audiences;
  // RFC 7519 §4.1.3: a string or an array of strings.
  if (value->is_string()) {
    audiences.emplace_back(value->as_string());
    return audiences;
  }
  if (!value->is_array() || value->as_array().empty()) {
    return ClaimsInvalid("claim \"aud\" must be a string or a non-empty array of strings");
  }
  for (const bj::value& entry : value->as_array()) {
    if (!entry.is_string()) return ClaimsInvalid("claim \"aud\" must contain only strings");
    audiences.emplace_back(entry.as_string());
  }
  return audiences;
}

}  // namespace

Result<VerifiedJwt> JwtValidator::Validate(const VerifiedJws& jws, const Clock& clock) const {
  VerifiedJwt jwt;
  jwt.header_ = jws.header();
  auto claims = json::ParseObject(jws.payload_text());
  if (!claims.ok()) return ClaimsInvalid("payload is not a JSON object: " + claims.error().message);
  jwt.claims_ = std::move(claims).value();
  const bj::object& c = jwt.claims_;

  ZTM_ASSIGN_OR_RETURN(jwt.issuer_, StringClaim(c, "iss"));
  ZTM_ASSIGN_OR_RETURN(jwt.subject_, StringClaim(c, "sub"));
  ZTM_ASSIGN_OR_RETURN(jwt.jwt_id_, StringClaim(c, "jti"));
  ZTM_ASSIGN_OR_RETURN(jwt.audiences_, AudienceClaim(c));
  ZTM_ASSIGN_OR_RETURN(jwt.expiration_, DateClaim(c, "exp"));
  ZTM_ASSIGN_OR_RETURN(jwt.not_before_, DateClaim(c, "nbf"));
  ZTM_ASSIGN_OR_RETURN(jwt.issued_at_, DateClaim(c, "iat"));
  if (const bj::value* typ = jwt.header_.if_contains("typ")) {
    if (!typ->is_string())
      return Error{Code::kJwtTypeMismatch, "jwt: header \"typ\" must be a string"};
    jwt.type_header_ = std::string(typ->as_string());
  }

  // Type first (RFC 8725 §3.11): a token of another kind is refused before its claims mean
  // anything.
  if (type_header_) {
    if (!jwt.type_header_ || !internal::TypeHeaderMatches(*jwt.type_header_, *type_header_)) {
      return Error{Code::kJwtTypeMismatch, "jwt: \"typ\" header is not \"" + *type_header_ + "\""};
    }
  } else if (!ignore_type_header_ && jwt.type_header_) {
    return Error{Code::kJwtTypeMismatch, "jwt: unexpected \"typ\" header"};
  }

  const std::int64_t now = clock.NowSeconds();
  const std::int64_t skew = clock_skew_seconds_;
  // RFC 7519 §4.1.4: reject on or after "exp".
  if (!jwt.expiration_) {
    if (!allow_missing_expiration_) return Error{Code::kJwtMissingClaim, "jwt: missing \"exp\""};
  } else if (now - skew >= *jwt.expiration_) {
    return Error{Code::kJwtExpired, "jwt: token has expired"};
  }
  // RFC 7519 §4.1.5: reject before "nbf".
  if (jwt.not_before_ && now + skew < *jwt.not_before_) {
    return Error{Code::kJwtNotYetValid, "jwt: token is not valid yet"};
  }
  if (jwt.issued_at_ && *jwt.issued_at_ > now + skew) {
    return Error{Code::kJwtIssuedInFuture, "jwt: token was issued in the future"};
  }

  // RFC 7519 §4.1.1.
  if (issuer_) {
    if (!jwt.issuer_) return Error{Code::kJwtMissingClaim, "jwt: missing \"iss\""};
    if (*jwt.issuer_ != *issuer_) return Error{Code::kJwtIssuerMismatch, "jwt: wrong issuer"};
  } else if (!ignore_issuer_ && jwt.issuer_) {
    return Error{Code::kJwtIssuerMismatch, "jwt: unexpected \"iss\" (no issuer is expected)"};
  }

  // RFC 7519 §4.1.3: a principal that does not identify itself with a value in "aud" MUST
  // reject the token. With no expected audience configured, a token that names one is for
  // someone else: refused unless IgnoreAudience() was called.
  if (audience_) {
    if (jwt.audiences_.empty()) return Error{Code::kJwtMissingClaim, "jwt: missing \"aud\""};
    if (std::find(jwt.audiences_.begin(), jwt.audiences_.end(), *audience_) ==
        jwt.audiences_.end()) {
      return Error{Code::kJwtAudienceMismatch, "jwt: token is not for this audience"};
    }
  } else if (!ignore_audience_ && c.contains("aud")) {
    return Error{Code::kJwtAudienceMismatch, "jwt: token has \"aud\" but no audience is expected"};
  }
  return jwt;
}

JwtValidatorBuilder& JwtValidatorBuilder::ExpectIssuer(std::string issuer) {
  validator_.issuer_ = std::move(issuer);
  return *this;
}
JwtValidatorBuilder& JwtValidatorBuilder::IgnoreIssuer() {
  validator_.ignore_issuer_ = true;
  return *this;
}
JwtValidatorBuilder& JwtValidatorBuilder::ExpectAudience(std::string audience) {
  validator_.audience_ = std::move(audience);
  return *this;
}
JwtValidatorBuilder& JwtValidatorBuilder::IgnoreAudience() {
  validator_.ignore_audience_ = true;
  return *this;
}
JwtValidatorBuilder& JwtValidatorBuilder::ExpectTypeHeader(std::string type) {
  validator_.type_header_ = std::move(type);
  return *this;
}
JwtValidatorBuilder& JwtValidatorBuilder::IgnoreTypeHeader() {
  validator_.ignore_type_header_ = true;
  return *this;
}
JwtValidatorBuilder& JwtValidatorBuilder::AllowMissingExpiration() {
  validator_.allow_missing_expiration_ = true;
  return *this;
}
JwtValidatorBuilder& JwtValidatorBuilder::SetClockSkew(std::int64_t seconds) {
  skew_set_invalid_ = seconds < 0 || seconds > kMaxClockSkewSeconds;
  if (!skew_set_invalid_) validator_.clock_skew_seconds_ = seconds;
  return *this;
}

Result<JwtValidator> JwtValidatorBuilder::Build() const {
  const auto invalid = [](const char* message) {
    return Error{Code::kInvalidArgument, std::string("jwt validator: ") + message};
  };
  if (skew_set_invalid_) return invalid("clock skew must be between 0 and 600 seconds");
  if (validator_.issuer_ && validator_.ignore_issuer_)
    return invalid("issuer expected and ignored");
  if (validator_.audience_ && validator_.ignore_audience_) {
    return invalid("audience expected and ignored");
  }
  if (validator_.type_header_ && validator_.ignore_type_header_) {
    return invalid("typ header expected and ignored");
  }
  if ((validator_.issuer_ && validator_.issuer_->empty()) ||
      (validator_.audience_ && validator_.audience_->empty()) ||
      (validator_.type_header_ && validator_.type_header_->empty())) {
    return invalid("an expected value is empty (use Ignore...() to skip a check)");
  }
  return validator_;
}

Result<VerifiedJwt> VerifyJwt(const JwsVerifier& verifier, const JwtValidator& validator,
                              std::string_view compact, const Clock& clock) {
  ZTM_ASSIGN_OR_RETURN(VerifiedJws jws, verifier.Verify(compact));
  return validator.Validate(jws, clock);
}

}  // namespace ztm::jose
