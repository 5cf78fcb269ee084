#include "server/tokens/id_token_verifier.h"

#include <fstream>
#include <iterator>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/clock.h"
#include "core/encoding.h"
#include "core/jose/jwk.h"
#include "core/json.h"

namespace ztm::server {
namespace {

Error ConfigInvalid(const std::string& issuer, const std::string& message) {
  return Error{Code::kConfigInvalid, "oidc issuer " + issuer + ": " + message};
}

Error InvalidGrant(std::string message) {
  return Error{Code::kOAuthInvalidGrant, "id token: " + std::move(message)};
}

Result<std::string> ReadBounded(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{Code::kConfigInvalid, "cannot read " + path};
  std::string text;
  text.resize(kMaxJwksBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxJwksBytes) return Error{Code::kConfigInvalid, path + " is too large"};
  return text;
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
    const std::vector<OidcIssuerConfig>& configs, std::int64_t clock_skew_seconds) {
  std::vector<Issuer> issuers;
  for (const OidcIssuerConfig& config : configs) {
    if (config.jwks_file.empty()) {
      return ConfigInvalid(config.issuer,
                           "jwks_url is not supported yet: give the issuer's keys as jwks_file");
    }
    ZTM_ASSIGN_OR_RETURN(std::string text, ReadBounded(config.jwks_file));
    auto document = json::ParseObject(text, kMaxJwksBytes);
    if (!document.ok()) return ConfigInvalid(config.issuer, "JWKS: " + document.error().message);
    const boost::json::value* keys = document->if_contains("keys");
    if (keys == nullptr || !keys->is_array()) {
      return ConfigInvalid(config.issuer, "JWKS has no \"keys\" array");
    }
    if (keys->get_array().size() > kMaxJwksKeys) {
      return ConfigInvalid(config.issuer, "JWKS has too many keys");
    }
    std::vector<Key> usable;
    for (const boost::json::value& entry : keys->get_array()) {
      if (!entry.is_object()) continue;
      // RSA and other key types ztm does not verify are skipped; a key meant for encryption
      // is skipped by its "use".
      auto jwk = jose::ParsePublicJwk(entry.get_object());
      if (!jwk.ok()) continue;
      if (jwk->use() && *jwk->use() != "sig") continue;
      const jose::JwsAlgorithm algorithm = jwk->key_type() == jose::JwkKeyType::kEcP256
                                               ? jose::JwsAlgorithm::kEs256
                                               : jose::JwsAlgorithm::kEdDsa;
      auto verifier = jose::JwsVerifier::Create({algorithm}, *jwk);
      if (!verifier.ok()) continue;
      usable.push_back(Key{jwk->kid().value_or(""), std::move(verifier).value()});
    }
    if (usable.empty()) {
      return ConfigInvalid(config.issuer,
                           "JWKS has no EC P-256 or Ed25519 signing key (RSA is not supported)");
    }
    ZTM_ASSIGN_OR_RETURN(jose::JwtValidator validator, jose::JwtValidatorBuilder()
                                                           .ExpectIssuer(config.issuer)
                                                           .ExpectAudience(config.audience)
                                                           .IgnoreTypeHeader()
                                                           .SetClockSkew(clock_skew_seconds)
                                                           .Build());
    issuers.push_back(Issuer{config.issuer, std::move(validator), std::move(usable)});
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
  const Key* key = nullptr;
  if (kid->has_value()) {
    for (const Key& candidate : issuer->keys) {
      if (candidate.kid == **kid) key = &candidate;
    }
  } else if (issuer->keys.size() == 1) {
    key = &issuer->keys.front();
  }
  if (key == nullptr) return InvalidGrant("signed by a key the issuer's JWKS does not have");
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
