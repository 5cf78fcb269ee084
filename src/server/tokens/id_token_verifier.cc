#include "server/tokens/id_token_verifier.h"

#include <boost/json/object.hpp>

#include "core/clock.h"
#include "core/encoding.h"
#include "core/json.h"

namespace ztm::server {
namespace {

Error ConfigInvalid(const std::string& issuer, const std::string& message) {
  return Error{Code::kConfigInvalid, "oidc issuer " + issuer + ": " + message};
}

Error InvalidGrant(std::string message) {
  return Error{Code::kOAuthInvalidGrant, "id token: " + std::move(message)};
}

// The untrusted protected header and payload of a compact JWS: only to pick the issuer and key.
Result<std::pair<boost::json::object, boost::json::object>> Peek(std::string_view token) {
  if (token.size() > jose::kMaxCompactJwsBytes) return InvalidGrant("too large");
  const std::size_t first = token.find('.');
  const std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos) return InvalidGrant("not a compact JWS");
  auto header_bytes = Base64UrlDecode(token.substr(0, first));
  auto payload_bytes = Base64UrlDecode(token.substr(first + 1, second - first - 1));
  if (!header_bytes.ok() || !payload_bytes.ok()) return InvalidGrant("not base64url");
  auto header = json::ParseObject(AsString(*header_bytes));
  auto payload = json::ParseObject(AsString(*payload_bytes));
  if (!header.ok() || !payload.ok()) return InvalidGrant("not a JSON object");
  return std::make_pair(std::move(header).value(), std::move(payload).value());
}

bool PrintableAscii(std::string_view text) {
  for (char c : text) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<IdTokenVerifier>> IdTokenVerifier::Create(
    const std::vector<OidcIssuerConfig>& configs, std::int64_t clock_skew_seconds,
    JwksRefresher* refresher) {
  std::vector<Issuer> issuers;
  for (const OidcIssuerConfig& config : configs) {
    std::shared_ptr<JwksSource> keys;
    if (config.jwks_url) {
      if (refresher == nullptr) {
        return ConfigInvalid(config.issuer, "jwks_url needs the gateway's JWKS refresher");
      }
      UrlJwksOptions options;
      options.issuer = config.issuer;
      options.url = *config.jwks_url;
      options.ca_file = config.jwks_ca_file;
      options.refresh_seconds = config.jwks_refresh_seconds;
      auto source = refresher->AddSource(std::move(options));
      if (!source.ok()) return ConfigInvalid(config.issuer, "jwks_url: " + source.error().message);
      keys = std::move(source).value();
    } else {
      auto source = FileJwksSource::Load(config.jwks_file);
      if (!source.ok()) return ConfigInvalid(config.issuer, source.error().message);
      keys = std::move(source).value();
    }
    ZTM_ASSIGN_OR_RETURN(jose::JwtValidator validator, jose::JwtValidatorBuilder()
                                                           .ExpectIssuer(config.issuer)
                                                           .ExpectAudience(config.audience)
                                                           .IgnoreTypeHeader()
                                                           .SetClockSkew(clock_skew_seconds)
                                                           .Build());
    issuers.push_back(Issuer{config.issuer, std::move(validator), std::move(keys)});
  }
  return std::unique_ptr<IdTokenVerifier>(new IdTokenVerifier(std::move(issuers)));
}

Result<VerifiedIdToken> IdTokenVerifier::Verify(std::string_view id_token, std::int64_t now) const {
  ZTM_ASSIGN_OR_RETURN(auto peeked, Peek(id_token));
  auto claimed_issuer = json::GetString(peeked.second, "iss");
  if (!claimed_issuer.ok() || !claimed_issuer->has_value()) return InvalidGrant("no \"iss\"");
  const Issuer* issuer = nullptr;
  for (const Issuer& candidate : issuers_) {
    if (candidate.issuer == **claimed_issuer) issuer = &candidate;
  }
  if (issuer == nullptr) return InvalidGrant("issuer is not accepted by this gateway");
  auto kid = json::GetString(peeked.first, "kid");
  if (!kid.ok()) return InvalidGrant("\"kid\" is not a string");
  // Held until the end of this call: a refresh that swaps the issuer's keys meanwhile does not
  // pull the key out from under the signature check.
  const std::shared_ptr<const JwksKeySet> keys = issuer->keys->KeysAt(now);
  if (keys == nullptr) {
    issuer->keys->ReportMissingKey(now);
    return InvalidGrant("the issuer's keys are not available (its JWKS could not be fetched)");
  }
  const JwksKeySet::Key* key = keys->Find(*kid);
  if (key == nullptr) {
    // A new kid may be a key the issuer just rotated in. A token without a kid against a
    // multi-key set names nothing a refresh could find.
    if (kid->has_value()) issuer->keys->ReportMissingKey(now);
    return InvalidGrant("signed by a key the issuer's JWKS does not have");
  }
  auto jwt = jose::VerifyJwt(key->verifier, issuer->validator, id_token, FixedClock(now));
  if (!jwt.ok()) return InvalidGrant(jwt.error().message);
  if (!jwt->issued_at()) return InvalidGrant("no \"iat\"");
  if (now - *jwt->issued_at() > kMaxIdTokenAgeSeconds) {
    return InvalidGrant("issued too long ago to be exchanged");
  }
  if (!jwt->subject() || jwt->subject()->empty() || jwt->subject()->size() > kMaxOidcSubjectBytes ||
      !PrintableAscii(*jwt->subject())) {
    return InvalidGrant("\"sub\" missing, too long or not printable ASCII");
  }
  VerifiedIdToken verified;
  verified.issuer_ = issuer->issuer;
  verified.subject_ = *jwt->subject();
  verified.expires_at_ = *jwt->expiration();
  verified.auth_time_ = *jwt->issued_at();
  auto auth_time = json::GetInt(jwt->claims(), "auth_time");
  if (!auth_time.ok()) return InvalidGrant("\"auth_time\" is not an integer");
  if (auth_time->has_value()) verified.auth_time_ = **auth_time;
  return verified;
}

}  // namespace ztm::server
