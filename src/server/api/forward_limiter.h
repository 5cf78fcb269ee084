// Forwards in flight per client. A forward holds one of the upstream client's slots from the
// request until the last byte of its response is sent, and a streamed response to a client
// that reads slowly can take long; without a per-client cap, one device (or one address)
// opening many slow downloads could hold every slot and lock everyone else out (503
// upstream_busy). A slot is released when its Slot object is destroyed.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ztm::server {

// Forwards one device may have in flight: above what an app's bursts need (a screen that
// loads a few dozen images at once), a sixteenth of the upstream client's 1024 slots.
inline constexpr std::size_t kMaxForwardsPerDevice = 64;
// Per client address (unauthenticated public routes, and all the devices behind one NAT).
inline constexpr std::size_t kMaxForwardsPerAddress = 256;

class ForwardLimiter {
 public:
  // Held while a forward is in flight; releasing it (destruction) frees the slots it took.
  class Slot {
   public:
    ~Slot();
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    friend class ForwardLimiter;
    Slot(ForwardLimiter& limiter, std::string address_key, std::string device_key)
        : limiter_(limiter),
          address_key_(std::move(address_key)),
          device_key_(std::move(device_key)) {}
    ForwardLimiter& limiter_;
    const std::string address_key_;
    const std::string device_key_;  // "" when the forward has no device
  };

  ForwardLimiter(std::size_t per_device = kMaxForwardsPerDevice,
                 std::size_t per_address = kMaxForwardsPerAddress)
      : per_device_(per_device), per_address_(per_address) {}

  // Takes a slot for a forward from `address` (and `device_id`, if the request names one), or
  // returns null when either already has its maximum in flight. The limiter must outlive
  // every Slot.
  std::shared_ptr<Slot> TryAcquire(std::string_view address, std::string_view device_id);

  // Forwards in flight for `key` ("a:" + address or "d:" + device id), for tests.
  std::size_t InFlight(std::string_view key) const;

 private:
  void Release(const std::string& address_key, const std::string& device_key);

  const std::size_t per_device_;
  const std::size_t per_address_;
  mutable std::mutex mutex_;
  // Only keys with forwards in flight are present, so the map is bounded by the number of
  // forwards in flight (itself bounded by the upstream client).
  std::unordered_map<std::string, std::size_t> in_flight_;
};

}  // namespace ztm::server
