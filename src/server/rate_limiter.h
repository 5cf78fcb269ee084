// Request rate limits: a table of token buckets keyed by a string (client IP, device id),
// bounded in memory by an LRU eviction rule. The gateway answers 429 when Allow() says no.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/error.h"

namespace ztm::server {

// Keys are client IPs (at most 45 characters as text) or device ids (a few dozen); a longer
// key is not one of ours and is refused rather than stored.
inline constexpr std::size_t kMaxRateLimitKeyBytes = 256;

// Monotonic time in seconds (any origin). Injected so tests can move time by hand.
using MonotonicSecondsClock = std::function<double()>;

// The process's steady clock in seconds.
double SteadySeconds();

struct RateLimiterOptions {
  double rate = 0;           // tokens added per second; > 0
  double burst = 0;          // bucket size: requests allowed at once after a pause; >= 1
  std::size_t capacity = 0;  // keys tracked at most; the least recently used is evicted
};

// RateLimiter answers whether one more request under a key fits its token bucket: each
// key starts with `burst` tokens, each request takes one, and tokens come back at `rate`
// per second up to `burst`. Thread-safe.
//
// WARNING: an evicted key comes back with a full bucket, so a client that makes the table
// churn through more than `capacity` keys can reset the buckets of idle keys. Size
// `capacity` above the number of clients active within one refill period (burst / rate).
class RateLimiter {
 public:
  // Creates a limiter; fails if `rate` is not a positive finite number, `burst` is below 1
  // or not finite, or `capacity` is 0.
  static Result<std::unique_ptr<RateLimiter>> Create(RateLimiterOptions options,
                                                     MonotonicSecondsClock clock = SteadySeconds);

  // Takes one token from `key`'s bucket and returns true, or returns false when the bucket
  // is empty. An empty key or one longer than kMaxRateLimitKeyBytes is refused (false).
  bool Allow(std::string_view key);

  // Returns whether Allow(key) would return true now, without taking a token: for limits that
  // count only failures (check first, Allow() after a failure).
  bool WouldAllow(std::string_view key) const;

  // The number of keys currently tracked (at most `capacity`).
  std::size_t size() const;

 private:
  struct Bucket {
    std::string key;
    double tokens;
    double updated_at;
  };
  using LruList = std::list<Bucket>;

  RateLimiter(RateLimiterOptions options, MonotonicSecondsClock clock)
      : options_(options), clock_(std::move(clock)) {}

  const RateLimiterOptions options_;
  const MonotonicSecondsClock clock_;
  mutable std::mutex mutex_;
  LruList lru_;                                                    // most recently used first
  std::unordered_map<std::string_view, LruList::iterator> index_;  // views into lru_ keys
};

}  // namespace ztm::server
