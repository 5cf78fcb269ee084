// StorePruner: a thread that sleeps on a condition variable between prunes, so Stop() never
// waits out an interval.
#include "server/store/store_pruner.h"

#include <chrono>
#include <utility>

namespace ztm::server {

StorePruner::StorePruner(StoreMaintenance& store, const Clock& clock, JsonLogger& logger,
                         Counter& pruned_rows, std::int64_t interval_seconds)
    : store_(store),
      clock_(clock),
      logger_(logger),
      pruned_rows_(pruned_rows),
      interval_seconds_(interval_seconds) {}

StorePruner::~StorePruner() { Stop(); }

void StorePruner::Start() {
  if (interval_seconds_ <= 0) return;
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Loop(); });
}

void StorePruner::Stop() {
  std::thread thread;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    thread = std::move(thread_);
  }
  wake_.notify_all();
  if (thread.joinable()) thread.join();
}

Result<PruneCounts> StorePruner::RunOnce() {
  auto counts = store_.PruneExpired(clock_.NowSeconds());
  if (!counts.ok()) {
    logger_.Error("store prune failed",
                  {{"code", CodeName(counts.code())}, {"error", counts.error().message}});
    return counts;
  }
  pruned_rows_.Increment({"challenges"}, static_cast<std::uint64_t>(counts->challenges));
  pruned_rows_.Increment({"refresh_tokens"}, static_cast<std::uint64_t>(counts->refresh_tokens));
  pruned_rows_.Increment({"token_families"}, static_cast<std::uint64_t>(counts->token_families));
  logger_.Info("store pruned", {{"challenges", counts->challenges},
                                {"refresh_tokens", counts->refresh_tokens},
                                {"token_families", counts->token_families}});
  return counts;
}

void StorePruner::Loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    // A failure is logged by RunOnce; the next interval tries again.
    (void)RunOnce();
    lock.lock();
    wake_.wait_for(lock, std::chrono::seconds(interval_seconds_), [this] { return stopping_; });
  }
}

}  // namespace ztm::server
