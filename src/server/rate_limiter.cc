// Token-bucket rate limiting with an LRU-bounded key table (see rate_limiter.h).
#include "server/rate_limiter.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace ztm::server {

double SteadySeconds() {
  using std::chrono::duration;
  using std::chrono::steady_clock;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

Result<std::unique_ptr<RateLimiter>> RateLimiter::Create(RateLimiterOptions options,
                                                         MonotonicSecondsClock clock) {
  if (!std::isfinite(options.rate) || options.rate <= 0) {
    return Error{Code::kInvalidArgument, "rate limiter: rate must be a positive number"};
  }
  if (!std::isfinite(options.burst) || options.burst < 1) {
    return Error{Code::kInvalidArgument, "rate limiter: burst must be at least 1"};
  }
  if (options.capacity == 0) {
    return Error{Code::kInvalidArgument, "rate limiter: capacity must be at least 1"};
  }
  if (!clock) return Error{Code::kInvalidArgument, "rate limiter: no clock"};
  return std::unique_ptr<RateLimiter>(new RateLimiter(options, std::move(clock)));
}

bool RateLimiter::Allow(std::string_view key) {
  if (key.empty() || key.size() > kMaxRateLimitKeyBytes) return false;
  const double now = clock_();
  std::lock_guard lock(mutex_);

  auto found = index_.find(key);
  if (found == index_.end()) {
    if (lru_.size() >= options_.capacity) {
      index_.erase(lru_.back().key);
      lru_.pop_back();
    }
    // A new key starts with a full bucket and spends one token on this request.
    lru_.push_front(Bucket{std::string(key), options_.burst - 1, now});
    index_.emplace(lru_.front().key, lru_.begin());
    return true;
  }

  lru_.splice(lru_.begin(), lru_, found->second);
  Bucket& bucket = lru_.front();
  // A clock that steps backwards adds no tokens (and never removes any).
  const double elapsed = std::max(0.0, now - bucket.updated_at);
  bucket.tokens = std::min(options_.burst, bucket.tokens + elapsed * options_.rate);
  bucket.updated_at = std::max(bucket.updated_at, now);
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

bool RateLimiter::WouldAllow(std::string_view key) const {
  if (key.empty() || key.size() > kMaxRateLimitKeyBytes) return false;
  const double now = clock_();
  std::lock_guard lock(mutex_);
  auto found = index_.find(key);
  if (found == index_.end()) return true;  // a new key starts with a full bucket
  const Bucket& bucket = *found->second;
  const double elapsed = std::max(0.0, now - bucket.updated_at);
  return std::min(options_.burst, bucket.tokens + elapsed * options_.rate) >= 1;
}

std::size_t RateLimiter::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

}  // namespace ztm::server
