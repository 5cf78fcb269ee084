#include "core/crypto/public_key_cache.h"

namespace ztm::crypto {

PublicKeyCache::PublicKeyCache(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

std::optional<PublicKey> PublicKeyCache::Find(std::string_view id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(std::string(id));
  if (it == entries_.end()) return std::nullopt;
  order_.splice(order_.begin(), order_, it->second.position);
  return it->second.key;
}

void PublicKeyCache::Insert(std::string_view id, const PublicKey& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string name(id);
  auto it = entries_.find(name);
  if (it != entries_.end()) {
    order_.splice(order_.begin(), order_, it->second.position);
    return;
  }
  if (entries_.size() >= capacity_) {
    entries_.erase(order_.back());
    order_.pop_back();
  }
  order_.push_front(name);
  entries_.emplace(std::move(name), Entry{key, order_.begin()});
}

std::size_t PublicKeyCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

}  // namespace ztm::crypto
