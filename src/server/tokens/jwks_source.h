// Where an OIDC issuer's signing keys come from, for IdTokenVerifier: a JWKS file read once at
// start, or a jwks_url fetched over HTTPS and refreshed in the background (JwksRefresher).
//
// A key set is an immutable snapshot (JwksKeySet) held by shared_ptr: a refresh swaps in a new
// one under a mutex while requests keep verifying with the one they took. A URL source fails
// closed: with no key set, or one past its staleness bound, tokens of that issuer are refused.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/jose/jws.h"
#include "server/api/json_logger.h"
#include "server/config.h"
#include "server/metrics.h"
#include "server/tokens/https_fetcher.h"

namespace ztm::server {

// Bound on a JWKS document: an issuer publishes a handful of keys, a few KiB.
inline constexpr std::size_t kMaxJwksBytes = 256 * 1024;
inline constexpr std::size_t kMaxJwksKeys = 64;
// A token naming a kid the key set lacks (the issuer rotated) asks for a refresh, but the
// fetches it causes are at least this far apart: tokens with random kids cost the issuer at
// most one request a minute, and a real rotation is picked up within a minute.
inline constexpr std::int64_t kJwksOnDemandRefreshSeconds = 60;
// After failed refreshes a key set stays usable this long past its refresh time, then is
// dropped and the issuer's tokens are refused: a day rides out an identity provider's outage,
// but an attacker who blocks the gateway's path to it cannot keep a withdrawn key alive longer.
inline constexpr std::int64_t kMaxJwksStalenessSeconds = 86'400;
// Retries after a failed fetch back off from the first to the last (doubling), so a down
// identity provider is polled every few minutes, not hammered.
inline constexpr std::int64_t kJwksFirstRetrySeconds = 60;
inline constexpr std::int64_t kJwksMaxRetrySeconds = 900;

// An issuer's usable signing keys: the EC P-256 (ES256) and Ed25519 (EdDSA) keys of a JWK Set
// (RFC 7517 §5). Immutable and thread-safe.
class JwksKeySet {
 public:
  struct Key {
    std::string kid;  // empty: the key has no "kid"
    jose::JwsVerifier verifier;
  };

  // Parses `json`, at most kMaxJwksBytes with at most kMaxJwksKeys keys. Keys ztm does not
  // verify with (RSA, other curves, symmetric, malformed) and keys whose "use" is not "sig"
  // are skipped, since real issuers publish them alongside. Fails with kInputTooLarge, a JSON
  // code, or kJwkInvalid when there is no "keys" array or no usable key.
  static Result<std::shared_ptr<const JwksKeySet>> Parse(std::string_view json);

  // The key a token with the JOSE header "kid" `kid` must verify with: the first key with
  // that kid; for a token without "kid", the only key of a one-key set. Null when none.
  const Key* Find(const std::optional<std::string>& kid) const;
  std::size_t size() const { return keys_.size(); }

 private:
  explicit JwksKeySet(std::vector<Key> keys) : keys_(std::move(keys)) {}
  const std::vector<Key> keys_;
};

// One issuer's keys. Thread-safe.
class JwksSource {
 public:
  virtual ~JwksSource() = default;
  // The key set to verify with at `now`, or null when there is none (a URL never fetched, or
  // past its staleness bound). The returned set stays valid while it is held.
  virtual std::shared_ptr<const JwksKeySet> KeysAt(std::int64_t now) = 0;
  // Reports that a token of this issuer could not be matched at `now`: its kid is unknown, or
  // there is no key set. A URL source asks for a refresh (see kJwksOnDemandRefreshSeconds); a
  // file changes only with a restart, so a file source does nothing.
  virtual void ReportMissingKey(std::int64_t now) = 0;
};

// Keys from a JWKS file read once.
class FileJwksSource final : public JwksSource {
 public:
  // Reads and parses `path` (JwksKeySet::Parse). Fails with kConfigInvalid naming the file.
  static Result<std::shared_ptr<FileJwksSource>> Load(const std::string& path);

  std::shared_ptr<const JwksKeySet> KeysAt(std::int64_t) override { return keys_; }
  void ReportMissingKey(std::int64_t) override {}

 private:
  explicit FileJwksSource(std::shared_ptr<const JwksKeySet> keys) : keys_(std::move(keys)) {}
  const std::shared_ptr<const JwksKeySet> keys_;
};

struct UrlJwksOptions {
  std::string issuer;  // for logs and the metric label
  std::string url;     // https://
  std::optional<std::string> ca_file;
  std::int64_t refresh_seconds = kDefaultJwksRefreshSeconds;
};

// Keys fetched from a jwks_url. Starts without keys; Fetch() (run by JwksRefresher's thread)
// installs a new set after each successful fetch. Thread-safe.
//
// Schedule: after a success the next fetch is due after the response's Cache-Control max-age
// (or refresh_seconds without one), clamped to kMinJwksRefreshSeconds..kMaxJwksRefreshSeconds;
// after a failure, after a backoff (kJwksFirstRetrySeconds doubling to kJwksMaxRetrySeconds),
// the last good set kept until kMaxJwksStalenessSeconds past its refresh time. A missing key
// brings the next fetch forward, to no earlier than kJwksOnDemandRefreshSeconds after the
// previous one.
class UrlJwksSource final : public JwksSource {
 public:
  // Builds the source and its HttpsFetcher (body cap kMaxJwksBytes). `clock`, `logger` and
  // `fetches` (ztm_oidc_jwks_fetches_total{issuer,outcome}; may be null) are borrowed and must
  // outlive it; `wake` (may be empty) is called when a missing key asks for an early fetch.
  // Fails with kInvalidArgument for a bad URL, an unreadable CA file or a refresh period
  // outside its bounds.
  static Result<std::shared_ptr<UrlJwksSource>> Create(UrlJwksOptions options, const Clock& clock,
                                                       JsonLogger& logger, Counter* fetches,
                                                       std::function<void()> wake);

  std::shared_ptr<const JwksKeySet> KeysAt(std::int64_t now) override;
  void ReportMissingKey(std::int64_t now) override;

  // When the next fetch is due (clock seconds); the lowest value for a source never fetched.
  std::int64_t NextFetchAt() const;
  // Fetches the JWKS now, on the calling thread (blocks up to kFetchTotalTimeoutSeconds;
  // `cancel` aborts it). On success installs the new set; on failure keeps the last one
  // until it is stale, then drops it. Logs the outcome and counts it. Returns the failure.
  Status Fetch(const std::atomic<bool>& cancel);

  const std::string& issuer() const { return options_.issuer; }

 private:
  UrlJwksSource(UrlJwksOptions options, std::unique_ptr<HttpsFetcher> fetcher, const Clock& clock,
                JsonLogger& logger, Counter* fetches, std::function<void()> wake);
  void Count(std::string_view outcome);

  const UrlJwksOptions options_;
  const std::unique_ptr<HttpsFetcher> fetcher_;
  const Clock& clock_;
  JsonLogger& logger_;
  Counter* const fetches_;
  const std::function<void()> wake_;

  mutable std::mutex mutex_;  // guards everything below
  std::shared_ptr<const JwksKeySet> keys_;
  std::int64_t usable_until_ = 0;  // keys_ is refused after this
  std::int64_t next_fetch_at_ = std::numeric_limits<std::int64_t>::min();
  std::int64_t last_fetch_at_ = std::numeric_limits<std::int64_t>::min() / 2;
  bool fetch_requested_ = false;
  std::int64_t retry_seconds_ = 0;  // the current backoff; 0 after a success
};

}  // namespace ztm::server
