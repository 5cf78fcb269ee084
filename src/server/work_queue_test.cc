#include "server/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>

namespace ztm::server {
namespace {

using namespace std::chrono_literals;

TEST(BoundedWorkQueue, RefusesBadOptions) {
  EXPECT_FALSE(BoundedWorkQueue::Create(0, 4).ok());
  EXPECT_FALSE(BoundedWorkQueue::Create(65, 4).ok());
  EXPECT_FALSE(BoundedWorkQueue::Create(1, 0).ok());
}

TEST(BoundedWorkQueue, RunsTasksAndRefusesPastCapacity) {
  auto queue = BoundedWorkQueue::Create(1, 2).value();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  std::atomic<int> ran{0};
  ASSERT_TRUE(queue->TrySubmit([&] {
    started.set_value();
    released.wait();
    ++ran;
  }));
  started.get_future().wait();  // the only worker is busy
  EXPECT_TRUE(queue->TrySubmit([&] { ++ran; }));
  EXPECT_TRUE(queue->TrySubmit([&] { ++ran; }));
  EXPECT_EQ(queue->pending(), 2u);
  EXPECT_FALSE(queue->TrySubmit([&] { ++ran; }));  // full: refused at once, never blocks
  release.set_value();
  queue.reset();  // accepted tasks run before the workers are joined
  EXPECT_EQ(ran.load(), 3);
}

}  // namespace
}  // namespace ztm::server
