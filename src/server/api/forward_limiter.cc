#include "server/api/forward_limiter.h"

namespace ztm::server {

ForwardLimiter::Slot::~Slot() { limiter_.Release(address_key_, device_key_); }

std::shared_ptr<ForwardLimiter::Slot> ForwardLimiter::TryAcquire(std::string_view address,
                                                                 std::string_view device_id) {
  std::string address_key = "a:" + std::string(address);
  std::string device_key = device_id.empty() ? std::string() : "d:" + std::string(device_id);
  std::lock_guard lock(mutex_);
  auto address_it = in_flight_.find(address_key);
  if (address_it != in_flight_.end() && address_it->second >= per_address_) return nullptr;
  if (!device_key.empty()) {
    auto device_it = in_flight_.find(device_key);
    if (device_it != in_flight_.end() && device_it->second >= per_device_) return nullptr;
    ++in_flight_[device_key];
  }
  ++in_flight_[address_key];
  return std::shared_ptr<Slot>(new Slot(*this, std::move(address_key), std::move(device_key)));
}

std::size_t ForwardLimiter::InFlight(std::string_view key) const {
  std::lock_guard lock(mutex_);
  auto it = in_flight_.find(std::string(key));
  return it == in_flight_.end() ? 0 : it->second;
}

void ForwardLimiter::Release(const std::string& address_key, const std::string& device_key) {
  std::lock_guard lock(mutex_);
  for (const std::string* key : {&address_key, &device_key}) {
    if (key->empty()) continue;
    auto it = in_flight_.find(*key);
    if (it == in_flight_.end()) continue;
    if (--it->second == 0) in_flight_.erase(it);
  }
}

}  // namespace ztm::server
