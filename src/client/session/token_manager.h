// TokenManager: the session's tokens. The access token lives in memory only; the refresh
// token lives in the SecureStore (sealed, surviving restarts). An access token that expires
// within the refresh margin is refreshed first, and concurrent callers share that one refresh
// (single-flight): 32 threads that all find the token stale cause one network refresh, not 32
// (each of which would rotate the refresh token and make the others look like reuse).
// A refresh the gateway refuses with invalid_grant (reuse detected, family revoked, expired)
// ends the session: tokens are dropped and the app is told to sign in again.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "client/storage/secure_store.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"

namespace ztm::client {

// What a token grant returns (RFC 6749 §5.1).
struct TokenGrant {
  Secret access_token;
  std::int64_t expires_at = 0;  // unix seconds
  Secret refresh_token;         // empty when the grant issued none
};

// Refresh this long before the access token's exp: a request prepared now must still carry a
// valid token when the gateway checks it, after mobile-network latency and clock skew.
inline constexpr std::int64_t kDefaultRefreshMarginSeconds = 60;

// The SecureStore item holding the refresh token.
inline constexpr char kRefreshTokenItem[] = "ztm.refresh-token";

class TokenManager {
 public:
  // Performs the refresh grant over the network: returns the new grant, kOAuthInvalidGrant
  // when the gateway refused the refresh token (the session is over), or another error for a
  // failure that may pass (network down: the session stays).
  using RefreshFunction = std::function<Result<TokenGrant>(const Secret& refresh_token)>;
  // Told once when the session ends on its own (refresh refused), with the reason.
  using SessionEndedCallback = std::function<void(const Error& reason)>;

  // Borrows `store` and `clock`, which must outlive the manager.
  TokenManager(SecureStore& store, const Clock& clock, RefreshFunction refresh,
               std::int64_t refresh_margin_seconds = kDefaultRefreshMarginSeconds);

  // Replaces the session's tokens after a sign-in (stores the refresh token first).
  Status Start(TokenGrant grant);

  // Returns an access token valid for at least the margin, refreshing first if needed.
  // Fails with kNotSignedIn (no refresh token stored), kSessionEnded (the gateway refused the
  // refresh; the callback has run), or the refresh's own transient error.
  Result<Secret> AccessToken();

  // Drops the in-memory access token so the next AccessToken() refreshes (after the gateway
  // answered invalid_token, e.g. the token's signing key was retired).
  void Invalidate();

  // The stored refresh token (for logout/revocation), or kNotSignedIn.
  Result<Secret> RefreshToken();

  // Forgets both tokens (logout, wipe). The SecureStore item is removed.
  Status Clear();

  void SetSessionEndedCallback(SessionEndedCallback callback);

  // Network refreshes performed so far (for tests and metrics).
  std::uint64_t refresh_count() const;

 private:
  Status ApplyGrantLocked(TokenGrant grant);

  SecureStore& store_;
  const Clock& clock_;
  const RefreshFunction refresh_;
  const std::int64_t margin_;

  mutable std::mutex mutex_;
  std::condition_variable refreshed_;
  std::optional<Secret> access_token_;
  std::int64_t refresh_at_ = 0;  // when the access token is refreshed before use
  bool refreshing_ = false;
  std::uint64_t generation_ = 0;       // completed refresh attempts
  std::optional<Error> last_failure_;  // the failure of attempt `generation_`, if it failed
  std::uint64_t refresh_count_ = 0;
  SessionEndedCallback on_session_ended_;
};

}  // namespace ztm::client
