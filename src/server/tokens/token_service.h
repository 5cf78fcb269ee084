// The token service: starts sessions (token families), rotates refresh tokens and revokes
// families, writing the audit trail of each. HTTP parsing and client authentication (password,
// DPoP) happen in the API layer; this layer owns what a session is.
//
// Refresh rotation (RFC 9700 §4.14.2): every use of a refresh token claims it atomically in
// the store and returns a successor; a second use outside the grace window revokes the whole
// family. Within the grace window (a response lost on a mobile network) a retry gets the same
// successor again, because the successor is a MAC of the presented token. The risk accepted:
// an attacker racing the legitimate client inside that window (seconds, a bounded number of
// retries) gets tokens too; both still need the device's DPoP key, which stays on the device.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "server/store/store.h"
#include "server/tokens/access_token.h"
#include "server/tokens/refresh_token.h"

namespace ztm::server {

// A successful token response (RFC 6749 §5.1 with token_type "DPoP", RFC 9449 §5).
struct TokenGrant {
  std::string access_token;
  std::int64_t expires_in = 0;
  std::string refresh_token;
  std::string session_id;
};

// Revocation reasons recorded with a family and in the audit log.
inline constexpr std::string_view kRevokedLogout = "logout";
inline constexpr std::string_view kRevokedByClient = "revoked";  // RFC 7009
inline constexpr std::string_view kRevokedReuse = "reuse";
inline constexpr std::string_view kRevokedKeyMismatch = "key_mismatch";

struct TokenServiceOptions {
  std::int64_t family_lifetime_seconds = 14 * 24 * 3600;
  RefreshGrace grace;
};

// Thread-safe (the store is; the rest is immutable). Borrows the store and the access-token
// service.
class TokenService {
 public:
  TokenService(GatewayStore& store, const AccessTokenService& access_tokens,
               RefreshTokenMinter minter, TokenServiceOptions options)
      : store_(store),
        access_tokens_(access_tokens),
        minter_(std::move(minter)),
        options_(options) {}

  // Creates a family for `subject` on `device` (which the caller authenticated and checked
  // is not revoked) and issues its first access and refresh tokens. Audits "token_issued".
  Result<TokenGrant> StartSession(const std::string& subject, const DeviceRecord& device,
                                  const std::string& acr, std::int64_t auth_time, std::int64_t now);

  // grant_type=refresh_token, presented with a DPoP proof by the key with thumbprint
  // `proof_jkt`. Fails with kOAuthInvalidGrant when the token is malformed or unknown, its
  // family expired or was revoked, its device was revoked, the proof key is not the family's
  // (the family is revoked: the token was stolen; audited "refresh_key_mismatch"), or it was
  // already used outside the grace window (the family is revoked; audited "refresh_reuse").
  Result<TokenGrant> Refresh(std::string_view refresh_token, std::string_view proof_jkt,
                             std::int64_t now);

  // RFC 7009 §2.1: revokes the family of `refresh_token` if there is one. An unknown or
  // malformed token is not an error (§2.2: the response is the same either way).
  Status RevokeByRefreshToken(std::string_view refresh_token, std::int64_t now);

  // Logout: revokes the family `session_id` of `subject`'s session on `device_id`.
  Status EndSession(std::string_view session_id, const std::string& subject,
                    const std::string& device_id, std::int64_t now);

 private:
  Result<TokenGrant> Grant(const TokenFamily& family, std::string refresh_token, std::int64_t now,
                           std::string_view how);
  void Audit(std::int64_t now, std::string_view type, const std::string& subject,
             const std::string& device_id, std::string detail);

  GatewayStore& store_;
  const AccessTokenService& access_tokens_;
  const RefreshTokenMinter minter_;
  const TokenServiceOptions options_;
};

}  // namespace ztm::server
