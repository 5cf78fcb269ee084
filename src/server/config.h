// ztm-gateway's configuration: one YAML file, validated once at load into these typed structs.
// The rest of the gateway never reads YAML. Every option, its default and its bounds are
// documented in docs/configuration.md; a bad file is refused at start with the key and reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "server/metrics_access.h"

namespace ztm::server {

struct TlsConfig {
  std::string certificate_file;  // PEM chain, leaf first
  std::string private_key_file;  // PEM (PKCS#8 or SEC1)
  // When set, client certificates are verified against this CA bundle (mTLS).
  std::optional<std::string> client_ca_file;
  bool require_client_certificate = false;
};

struct ListenConfig {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8443;
  // Absent only when `allow_plaintext` is true (tests, or TLS terminated by a trusted proxy).
  std::optional<TlsConfig> tls;
  bool allow_plaintext = false;
  int threads = 0;  // 0: one per core
  // The origins clients reach the gateway at ("https://api.example.com", "https://h:8443"),
  // normalized (lowercase, default port dropped). When set, a request whose Host (and, in
  // auth_request mode, X-Forwarded-Proto / X-Forwarded-Host) names another origin is refused
  // with 421: DPoP htu and RFC 9421 @target-uri then bind the origin, not only the path.
  std::vector<std::string> public_origins;
};

struct StorageConfig {
  std::string sqlite_path = "ztm-gateway.db";
  // 32 random bytes sealing the token-signing keys at rest; created (0600) if absent.
  std::string master_key_file = "ztm-gateway.key";
  // How often the gateway deletes expired challenges and long-ended token families
  // (SqliteStore::PruneExpired), on a background thread. 0 disables it (run `ztm db prune`
  // from cron instead); otherwise 60..604800 (a week).
  std::int64_t prune_interval_seconds = 3600;
};

// GET /metrics. Peers outside `allow` get 404 as if there were no such endpoint. In
// auth_request mode the peer is the front proxy: loopback then admits whatever the proxy
// forwards, so the proxy must not route /metrics to the gateway.
struct MetricsConfig {
  bool enabled = true;
  std::vector<IpNetwork> allow = LoopbackNetworks();  // never empty
};

struct TokenConfig {
  std::string issuer;                           // "iss" of access tokens, e.g. https://gw.example
  std::string audience;                         // "aud" of access tokens: the protected API
  std::int64_t access_token_ttl_seconds = 900;  // 300..3600
  std::int64_t refresh_family_lifetime_seconds = 1'209'600;  // 7..30 days; default 14
  // Grace window for a retried refresh (response lost on a mobile network): within it the
  // just-rotated token gets the same successor back, at most `refresh_grace_max_retries`
  // times. 0 disables. Bounded 0..60 s and 0..5 retries.
  std::int64_t refresh_grace_seconds = 5;
  int refresh_grace_max_retries = 2;
  // Signing keys retired by `ztm keys rotate` keep verifying for this long (≥ access TTL).
  std::int64_t key_retirement_seconds = 3600;
};

// How often a jwks_url is fetched again when its response gives no Cache-Control max-age
// (RFC 9111 §5.2.2.1); a max-age is clamped to the same bounds. At least 5 minutes, so an
// issuer (or a cache in front of it) saying "no-cache" cannot make the gateway fetch on every
// token; at most a day, so a key the issuer withdrew stops verifying within a day.
inline constexpr std::int64_t kMinJwksRefreshSeconds = 300;
inline constexpr std::int64_t kMaxJwksRefreshSeconds = 86'400;
inline constexpr std::int64_t kDefaultJwksRefreshSeconds = 3600;

struct OidcIssuerConfig {
  std::string issuer;
  std::string audience;                 // our client id at that issuer
  std::string jwks_file;                // the issuer's JWKS as a file, loaded at start
  std::optional<std::string> jwks_url;  // or fetched over HTTPS and refreshed in the background
  // jwks_url only: a PEM bundle of the CAs trusted for it instead of the system trust store.
  std::optional<std::string> jwks_ca_file = std::nullopt;
  // jwks_url only: the refresh period when the response has no max-age;
  // kMinJwksRefreshSeconds..kMaxJwksRefreshSeconds.
  std::int64_t jwks_refresh_seconds = kDefaultJwksRefreshSeconds;
};

struct AttestationConfig {
  // The `software` format (the device key signs the challenge) proves only key possession:
  // allow it for development, tests and desktop clients, never for production mobile apps.
  bool allow_software = false;
  std::int64_t challenge_ttl_seconds = 120;  // 10..600
};

enum class GatewayMode { kReverseProxy, kAuthRequest };

struct UpstreamConfig {
  std::string url;  // http://host:port of the protected API (reverse-proxy mode)
  std::int64_t timeout_seconds = 30;
};

struct VerificationConfig {
  std::int64_t signature_window_seconds = 60;  // RFC 9421 `created` max age; 5..600
  std::int64_t dpop_window_seconds = 60;       // DPoP `iat` max age; 5..600
  std::int64_t clock_skew_seconds = 5;         // 0..60
  bool require_dpop_nonce = false;             // answer use_dpop_nonce until proofs carry one
  std::size_t replay_cache_capacity = 1'000'000;
};

// Which checks a route requires. Everything defaults to required: a route opts out explicitly.
struct RoutePolicy {
  std::string path_prefix;           // longest matching prefix wins
  std::vector<std::string> methods;  // empty: any method
  bool require_token = true;
  bool require_dpop = true;
  bool require_signature = true;
  std::optional<std::string> required_acr;
  bool public_route = false;  // no checks at all (e.g. /public/); must be explicit
};

struct LimitsConfig {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::int64_t read_timeout_seconds = 10;  // slow clients → 408
  std::int64_t idle_timeout_seconds = 60;  // keep-alive idle
  double per_ip_rate = 50;                 // requests per second (token bucket refill)
  double per_ip_burst = 100;
  double per_device_rate = 20;
  double per_device_burst = 40;
  std::size_t rate_table_capacity = 100'000;  // tracked IPs/devices (LRU)
};

struct GatewayConfig {
  ListenConfig listen;
  StorageConfig storage;
  TokenConfig tokens;
  std::vector<OidcIssuerConfig> oidc_issuers;
  AttestationConfig attestation;
  GatewayMode mode = GatewayMode::kReverseProxy;
  std::optional<UpstreamConfig> upstream;  // required in reverse-proxy mode
  VerificationConfig verification;
  std::vector<RoutePolicy> routes;  // default: one "/" route with every check
  LimitsConfig limits;
  MetricsConfig metrics;
  std::string log_level = "info";
};

// Loads and validates `path`. Errors name the key and the reason, e.g.
// "config: tokens.access_token_ttl_seconds: 30 is outside 300..3600".
Result<GatewayConfig> LoadConfig(const std::string& path);
Result<GatewayConfig> ParseConfig(const std::string& yaml_text);

}  // namespace ztm::server
