// The gateway's metrics, registered once at start (GET /metrics renders them):
//   ztm_requests_total{route,status}              every answered request
//   ztm_request_duration_seconds{route}           latency, DefaultLatencyBuckets()
//   ztm_verification_failures_total{reason}       per failing check (api/errors.h FailureReason)
//   ztm_rate_limited_total{scope}                 429s/503s, scope "ip", "device" or
//   "password_workers" ztm_transport_refusals_total{event}           refusals by the HTTP layer
//   (431, 413, 408, 400, TLS) ztm_tokens_issued_total{grant}                access tokens issued,
//   by grant type ztm_replay_cache_entries                      the replay cache's size
#pragma once

#include <memory>
#include <string_view>

#include "core/error.h"
#include "server/http/server.h"
#include "server/metrics.h"
#include "server/verify/replay_cache.h"

namespace ztm::server {

struct GatewayMetrics {
  // Registers every metric in `registry`; the gauge reads `replay_cache` at each scrape.
  static Result<std::unique_ptr<GatewayMetrics>> Create(MetricsRegistry& registry,
                                                        const ReplayCache& replay_cache);

  // The label of a transport event.
  static std::string_view TransportEventName(http::TransportEvent event);

  Counter* requests = nullptr;
  Histogram* request_duration = nullptr;
  Counter* verification_failures = nullptr;
  Counter* rate_limited = nullptr;
  Counter* transport_refusals = nullptr;
  Counter* tokens_issued = nullptr;
  Gauge* replay_cache_entries = nullptr;
  // ztm_metrics_refused_total: GET /metrics answered 404 (peer outside metrics.allow, or
  // metrics.enabled false).
  Counter* metrics_refused = nullptr;
};

}  // namespace ztm::server
