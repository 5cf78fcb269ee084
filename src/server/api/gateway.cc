#include "server/api/gateway.h"

#include "server/api/audit_limiter.h"
#include "server/api/gateway_context.h"
#include "server/api/gateway_handler.h"
#include "server/api/gateway_metrics.h"
#include "server/attestation/software_attestation.h"
#include "server/rate_limiter.h"
#include "server/store/store_pruner.h"
#include "server/tokens/access_token.h"
#include "server/tokens/id_token_verifier.h"
#include "server/tokens/jwks_refresher.h"
#include "server/tokens/refresh_token.h"
#include "server/tokens/token_service.h"
#include "server/verify/dpop_nonce.h"
#include "server/verify/replay_cache.h"
#include "server/verify/request_verifier.h"
#include "server/work_queue.h"

namespace ztm::server {

struct Gateway::Parts {
  MetricsRegistry registry;
  std::unique_ptr<GatewayMetrics> metrics;
  // Prunes the store on its own thread; stopped (joined) before the registry its counter
  // lives in.
  std::unique_ptr<StorePruner> pruner;
  // Fetches the jwks_url issuers' keys on its own thread; destroyed (stopped, joined) after
  // everything that may ask it for a refresh, before the registry its counter lives in.
  std::unique_ptr<JwksRefresher> jwks_refresher;
  std::unique_ptr<KeyRing> key_ring;
  std::optional<AccessTokenService> access_tokens;
  std::unique_ptr<TokenService> tokens;
  std::unique_ptr<IdTokenVerifier> id_tokens;
  AttestationRegistry attestation;
  std::unique_ptr<InMemoryReplayCache> replay_cache;
  std::optional<DpopNonceService> nonces;
  std::optional<dpop::DpopVerifier> token_dpop;
  std::unique_ptr<RequestVerifier> verifier;
  std::unique_ptr<RateLimiter> per_ip;
  std::unique_ptr<RateLimiter> per_device;
  ForwardLimiter forwards;
  AuditLimiter audit_limiter;
  std::unique_ptr<http::UpstreamClient> upstream;
  std::unique_ptr<GatewayContext> context;
  std::unique_ptr<GatewayHandler> handler;
  std::unique_ptr<RateLimiter> login_failures;
  // Last: destroyed first, so its queued tasks finish while the context they use still exists.
  std::unique_ptr<BoundedWorkQueue> password_workers;
};

Gateway::Gateway(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
Gateway::~Gateway() = default;

Result<std::unique_ptr<Gateway>> Gateway::Create(const GatewayConfig& config, GatewayStore& store,
                                                 Secret master_key, const Clock& clock,
                                                 JsonLogger& logger,
                                                 std::unique_ptr<http::UpstreamClient> upstream) {
  auto parts = std::make_unique<Parts>();
  const std::int64_t now = clock.NowSeconds();
  const VerificationConfig& verification = config.verification;

  ZTM_ASSIGN_OR_RETURN(RefreshTokenMinter minter, RefreshTokenMinter::Create(master_key));
  ZTM_ASSIGN_OR_RETURN(DpopNonceService nonces, DpopNonceService::Create(master_key));
  parts->nonces.emplace(std::move(nonces));
  ZTM_ASSIGN_OR_RETURN(parts->key_ring, KeyRing::Load(store, std::move(master_key), now,
                                                      config.tokens.key_retirement_seconds));
  ZTM_ASSIGN_OR_RETURN(
      AccessTokenService access_tokens,
      AccessTokenService::Create(*parts->key_ring, config.tokens.issuer, config.tokens.audience,
                                 config.tokens.access_token_ttl_seconds,
                                 verification.clock_skew_seconds));
  parts->access_tokens.emplace(std::move(access_tokens));
  TokenServiceOptions token_options;
  token_options.family_lifetime_seconds = config.tokens.refresh_family_lifetime_seconds;
  token_options.grace.seconds = config.tokens.refresh_grace_seconds;
  token_options.grace.max_retries = config.tokens.refresh_grace_max_retries;
  parts->tokens = std::make_unique<TokenService>(store, *parts->access_tokens, std::move(minter),
                                                 token_options);

  ZTM_ASSIGN_OR_RETURN(Counter * jwks_fetches,
                       parts->registry.AddCounter("ztm_oidc_jwks_fetches_total",
                                                  "Fetches of OIDC issuers' jwks_url, by outcome",
                                                  {"issuer", "outcome"}));
  parts->jwks_refresher = std::make_unique<JwksRefresher>(clock, logger, jwks_fetches);
  ZTM_ASSIGN_OR_RETURN(parts->id_tokens,
                       IdTokenVerifier::Create(config.oidc_issuers, verification.clock_skew_seconds,
                                               parts->jwks_refresher.get()));

  ZTM_RETURN_IF_ERROR(parts->attestation.Add(
      SoftwareAttestationVerifier::Create(config.attestation.allow_software)));

  ZTM_ASSIGN_OR_RETURN(parts->replay_cache,
                       InMemoryReplayCache::Create(verification.replay_cache_capacity));
  dpop::DpopPolicy token_policy;
  token_policy.max_age_seconds = verification.dpop_window_seconds;
  token_policy.max_future_seconds = verification.clock_skew_seconds;
  // Nonces are checked by the token endpoint against the stateless nonce service.
  token_policy.require_nonce = false;
  ZTM_ASSIGN_OR_RETURN(dpop::DpopVerifier token_dpop, dpop::DpopVerifier::Create(token_policy));
  parts->token_dpop.emplace(std::move(token_dpop));
  RequestVerifierOptions verifier_options;
  verifier_options.mode = config.mode;
  verifier_options.signature_window_seconds = verification.signature_window_seconds;
  verifier_options.dpop_window_seconds = verification.dpop_window_seconds;
  verifier_options.clock_skew_seconds = verification.clock_skew_seconds;
  verifier_options.require_dpop_nonce = verification.require_dpop_nonce;
  ZTM_ASSIGN_OR_RETURN(parts->verifier, RequestVerifier::Create(*parts->access_tokens, store, store,
                                                                *parts->replay_cache,
                                                                &*parts->nonces, verifier_options));

  const LimitsConfig& limits = config.limits;
  ZTM_ASSIGN_OR_RETURN(parts->per_ip, RateLimiter::Create({limits.per_ip_rate, limits.per_ip_burst,
                                                           limits.rate_table_capacity}));
  ZTM_ASSIGN_OR_RETURN(parts->per_device,
                       RateLimiter::Create({limits.per_device_rate, limits.per_device_burst,
                                            limits.rate_table_capacity}));
  ZTM_ASSIGN_OR_RETURN(parts->login_failures,
                       RateLimiter::Create({1.0 / kLoginFailureRefillSeconds, kLoginFailureBurst,
                                            limits.rate_table_capacity}));
  ZTM_ASSIGN_OR_RETURN(parts->password_workers,
                       BoundedWorkQueue::Create(kPasswordWorkers, kPasswordQueueCapacity));
  ZTM_ASSIGN_OR_RETURN(parts->metrics,
                       GatewayMetrics::Create(parts->registry, *parts->replay_cache));
  ZTM_ASSIGN_OR_RETURN(
      Counter * pruned_rows,
      parts->registry.AddCounter("ztm_store_pruned_rows_total",
                                 "Rows deleted by store pruning, by table.", {"table"}));
  parts->pruner = std::make_unique<StorePruner>(store, clock, logger, *pruned_rows,
                                                config.storage.prune_interval_seconds);

  if (config.mode == GatewayMode::kReverseProxy) {
    if (upstream) {
      parts->upstream = std::move(upstream);
    } else {
      if (!config.upstream) {
        return Error{Code::kConfigInvalid, "config: upstream: required in reverse-proxy mode"};
      }
      ZTM_ASSIGN_OR_RETURN(
          parts->upstream,
          http::UpstreamClient::Create(config.upstream->url, config.upstream->timeout_seconds));
    }
  }

  parts->context.reset(new GatewayContext{config,
                                          store,
                                          clock,
                                          logger,
                                          parts->registry,
                                          *parts->metrics,
                                          *parts->key_ring,
                                          *parts->access_tokens,
                                          *parts->tokens,
                                          *parts->id_tokens,
                                          parts->attestation,
                                          *parts->replay_cache,
                                          *parts->nonces,
                                          *parts->token_dpop,
                                          *parts->verifier,
                                          *parts->per_ip,
                                          *parts->per_device,
                                          parts->forwards,
                                          parts->audit_limiter,
                                          parts->upstream.get(),
                                          *parts->login_failures,
                                          *parts->password_workers});
  parts->handler = std::make_unique<GatewayHandler>(*parts->context);
  // Last, once nothing can fail: the first fetches run (bounded wait) before the gateway
  // serves, and a failed one does not stop it (the issuer's tokens fail closed meanwhile).
  parts->jwks_refresher->Start();
  parts->pruner->Start();
  return std::unique_ptr<Gateway>(new Gateway(std::move(parts)));
}

http::RequestHandler& Gateway::handler() { return *parts_->handler; }

void Gateway::RecordTransportEvent(http::TransportEvent event) {
  parts_->metrics->transport_refusals->Increment({GatewayMetrics::TransportEventName(event)});
}

MetricsRegistry& Gateway::metrics() { return parts_->registry; }

KeyRing& Gateway::key_ring() { return *parts_->key_ring; }

}  // namespace ztm::server
