#include "server/api/forward_limiter.h"

#include <gtest/gtest.h>

#include <vector>

namespace ztm::server {
namespace {

TEST(ForwardLimiter, CapsEachDeviceAndEachAddress) {
  ForwardLimiter limiter(/*per_device=*/2, /*per_address=*/3);
  auto a = limiter.TryAcquire("10.0.0.1", "dev-a");
  auto b = limiter.TryAcquire("10.0.0.1", "dev-a");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(limiter.TryAcquire("10.0.0.2", "dev-a"), nullptr);  // the device is full
  auto c = limiter.TryAcquire("10.0.0.1", "dev-b");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(limiter.TryAcquire("10.0.0.1", "dev-c"), nullptr);  // the address is full
  EXPECT_EQ(limiter.TryAcquire("10.0.0.1", ""), nullptr);
  EXPECT_NE(limiter.TryAcquire("10.0.0.9", "dev-c"), nullptr);  // others are unaffected
  EXPECT_EQ(limiter.InFlight("d:dev-a"), 2u);
  EXPECT_EQ(limiter.InFlight("a:10.0.0.1"), 3u);
}

TEST(ForwardLimiter, ReleasingASlotFreesItAndForgetsIdleKeys) {
  ForwardLimiter limiter(1, 1);
  auto slot = limiter.TryAcquire("10.0.0.1", "dev-a");
  ASSERT_NE(slot, nullptr);
  EXPECT_EQ(limiter.TryAcquire("10.0.0.1", "dev-a"), nullptr);
  slot.reset();
  EXPECT_EQ(limiter.InFlight("d:dev-a"), 0u);
  EXPECT_EQ(limiter.InFlight("a:10.0.0.1"), 0u);
  EXPECT_NE(limiter.TryAcquire("10.0.0.1", "dev-a"), nullptr);
}

TEST(ForwardLimiter, RefusalTakesNothing) {
  ForwardLimiter limiter(1, 5);
  auto held = limiter.TryAcquire("10.0.0.1", "dev-a");
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(limiter.TryAcquire("10.0.0.1", "dev-a"), nullptr);
  // The refused attempt did not count against the address.
  EXPECT_EQ(limiter.InFlight("a:10.0.0.1"), 1u);
}

}  // namespace
}  // namespace ztm::server
