#include "server/verify/replay_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace ztm::server {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

std::unique_ptr<InMemoryReplayCache> Cache(std::size_t capacity) {
  auto cache = InMemoryReplayCache::Create(capacity);
  EXPECT_TRUE(cache.ok());
  return std::move(cache).value();
}

TEST(ReplayCache, SecondUseInsideTheWindowIsAReplay) {
  auto cache = Cache(100);
  ASSERT_TRUE(cache->Insert("sig/device/nonce-1", kNow + 60, kNow).ok());
  auto replay = cache->Insert("sig/device/nonce-1", kNow + 60, kNow + 30);
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.code(), Code::kRequestReplayed);
  EXPECT_TRUE(cache->Insert("sig/device/nonce-2", kNow + 60, kNow).ok());
  EXPECT_EQ(cache->size(), 2u);
}

TEST(ReplayCache, AKeyIsFreeAgainAfterItsExpiry) {
  auto cache = Cache(100);
  ASSERT_TRUE(cache->Insert("k", kNow + 60, kNow).ok());
  EXPECT_FALSE(cache->Insert("k", kNow + 120, kNow + 59).ok());
  EXPECT_TRUE(cache->Insert("k", kNow + 120, kNow + 60).ok());
  EXPECT_FALSE(cache->Insert("k", kNow + 180, kNow + 100).ok());
}

TEST(ReplayCache, FullOfUnexpiredEntriesRefusesRatherThanEvicts) {
  auto cache = Cache(3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(cache->Insert("k" + std::to_string(i), kNow + 60, kNow).ok());
  }
  auto full = cache->Insert("k3", kNow + 60, kNow + 1);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.code(), Code::kReplayCacheFull);
  // Nothing was evicted: every remembered key is still a replay.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(cache->Insert("k" + std::to_string(i), kNow + 60, kNow + 2).code(),
              Code::kRequestReplayed);
  }
  // Once entries expire, their room is reused.
  EXPECT_TRUE(cache->Insert("k3", kNow + 120, kNow + 60).ok());
  EXPECT_LE(cache->size(), 3u);
}

TEST(ReplayCache, CapacityIsBounded) {
  EXPECT_FALSE(InMemoryReplayCache::Create(0).ok());
  EXPECT_FALSE(InMemoryReplayCache::Create(InMemoryReplayCache::kMaxCapacity + 1).ok());
  EXPECT_TRUE(InMemoryReplayCache::Create(InMemoryReplayCache::kMaxCapacity).ok());
}

TEST(ReplayCache, LongKeysCostTheSameAsShortOnes) {
  auto cache = Cache(10);
  const std::string long_key(100000, 'x');
  ASSERT_TRUE(cache->Insert(long_key, kNow + 60, kNow).ok());
  EXPECT_EQ(cache->Insert(long_key, kNow + 60, kNow).code(), Code::kRequestReplayed);
  EXPECT_TRUE(cache->Insert(long_key + "y", kNow + 60, kNow).ok());
}

TEST(ReplayCache, ConcurrentInsertsOfOneKeyAdmitExactlyOne) {
  auto cache = Cache(1'000'000);
  constexpr int kThreads = 32;
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int n = 0; n < 200; ++n) {
        if (cache->Insert("shared-" + std::to_string(n), kNow + 60, kNow).ok()) ++admitted;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(admitted.load(), 200);
  EXPECT_EQ(cache->size(), 200u);
}

}  // namespace
}  // namespace ztm::server
