#include "server/verify/replay_cache.h"

#include "core/bytes.h"
#include "core/crypto/crypto.h"

namespace ztm::server {
namespace {

// 128 bits: collisions between distinct keys are negligible at any capacity allowed.
constexpr std::size_t kDigestBytes = 16;

}  // namespace

Result<std::unique_ptr<InMemoryReplayCache>> InMemoryReplayCache::Create(std::size_t capacity) {
  if (capacity == 0 || capacity > kMaxCapacity) {
    return Error{Code::kInvalidArgument, "replay cache capacity must be in 1..10000000"};
  }
  // Small caches (tests) use one shard so the capacity is exact.
  const std::size_t shard_count = capacity < kShards * 64 ? 1 : kShards;
  const std::size_t shard_capacity = (capacity + shard_count - 1) / shard_count;
  return std::unique_ptr<InMemoryReplayCache>(new InMemoryReplayCache(shard_count, shard_capacity));
}

InMemoryReplayCache::InMemoryReplayCache(std::size_t shard_count, std::size_t shard_capacity)
    : shard_capacity_(shard_capacity), shards_(shard_count) {}

void InMemoryReplayCache::Purge(Shard& shard, std::int64_t now) {
  while (!shard.by_expiry.empty() && shard.by_expiry.top().first <= now) {
    const auto& [expires_at, digest] = shard.by_expiry.top();
    auto it = shard.expiry_by_key.find(digest);
    // A re-inserted key (after its first expiry) has a newer expiry: keep that entry.
    if (it != shard.expiry_by_key.end() && it->second == expires_at) shard.expiry_by_key.erase(it);
    shard.by_expiry.pop();
  }
}

Status InMemoryReplayCache::Insert(std::string_view key, std::int64_t expires_at,
                                   std::int64_t now) {
  const Bytes full = crypto::Sha256(key);
  std::string digest(reinterpret_cast<const char*>(full.data()), kDigestBytes);
  // Two more digest bytes, independent of the stored ones, pick the shard.
  const std::size_t shard_index =
      (static_cast<std::size_t>(full[kDigestBytes]) << 8 | full[kDigestBytes + 1]) % shards_.size();
  Shard& shard = shards_[shard_index];
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto it = shard.expiry_by_key.find(digest);
  if (it != shard.expiry_by_key.end() && it->second > now) {
    return Error{Code::kRequestReplayed, "replayed"};
  }
  if (it == shard.expiry_by_key.end() && shard.expiry_by_key.size() >= shard_capacity_) {
    Purge(shard, now);
    if (shard.expiry_by_key.size() >= shard_capacity_) {
      return Error{Code::kReplayCacheFull, "replay cache is full"};
    }
  }
  shard.expiry_by_key[digest] = expires_at;
  shard.by_expiry.emplace(expires_at, std::move(digest));
  // Keep the heap from growing without bound when expired keys are re-inserted often.
  if (shard.by_expiry.size() > 2 * shard_capacity_) Purge(shard, now);
  return OkStatus();
}

std::size_t InMemoryReplayCache::size() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mutex);
    total += shard.expiry_by_key.size();
  }
  return total;
}

}  // namespace ztm::server
