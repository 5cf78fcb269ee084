#include "server/api/audit_limiter.h"

namespace ztm::server {

bool AuditLimiter::ShouldRecord(Code reason, std::int64_t now) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = last_recorded_.try_emplace(reason, now);
  if (inserted) return true;
  if (now <= it->second) return false;
  it->second = now;
  return true;
}

}  // namespace ztm::server
