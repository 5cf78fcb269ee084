// What the gateway's endpoints share: the configuration and every service built from it, owned
// by Gateway (gateway.h) and borrowed by the endpoint functions.
#pragma once

#include "core/clock.h"
#include "core/dpop/dpop.h"
#include "server/api/audit_limiter.h"
#include "server/api/forward_limiter.h"
#include "server/api/gateway_metrics.h"
#include "server/api/json_logger.h"
#include "server/attestation/attestation_verifier.h"
#include "server/config.h"
#include "server/http/upstream.h"
#include "server/rate_limiter.h"
#include "server/store/store.h"
#include "server/tokens/access_token.h"
#include "server/tokens/id_token_verifier.h"
#include "server/tokens/key_ring.h"
#include "server/tokens/token_service.h"
#include "server/verify/dpop_nonce.h"
#include "server/verify/replay_cache.h"
#include "server/verify/request_verifier.h"
#include "server/work_queue.h"

namespace ztm::server {

// Failed password logins allowed per username and per device before 429: 5 at once, then one
// every 12 s (5 per minute), which stops online guessing (NIST SP 800-63B §5.2.2 allows at
// most 100 consecutive failures) and costs a user who mistypes a few times nothing.
inline constexpr double kLoginFailureBurst = 5;
inline constexpr double kLoginFailureRefillSeconds = 12;
// Password verifications run on this many dedicated threads: 2 × 64 MiB of Argon2id memory at
// most, leaving the IO threads free; kMaxConcurrentPasswordHashes (4) still bounds the
// process, including the CLI.
inline constexpr int kPasswordWorkers = 2;
// Password grants waiting for a worker: 16 × ~100 ms / 2 workers ≈ 0.8 s worst wait; past it a
// client is better told 503 + Retry-After than kept waiting.
inline constexpr std::size_t kPasswordQueueCapacity = 16;

struct GatewayContext {
  const GatewayConfig& config;
  GatewayStore& store;
  const Clock& clock;
  JsonLogger& logger;
  MetricsRegistry& metrics_registry;
  GatewayMetrics& metrics;
  KeyRing& key_ring;
  const AccessTokenService& access_tokens;
  TokenService& tokens;
  // ID tokens of the configured OIDC issuers (token exchange); empty() when none.
  const IdTokenVerifier& id_tokens;
  const AttestationRegistry& attestation;
  ReplayCache& replay_cache;
  const DpopNonceService& nonces;
  // Checks the proofs sent to the token endpoint (no access token yet).
  const dpop::DpopVerifier& token_dpop;
  const RequestVerifier& verifier;
  RateLimiter& per_ip;
  RateLimiter& per_device;
  // Forwards in flight per device and per client address (upstream slots).
  ForwardLimiter& forwards;
  AuditLimiter& audit_limiter;
  http::UpstreamClient* upstream;  // null in auth_request mode
  // Failed password logins per username and per device (kLoginFailureBurst, then one per
  // kLoginFailureRefillSeconds): checked with WouldAllow, spent on each failure.
  RateLimiter& login_failures;
  // Runs password grants (Argon2id, ~100 ms each) off the IO threads.
  BoundedWorkQueue& password_workers;

  // Appends an audit event; a failure is logged, never returned (audit must not break the
  // request path).
  void Audit(std::string_view type, std::string_view subject, std::string_view device_id,
             std::string detail) const;
  // Like Audit for a failure of class `reason`, at most once per second per reason.
  void AuditFailure(Code reason, std::string_view peer, std::string_view device_id) const;
};

}  // namespace ztm::server
