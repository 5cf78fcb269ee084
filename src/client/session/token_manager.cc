#include "client/session/token_manager.h"

#include <algorithm>
#include <utility>

namespace ztm::client {

TokenManager::TokenManager(SecureStore& store, const Clock& clock, RefreshFunction refresh,
                           std::int64_t refresh_margin_seconds)
    : store_(store), clock_(clock), refresh_(std::move(refresh)), margin_(refresh_margin_seconds) {}

Status TokenManager::ApplyGrantLocked(TokenGrant grant) {
  if (grant.access_token.empty()) {
    return Error{Code::kGatewayProtocol, "the token grant has no access token"};
  }
  // The rotated refresh token is stored before the new access token is used: if the app dies
  // in between, it restarts with the refresh token the gateway now expects.
  if (!grant.refresh_token.empty()) {
    ZTM_RETURN_IF_ERROR(store_.Put(kRefreshTokenItem, grant.refresh_token));
  }
  access_token_ = std::move(grant.access_token);
  // Refresh `margin_` before exp, or halfway through a lifetime shorter than twice the margin
  // (so a short-lived token is still used, not refreshed on every call).
  const std::int64_t now = clock_.NowSeconds();
  const std::int64_t lifetime = std::max<std::int64_t>(grant.expires_at - now, 0);
  refresh_at_ = grant.expires_at - std::min(margin_, lifetime / 2);
  return OkStatus();
}

Status TokenManager::Start(TokenGrant grant) {
  if (grant.refresh_token.empty()) {
    return Error{Code::kGatewayProtocol, "the sign-in grant has no refresh token"};
  }
  std::lock_guard lock(mutex_);
  last_failure_.reset();
  return ApplyGrantLocked(std::move(grant));
}

Result<Secret> TokenManager::AccessToken() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (access_token_ && clock_.NowSeconds() < refresh_at_) return *access_token_;
    if (!refreshing_) break;
    // Another caller is refreshing: share its outcome instead of refreshing again.
    const std::uint64_t waiting_for = generation_ + 1;
    refreshed_.wait(lock, [&] { return generation_ >= waiting_for; });
    if (generation_ == waiting_for && last_failure_) return *last_failure_;
  }
  refreshing_ = true;
  lock.unlock();

  Result<TokenGrant> grant = Error{Code::kNotSignedIn, "no session: sign in first"};
  Result<Secret> refresh_token = store_.Get(kRefreshTokenItem);
  if (refresh_token.ok()) {
    grant = refresh_(*refresh_token);
  } else if (refresh_token.code() != Code::kSecureItemNotFound) {
    grant = std::move(refresh_token).error();
  }

  lock.lock();
  refreshing_ = false;
  ++generation_;
  ++refresh_count_;
  last_failure_.reset();
  SessionEndedCallback notify;
  Error failure{Code::kInternal, ""};
  if (grant.ok()) {
    if (Status applied = ApplyGrantLocked(std::move(grant).value()); !applied.ok()) {
      failure = applied.error();
      last_failure_ = failure;
    }
  } else if (grant.code() == Code::kOAuthInvalidGrant) {
    // RFC 9700 §4.14: the gateway revoked the family (reuse, logout elsewhere, expiry). The
    // session is over; the refresh token is useless and is deleted.
    access_token_.reset();
    (void)store_.Remove(kRefreshTokenItem);
    failure = Error{Code::kSessionEnded,
                    "the gateway ended the session: sign in again (" + grant.error().message + ")"};
    last_failure_ = failure;
    notify = on_session_ended_;
  } else {
    failure = grant.error();
    last_failure_ = failure;
  }
  const bool failed = last_failure_.has_value();
  std::optional<Secret> token = failed ? std::nullopt : access_token_;
  lock.unlock();
  refreshed_.notify_all();
  if (notify) notify(failure);
  if (failed) return failure;
  return std::move(*token);
}

void TokenManager::Invalidate() {
  std::lock_guard lock(mutex_);
  access_token_.reset();
}

Result<Secret> TokenManager::RefreshToken() {
  auto token = store_.Get(kRefreshTokenItem);
  if (!token.ok() && token.code() == Code::kSecureItemNotFound) {
    return Error{Code::kNotSignedIn, "no session: sign in first"};
  }
  return token;
}

Status TokenManager::Clear() {
  std::lock_guard lock(mutex_);
  access_token_.reset();
  refresh_at_ = 0;
  Status removed = store_.Remove(kRefreshTokenItem);
  if (!removed.ok() && removed.code() != Code::kSecureItemNotFound) return removed;
  return OkStatus();
}

void TokenManager::SetSessionEndedCallback(SessionEndedCallback callback) {
  std::lock_guard lock(mutex_);
  on_session_ended_ = std::move(callback);
}

std::uint64_t TokenManager::refresh_count() const {
  std::lock_guard lock(mutex_);
  return refresh_count_;
}

}  // namespace ztm::client
