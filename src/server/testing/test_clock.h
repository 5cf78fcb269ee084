// Test-only: a clock a test sets while another thread (the JWKS refresher) reads it.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/clock.h"

namespace ztm::server::testing {

class SteppingClock final : public Clock {
 public:
  explicit SteppingClock(std::int64_t now) : now_(now) {}
  std::int64_t NowSeconds() const override { return now_.load(); }
  void Set(std::int64_t now) { now_.store(now); }
  void Advance(std::int64_t seconds) { now_.fetch_add(seconds); }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace ztm::server::testing
