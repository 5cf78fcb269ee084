// The background thread that keeps every jwks_url issuer's keys fresh: one thread for all
// issuers, fetching each when it is due (UrlJwksSource::NextFetchAt) and sleeping otherwise,
// woken early when a token names an unknown kid. Fetches never run on the server's I/O
// threads. Started and stopped with the gateway; Stop() aborts a fetch in flight and joins.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "server/api/json_logger.h"
#include "server/metrics.h"
#include "server/tokens/jwks_source.h"

namespace ztm::server {

// The thread re-reads the clock at least this often even with nothing due, so a wall-clock
// step (NTP) or an injected test clock cannot leave a due fetch waiting long.
inline constexpr std::int64_t kJwksRefresherMaxSleepSeconds = 60;
// Start() waits this long for the first round of fetches, so the gateway usually serves with
// every issuer's keys; past it the gateway starts anyway (an identity provider's outage must
// not keep the gateway down) and those issuers' tokens are refused until their fetch succeeds.
inline constexpr std::int64_t kJwksStartupWaitSeconds = kFetchTotalTimeoutSeconds + 2;

class JwksRefresher {
 public:
  // `clock`, `logger` and `fetches` (may be null) are borrowed: they must outlive the
  // refresher and the sources it creates.
  JwksRefresher(const Clock& clock, JsonLogger& logger, Counter* fetches);
  // Stops the thread (Stop()).
  ~JwksRefresher();
  JwksRefresher(const JwksRefresher&) = delete;
  JwksRefresher& operator=(const JwksRefresher&) = delete;

  // Creates the source for one jwks_url issuer and keeps it refreshed once Start() is called.
  // Only before Start(). Fails like UrlJwksSource::Create.
  Result<std::shared_ptr<UrlJwksSource>> AddSource(UrlJwksOptions options);

  // Starts the thread, which fetches every source at once, and waits for that first round
  // (at most kJwksStartupWaitSeconds). Does nothing when there are no sources; idempotent.
  void Start();
  // Aborts a fetch in flight and joins the thread. Idempotent.
  void Stop();

  // One round on the calling thread: fetches every source whose NextFetchAt() has come.
  // Returns how many were fetched. The thread runs this; tests call it directly instead of
  // starting the thread.
  std::size_t FetchDue();
  // Wakes the thread to look at the sources again now (thread-safe).
  void Wake();

  bool empty() const { return sources_.empty(); }

 private:
  // Shared with the sources' wake callbacks, so a callback stays safe whatever is destroyed
  // first.
  struct Signal {
    std::mutex mutex;
    std::condition_variable changed;
    bool woken = false;
    bool stopping = false;
    bool first_round_done = false;
  };
  void Run();

  const Clock& clock_;
  JsonLogger& logger_;
  Counter* const fetches_;
  const std::shared_ptr<Signal> signal_ = std::make_shared<Signal>();
  std::atomic<bool> cancel_{false};                      // aborts the fetch in flight on Stop()
  std::vector<std::shared_ptr<UrlJwksSource>> sources_;  // fixed once started
  std::thread thread_;
  bool started_ = false;
};

}  // namespace ztm::server
