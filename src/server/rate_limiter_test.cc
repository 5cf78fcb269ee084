// Token-bucket rate limiter: burst then refusal, refill over time, the capacity bound.
#include "server/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace ztm::server {
namespace {

struct ManualClock {
  double now = 1000.0;
  MonotonicSecondsClock Get() {
    return [this] { return now; };
  }
};

std::unique_ptr<RateLimiter> Make(ManualClock& clock, double rate, double burst,
                                  std::size_t capacity) {
  auto limiter = RateLimiter::Create({rate, burst, capacity}, clock.Get());
  EXPECT_TRUE(limiter.ok());
  return std::move(limiter).value();
}

TEST(RateLimiterTest, AllowsBurstThenRefuses) {
  ManualClock clock;
  auto limiter = Make(clock, 1, 5, 10);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter->Allow("10.0.0.1")) << i;
  EXPECT_FALSE(limiter->Allow("10.0.0.1"));
  EXPECT_FALSE(limiter->Allow("10.0.0.1"));
  // Other keys have their own buckets.
  EXPECT_TRUE(limiter->Allow("10.0.0.2"));
}

TEST(RateLimiterTest, RefillsAtRateUpToBurst) {
  ManualClock clock;
  auto limiter = Make(clock, 2, 4, 10);  // 2 tokens per second
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(limiter->Allow("k"));
  ASSERT_FALSE(limiter->Allow("k"));
  clock.now += 0.25;  // half a token
  EXPECT_FALSE(limiter->Allow("k"));
  clock.now += 0.25;  // one token in total
  EXPECT_TRUE(limiter->Allow("k"));
  EXPECT_FALSE(limiter->Allow("k"));
  clock.now += 3600;  // a long pause refills only up to the burst
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(limiter->Allow("k")) << i;
  EXPECT_FALSE(limiter->Allow("k"));
}

TEST(RateLimiterTest, RefusedRequestsDoNotSpendTokens) {
  ManualClock clock;
  auto limiter = Make(clock, 1, 1, 10);
  ASSERT_TRUE(limiter->Allow("k"));
  for (int i = 0; i < 100; ++i) ASSERT_FALSE(limiter->Allow("k"));
  clock.now += 1;
  EXPECT_TRUE(limiter->Allow("k"));
}

TEST(RateLimiterTest, ClockSteppingBackwardsAddsNoTokens) {
  ManualClock clock;
  auto limiter = Make(clock, 1, 1, 10);
  ASSERT_TRUE(limiter->Allow("k"));
  clock.now -= 100;
  EXPECT_FALSE(limiter->Allow("k"));
  clock.now += 100.5;  // back to the original time + 0.5 s: still under one token
  EXPECT_FALSE(limiter->Allow("k"));
  clock.now += 0.5;
  EXPECT_TRUE(limiter->Allow("k"));
}

TEST(RateLimiterTest, CapacityBoundEvictsLeastRecentlyUsed) {
  ManualClock clock;
  auto limiter = Make(clock, 1, 1, 3);
  ASSERT_TRUE(limiter->Allow("a"));
  ASSERT_TRUE(limiter->Allow("b"));
  ASSERT_TRUE(limiter->Allow("c"));
  EXPECT_EQ(limiter->size(), 3u);
  // Touch "a" so "b" becomes the least recently used.
  EXPECT_FALSE(limiter->Allow("a"));
  ASSERT_TRUE(limiter->Allow("d"));
  EXPECT_EQ(limiter->size(), 3u);
  // "a", "c" and "d" are still tracked (and empty); "b" was evicted and starts afresh.
  EXPECT_FALSE(limiter->Allow("a"));
  EXPECT_FALSE(limiter->Allow("c"));
  EXPECT_FALSE(limiter->Allow("d"));
  EXPECT_TRUE(limiter->Allow("b"));
  EXPECT_EQ(limiter->size(), 3u);
}

TEST(RateLimiterTest, ManyKeysStayWithinCapacity) {
  ManualClock clock;
  auto limiter = Make(clock, 1, 1, 100);
  for (int i = 0; i < 10'000; ++i) ASSERT_TRUE(limiter->Allow("key-" + std::to_string(i)));
  EXPECT_EQ(limiter->size(), 100u);
}

TEST(RateLimiterTest, RefusesEmptyAndOversizedKeys) {
  ManualClock clock;
  auto limiter = Make(clock, 100, 100, 10);
  EXPECT_FALSE(limiter->Allow(""));
  EXPECT_FALSE(limiter->Allow(std::string(kMaxRateLimitKeyBytes + 1, 'x')));
  EXPECT_TRUE(limiter->Allow(std::string(kMaxRateLimitKeyBytes, 'x')));
  EXPECT_EQ(limiter->size(), 1u);
}

TEST(RateLimiterTest, CreateValidatesOptions) {
  EXPECT_FALSE(RateLimiter::Create({0, 1, 1}).ok());
  EXPECT_FALSE(RateLimiter::Create({-1, 1, 1}).ok());
  EXPECT_FALSE(RateLimiter::Create({1.0 / 0.0, 1, 1}).ok());
  EXPECT_FALSE(RateLimiter::Create({1, 0.5, 1}).ok());
  EXPECT_FALSE(RateLimiter::Create({1, 1, 0}).ok());
  EXPECT_FALSE(RateLimiter::Create({1, 1, 1}, nullptr).ok());
  EXPECT_EQ(RateLimiter::Create({0, 1, 1}).code(), Code::kInvalidArgument);
  EXPECT_TRUE(RateLimiter::Create({0.5, 1, 1}).ok());
}

TEST(RateLimiterTest, ConcurrentCallersNeverExceedBurst) {
  ManualClock clock;  // time stands still: exactly `burst` requests may pass
  auto limiter = Make(clock, 1, 1000, 10);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (limiter->Allow("shared")) allowed.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 1000);
}

}  // namespace
}  // namespace ztm::server
