// A bounded, thread-safe LRU cache of parsed public keys, keyed by a collision-resistant
// identifier of the key material (for JWKs: the RFC 7638 thumbprint). Verifiers that receive
// keys inside messages (DPoP proofs carry their JWK) use it so a device's key is parsed once,
// not on every request: importing a P-256 point costs ~40% of an ES256 verification.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/crypto/keys.h"

namespace ztm::crypto {

class PublicKeyCache {
 public:
  // A gateway sees at most a few active devices per second per core; 10,000 entries keep
  // every device of a busy minute parsed while bounding memory to a few MB.
  static constexpr std::size_t kDefaultCapacity = 10'000;

  explicit PublicKeyCache(std::size_t capacity = kDefaultCapacity);
  PublicKeyCache(const PublicKeyCache&) = delete;
  PublicKeyCache& operator=(const PublicKeyCache&) = delete;

  // Returns the key cached under `id` and marks it most recently used.
  std::optional<PublicKey> Find(std::string_view id);
  // Caches `key` under `id`, evicting the least recently used entry when full. `id` must
  // identify the key material uniquely (a thumbprint, never a caller-chosen name).
  void Insert(std::string_view id, const PublicKey& key);

  std::size_t size() const;
  std::size_t capacity() const { return capacity_; }

 private:
  using Order = std::list<std::string>;
  struct Entry {
    PublicKey key;
    Order::iterator position;
  };
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  Order order_;  // front = most recently used
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace ztm::crypto
