// A small fixed pool of worker threads with a bounded queue, for work too slow for the IO
// threads (Argon2id password verification): a full queue refuses new work at once instead of
// letting it pile up, so a flood of slow requests costs bounded memory and never blocks the
// threads that answer everything else.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.h"

namespace ztm::server {

// BoundedWorkQueue runs submitted tasks on `threads` workers, at most `capacity` of them
// waiting at once. Thread-safe. The destructor runs every task already accepted, then joins.
class BoundedWorkQueue {
 public:
  // Starts the workers; fails with kInvalidArgument if `threads` is not 1..64 or `capacity`
  // is 0.
  static Result<std::unique_ptr<BoundedWorkQueue>> Create(int threads, std::size_t capacity);
  ~BoundedWorkQueue();
  BoundedWorkQueue(const BoundedWorkQueue&) = delete;
  BoundedWorkQueue& operator=(const BoundedWorkQueue&) = delete;

  // Queues `task` and returns true, or returns false (and drops `task`) when `capacity`
  // tasks are already waiting or the queue is shutting down.
  [[nodiscard]] bool TrySubmit(std::function<void()> task);

  // The number of tasks waiting (not yet started).
  std::size_t pending() const;

 private:
  explicit BoundedWorkQueue(std::size_t capacity) : capacity_(capacity) {}
  void Work();

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace ztm::server
