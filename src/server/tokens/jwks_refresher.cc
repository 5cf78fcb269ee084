#include "server/tokens/jwks_refresher.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <utility>

namespace ztm::server {

JwksRefresher::JwksRefresher(const Clock& clock, JsonLogger& logger, Counter* fetches)
    : clock_(clock), logger_(logger), fetches_(fetches) {}

JwksRefresher::~JwksRefresher() { Stop(); }

Result<std::shared_ptr<UrlJwksSource>> JwksRefresher::AddSource(UrlJwksOptions options) {
  if (started_) return Error{Code::kInvalidArgument, "JWKS sources are added before Start()"};
  std::weak_ptr<Signal> signal = signal_;
  auto wake = [signal] {
    if (auto shared = signal.lock()) {
      std::lock_guard lock(shared->mutex);
      shared->woken = true;
      shared->changed.notify_all();
    }
  };
  ZTM_ASSIGN_OR_RETURN(std::shared_ptr<UrlJwksSource> source,
                       UrlJwksSource::Create(std::move(options), clock_, logger_, fetches_, wake));
  sources_.push_back(source);
  return source;
}

void JwksRefresher::Start() {
  if (started_ || sources_.empty()) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
  std::unique_lock lock(signal_->mutex);
  const bool done = signal_->changed.wait_for(lock, std::chrono::seconds(kJwksStartupWaitSeconds),
                                              [&] { return signal_->first_round_done; });
  if (!done) {
    logger_.Warn(
        "oidc jwks: the first fetches are still running; starting without them (the "
        "issuers' ID tokens are refused until their keys arrive)",
        {{"waited_seconds", kJwksStartupWaitSeconds}});
  }
}

void JwksRefresher::Stop() {
  {
    std::lock_guard lock(signal_->mutex);
    signal_->stopping = true;
    signal_->changed.notify_all();
  }
  cancel_.store(true);
  if (thread_.joinable()) thread_.join();
}

void JwksRefresher::Wake() {
  std::lock_guard lock(signal_->mutex);
  signal_->woken = true;
  signal_->changed.notify_all();
}

std::size_t JwksRefresher::FetchDue() {
  std::size_t fetched = 0;
  for (const auto& source : sources_) {
    if (cancel_.load()) break;
    if (source->NextFetchAt() > clock_.NowSeconds()) continue;
    // The outcome is logged and counted by the source; a failure is retried on its schedule.
    (void)source->Fetch(cancel_);
    ++fetched;
  }
  return fetched;
}

void JwksRefresher::Run() {
  while (true) {
    FetchDue();
    std::unique_lock lock(signal_->mutex);
    if (!signal_->first_round_done) {
      signal_->first_round_done = true;
      signal_->changed.notify_all();
    }
    if (signal_->stopping) return;
    std::int64_t next = std::numeric_limits<std::int64_t>::max();
    for (const auto& source : sources_) next = std::min(next, source->NextFetchAt());
    const std::int64_t now = clock_.NowSeconds();
    // At least a second between rounds, so a source whose schedule did not move (a clock
    // stepped back) cannot make the thread spin.
    const std::int64_t sleep =
        std::clamp(next > now ? next - now : 0, std::int64_t{1}, kJwksRefresherMaxSleepSeconds);
    signal_->changed.wait_for(lock, std::chrono::seconds(sleep),
                              [&] { return signal_->stopping || signal_->woken; });
    signal_->woken = false;
    if (signal_->stopping) return;
  }
}

}  // namespace ztm::server
