#include "server/tokens/token_service.h"

#include "core/bytes.h"
#include "core/crypto/crypto.h"
#include "core/encoding.h"

namespace ztm::server {
namespace {

// 128 random bits: family ids appear in access tokens ("sid") and must not be guessable.
constexpr std::size_t kFamilyIdBytes = 16;

Error InvalidGrant(std::string message) {
  return Error{Code::kOAuthInvalidGrant, std::move(message)};
}

}  // namespace

void TokenService::Audit(std::int64_t now, std::string_view type, const std::string& subject,
                         const std::string& device_id, std::string detail) {
  AuditEvent event;
  event.time = now;
  event.type = std::string(type);
  event.subject = subject;
  event.device_id = device_id;
  event.detail = std::move(detail);
  // The audit trail must not turn a store hiccup into a refused login; the store's own error
  // reporting (logs, metrics) covers a failing audit table.
  (void)store_.AppendAudit(event);
}

Result<TokenGrant> TokenService::Grant(const TokenFamily& family, std::string refresh_token,
                                       std::int64_t now, std::string_view how) {
  AccessTokenClaims claims;
  claims.subject = family.subject;
  claims.device_id = family.device_id;
  claims.jkt = family.jkt;
  claims.acr = family.acr;
  claims.auth_time = family.auth_time;
  claims.session_id = family.family_id;
  ZTM_ASSIGN_OR_RETURN(IssuedAccessToken access, access_tokens_.Issue(claims, now));
  Audit(now, "token_issued", family.subject, family.device_id,
        std::string(how) + " sid=" + family.family_id + " jti=" + access.jti);
  TokenGrant grant;
  grant.access_token = std::move(access.token);
  grant.expires_in = access.expires_in;
  grant.refresh_token = std::move(refresh_token);
  grant.session_id = family.family_id;
  return grant;
}

Result<TokenGrant> TokenService::StartSession(const std::string& subject,
                                              const DeviceRecord& device, const std::string& acr,
                                              std::int64_t auth_time, std::int64_t now) {
  TokenFamily family;
  family.family_id = Base64UrlEncode(crypto::RandomBytes(kFamilyIdBytes));
  family.subject = subject;
  family.device_id = device.device_id;
  family.jkt = device.jkt;
  family.acr = acr;
  family.auth_time = auth_time;
  family.created_at = now;
  family.expires_at = now + options_.family_lifetime_seconds;
  std::string refresh_token = minter_.NewToken();
  ZTM_RETURN_IF_ERROR(store_.CreateFamily(family, RefreshTokenMinter::Hash(refresh_token)));
  return Grant(family, std::move(refresh_token), now, "login");
}

Result<TokenGrant> TokenService::Refresh(std::string_view refresh_token, std::string_view proof_jkt,
                                         std::int64_t now) {
  if (!RefreshTokenMinter::WellFormed(refresh_token)) {
    return InvalidGrant("refresh token is not valid");
  }
  const Bytes presented_hash = RefreshTokenMinter::Hash(refresh_token);
  // RFC 9449 §5: a refresh token bound to a DPoP key is only usable with a proof by that key.
  // Checked before the claim, so a thief without the key cannot burn the token.
  ZTM_ASSIGN_OR_RETURN(std::optional<TokenFamily> owner, store_.FindFamilyByToken(presented_hash));
  if (!owner) return InvalidGrant("refresh token is not valid");
  if (!ConstantTimeEqual(owner->jkt, proof_jkt)) {
    if (!owner->revoked_at) {
      ZTM_RETURN_IF_ERROR(store_.RevokeFamily(owner->family_id, now, kRevokedKeyMismatch));
      Audit(now, "refresh_key_mismatch", owner->subject, owner->device_id,
            "refresh token presented with another DPoP key; sid=" + owner->family_id + " revoked");
    }
    return InvalidGrant("refresh token is bound to another key");
  }

  const std::string successor = minter_.Successor(refresh_token);
  ZTM_ASSIGN_OR_RETURN(RefreshClaim claim,
                       store_.ClaimRefreshToken(presented_hash, RefreshTokenMinter::Hash(successor),
                                                now, options_.grace));
  switch (claim.outcome) {
    case RefreshOutcome::kRotated:
    case RefreshOutcome::kGraceRetry:
      break;
    case RefreshOutcome::kReused:
      // RFC 9700 §4.14.2: reuse means one of two parties holds a stolen token; the server
      // cannot tell which, so the whole family goes.
      Audit(now, "refresh_reuse", claim.family ? claim.family->subject : "",
            claim.family ? claim.family->device_id : "",
            "refresh token reused; sid=" + (claim.family ? claim.family->family_id : "") +
                " revoked");
      return InvalidGrant("refresh token was already used; the session is revoked");
    case RefreshOutcome::kUnknown:
      return InvalidGrant("refresh token is not valid");
    case RefreshOutcome::kExpired:
      return InvalidGrant("the session has expired");
    case RefreshOutcome::kFamilyRevoked:
      return InvalidGrant("the session was revoked");
  }
  if (!claim.family) return Error{Code::kInternal, "store returned no family for a claim"};
  ZTM_ASSIGN_OR_RETURN(std::optional<DeviceRecord> device,
                       store_.FindDevice(claim.family->device_id));
  if (!device || device->revoked_at) return InvalidGrant("the device was revoked");
  return Grant(*claim.family, successor, now,
               claim.outcome == RefreshOutcome::kRotated ? "refresh" : "refresh-grace-retry");
}

Status TokenService::RevokeByRefreshToken(std::string_view refresh_token, std::int64_t now) {
  if (!RefreshTokenMinter::WellFormed(refresh_token)) return OkStatus();
  ZTM_ASSIGN_OR_RETURN(std::optional<TokenFamily> family,
                       store_.FindFamilyByToken(RefreshTokenMinter::Hash(refresh_token)));
  if (!family || family->revoked_at) return OkStatus();
  ZTM_RETURN_IF_ERROR(store_.RevokeFamily(family->family_id, now, kRevokedByClient));
  Audit(now, "revoked", family->subject, family->device_id,
        "refresh token revoked (RFC 7009); sid=" + family->family_id);
  return OkStatus();
}

Status TokenService::EndSession(std::string_view session_id, const std::string& subject,
                                const std::string& device_id, std::int64_t now) {
  ZTM_RETURN_IF_ERROR(store_.RevokeFamily(session_id, now, kRevokedLogout));
  Audit(now, "revoked", subject, device_id, "logout; sid=" + std::string(session_id));
  return OkStatus();
}

}  // namespace ztm::server
