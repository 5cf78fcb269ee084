// Bounds the audit rows that failures can cause. Every failure is counted in metrics, but a
// row in the append-only audit table is written at most once per second per reason: otherwise
// anyone could grow the table (and the disk) by sending bad requests.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "core/error.h"

namespace ztm::server {

class AuditLimiter {
 public:
  // True if a row for `reason` may be written at `now` (seconds); then no other row for that
  // reason is allowed until now + 1. Reasons are error codes, a closed set, so the table stays
  // bounded. Thread-safe.
  bool ShouldRecord(Code reason, std::int64_t now);

 private:
  std::mutex mutex_;
  std::unordered_map<Code, std::int64_t> last_recorded_;
};

}  // namespace ztm::server
