#include "core/crypto/public_key_cache.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace ztm::crypto {
namespace {

PublicKey NewKey() { return PrivateKey::Generate(KeyType::kEd25519).value().public_key(); }

TEST(PublicKeyCache, FindsWhatWasInserted) {
  PublicKeyCache cache(4);
  PublicKey key = NewKey();
  EXPECT_FALSE(cache.Find("a").has_value());
  cache.Insert("a", key);
  auto found = cache.Find("a");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->Ed25519Raw(), key.Ed25519Raw());
}

TEST(PublicKeyCache, EvictsLeastRecentlyUsedAtCapacity) {
  PublicKeyCache cache(2);
  cache.Insert("a", NewKey());
  cache.Insert("b", NewKey());
  ASSERT_TRUE(cache.Find("a").has_value());  // "b" is now least recently used
  cache.Insert("c", NewKey());
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.Find("a").has_value());
  EXPECT_FALSE(cache.Find("b").has_value());
  EXPECT_TRUE(cache.Find("c").has_value());
}

TEST(PublicKeyCache, NeverGrowsPastCapacity) {
  PublicKeyCache cache(8);
  PublicKey key = NewKey();
  for (int i = 0; i < 100; ++i) cache.Insert("k" + std::to_string(i), key);
  EXPECT_EQ(cache.size(), 8u);
}

TEST(PublicKeyCache, ReinsertKeepsFirstKey) {
  PublicKeyCache cache(2);
  PublicKey first = NewKey(), second = NewKey();
  cache.Insert("a", first);
  cache.Insert("a", second);
  EXPECT_EQ(cache.Find("a")->Ed25519Raw(), first.Ed25519Raw());
}

TEST(PublicKeyCache, ConcurrentUseIsSafe) {
  PublicKeyCache cache(16);
  PublicKey key = NewKey();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, &key, t] {
      for (int i = 0; i < 1000; ++i) {
        std::string id = std::to_string((t * 7 + i) % 40);
        cache.Insert(id, key);
        (void)cache.Find(id);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(cache.size(), 16u);
}

}  // namespace
}  // namespace ztm::crypto
