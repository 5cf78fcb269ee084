// A fixed thread pool with a bounded queue (see work_queue.h).
#include "server/work_queue.h"

#include <utility>

namespace ztm::server {
namespace {

// More workers than this is not a "small dedicated pool"; a configuration asking for it is a
// mistake, not a tuning choice.
constexpr int kMaxWorkers = 64;

}  // namespace

Result<std::unique_ptr<BoundedWorkQueue>> BoundedWorkQueue::Create(int threads,
                                                                   std::size_t capacity) {
  if (threads < 1 || threads > kMaxWorkers) {
    return Error{Code::kInvalidArgument, "work queue: threads must be 1..64"};
  }
  if (capacity == 0) return Error{Code::kInvalidArgument, "work queue: capacity must be >= 1"};
  std::unique_ptr<BoundedWorkQueue> queue(new BoundedWorkQueue(capacity));
  queue->workers_.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    queue->workers_.emplace_back([raw = queue.get()] { raw->Work(); });
  }
  return queue;
}

BoundedWorkQueue::~BoundedWorkQueue() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

bool BoundedWorkQueue::TrySubmit(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || tasks_.size() >= capacity_) return false;
    tasks_.push_back(std::move(task));
  }
  ready_.notify_one();
  return true;
}

std::size_t BoundedWorkQueue::pending() const {
  std::lock_guard lock(mutex_);
  return tasks_.size();
}

void BoundedWorkQueue::Work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      // Accepted tasks still run on shutdown: each one owes a client its answer.
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace ztm::server
