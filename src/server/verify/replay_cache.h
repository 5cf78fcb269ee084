// The replay cache: remembers request-signature nonces and DPoP proof "jti"s for as long as the
// request carrying them could still pass the time checks, so each can be used once
// (RFC 9449 §11.1, RFC 9421 §7.2.2). The in-memory implementation serves one gateway; a later
// issue adds a shared (Redis) one for several gateways behind the same interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/error.h"

namespace ztm::server {

class ReplayCache {
 public:
  virtual ~ReplayCache() = default;

  // Records `key` as used until `expires_at`. Fails with kRequestReplayed if `key` is already
  // recorded with an expiry after `now`, and with kReplayCacheFull if the cache holds its
  // capacity of unexpired entries: it then refuses the request rather than forget a
  // remembered one (fail closed: an evicted nonce could be replayed). Thread-safe.
  virtual Status Insert(std::string_view key, std::int64_t expires_at, std::int64_t now) = 0;

  // The number of entries held (expired ones not yet purged included).
  virtual std::size_t size() const = 0;
};

// A bounded in-process replay cache. Keys are stored as 128-bit truncated SHA-256 digests, so
// each entry costs a fixed ~100 bytes whatever the client sent (a collision, at 2^-64 for a
// billion entries, could only refuse a legitimate request). The capacity is split evenly over
// kShards shards, each with its own lock, so concurrent requests rarely contend; a shard that
// is full after purging its expired entries refuses new keys (503 upstream).
class InMemoryReplayCache final : public ReplayCache {
 public:
  // Enough shards that 2-16 worker threads rarely wait on each other.
  static constexpr std::size_t kShards = 16;
  // Upper bound on the capacity: ~100 bytes per entry keeps the cache under ~1 GB.
  static constexpr std::size_t kMaxCapacity = 10'000'000;

  // Fails with kInvalidArgument if `capacity` is 0 or above kMaxCapacity.
  static Result<std::unique_ptr<InMemoryReplayCache>> Create(std::size_t capacity);

  Status Insert(std::string_view key, std::int64_t expires_at, std::int64_t now) override;
  std::size_t size() const override;

 private:
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, std::int64_t> expiry_by_key;
    // Min-heap by expiry: purging pops from the top while it is expired.
    std::priority_queue<std::pair<std::int64_t, std::string>,
                        std::vector<std::pair<std::int64_t, std::string>>, std::greater<>>
        by_expiry;
  };
  explicit InMemoryReplayCache(std::size_t shard_count, std::size_t shard_capacity);
  static void Purge(Shard& shard, std::int64_t now);

  const std::size_t shard_capacity_;
  std::vector<Shard> shards_;
};

}  // namespace ztm::server
