#include "server/api/gateway_metrics.h"

namespace ztm::server {

Result<std::unique_ptr<GatewayMetrics>> GatewayMetrics::Create(MetricsRegistry& registry,
                                                               const ReplayCache& replay_cache) {
  auto metrics = std::make_unique<GatewayMetrics>();
  ZTM_ASSIGN_OR_RETURN(
      metrics->requests,
      registry.AddCounter("ztm_requests_total", "Requests answered, by route and status.",
                          {"route", "status"}));
  ZTM_ASSIGN_OR_RETURN(
      metrics->request_duration,
      registry.AddHistogram("ztm_request_duration_seconds",
                            "Time from a complete request to its response, by route.",
                            DefaultLatencyBuckets(), {"route"}));
  ZTM_ASSIGN_OR_RETURN(
      metrics->verification_failures,
      registry.AddCounter("ztm_verification_failures_total",
                          "Refused requests, by the check that failed.", {"reason"}));
  ZTM_ASSIGN_OR_RETURN(
      metrics->rate_limited,
      registry.AddCounter("ztm_rate_limited_total",
                          "Requests refused with 429, by limit (ip, device).", {"scope"}));
  ZTM_ASSIGN_OR_RETURN(
      metrics->transport_refusals,
      registry.AddCounter("ztm_transport_refusals_total",
                          "Requests refused by the HTTP layer, by cause.", {"event"}));
  ZTM_ASSIGN_OR_RETURN(metrics->tokens_issued,
                       registry.AddCounter("ztm_tokens_issued_total",
                                           "Access tokens issued, by grant type.", {"grant"}));
  const ReplayCache* cache = &replay_cache;
  ZTM_ASSIGN_OR_RETURN(
      metrics->replay_cache_entries,
      registry.AddCallbackGauge("ztm_replay_cache_entries", "Entries held by the replay cache.",
                                [cache] { return static_cast<double>(cache->size()); }));
  ZTM_ASSIGN_OR_RETURN(
      metrics->metrics_refused,
      registry.AddCounter("ztm_metrics_refused_total",
                          "Requests for /metrics answered 404: peer outside metrics.allow, or "
                          "metrics disabled."));
  return metrics;
}

std::string_view GatewayMetrics::TransportEventName(http::TransportEvent event) {
  switch (event) {
    case http::TransportEvent::kHeaderTooLarge:
      return "header_too_large";
    case http::TransportEvent::kBodyTooLarge:
      return "body_too_large";
    case http::TransportEvent::kReadTimeout:
      return "read_timeout";
    case http::TransportEvent::kBadRequest:
      return "bad_request";
    case http::TransportEvent::kTlsHandshakeFailed:
      return "tls_handshake_failed";
    case http::TransportEvent::kConnectionLimit:
      return "connection_limit";
  }
  return "other";
}

}  // namespace ztm::server
