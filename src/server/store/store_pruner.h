// The gateway's periodic store maintenance: one background thread that calls
// StoreMaintenance::PruneExpired every `storage.prune_interval_seconds`, so expired challenges
// and long-ended token families do not accumulate. Never runs on the HTTP I/O threads: a
// prune waits for the store's write lock like any other writer.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "core/error.h"
#include "server/api/json_logger.h"
#include "server/metrics.h"
#include "server/store/store.h"

namespace ztm::server {

// StorePruner prunes `store` on its own thread. Borrows every argument, which must outlive it.
// Thread-safe.
class StorePruner {
 public:
  // `pruned_rows` is a counter with one label, "table" (ztm_store_pruned_rows_total).
  // `interval_seconds` 0 disables the thread (RunOnce still works).
  StorePruner(StoreMaintenance& store, const Clock& clock, JsonLogger& logger, Counter& pruned_rows,
              std::int64_t interval_seconds);
  // Stops the thread (Stop()).
  ~StorePruner();
  StorePruner(const StorePruner&) = delete;
  StorePruner& operator=(const StorePruner&) = delete;

  // Starts the thread, which prunes at once, then every interval. Does nothing when the
  // interval is 0; idempotent.
  void Start();
  // Wakes the thread, lets a prune in progress finish its current batch run and joins.
  // Idempotent.
  void Stop();
  // One prune on the calling thread at the clock's now: counts the rows in the metric and logs
  // them ("store pruned"), or logs the failure ("store prune failed") and returns it.
  Result<PruneCounts> RunOnce();

 private:
  void Loop();

  StoreMaintenance& store_;
  const Clock& clock_;
  JsonLogger& logger_;
  Counter& pruned_rows_;
  const std::int64_t interval_seconds_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ztm::server
