// Time source. Every time-dependent check takes a Clock so tests can fix "now".
#pragma once

#include <cstdint>

namespace ztm {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch.
  virtual std::int64_t NowSeconds() const = 0;
};

// The system's wall clock.
class SystemClock final : public Clock {
 public:
  std::int64_t NowSeconds() const override;
  // A process-wide instance.
  static const SystemClock& Instance();
};

// A clock that always answers the time it was given (tests, CLI --now).
class FixedClock final : public Clock {
 public:
  explicit FixedClock(std::int64_t now) : now_(now) {}
  std::int64_t NowSeconds() const override { return now_; }
  void Set(std::int64_t now) { now_ = now; }

 private:
  std::int64_t now_;
};

}  // namespace ztm
