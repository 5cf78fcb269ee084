#include "server/tokens/jwks_source.h"

#include <algorithm>
#include <fstream>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/jose/jwk.h"
#include "core/json.h"
#include "core/text.h"

namespace ztm::server {
namespace {

Result<std::string> ReadBounded(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{Code::kConfigInvalid, "cannot read " + ForMessage(path)};
  std::string text;
  text.resize(kMaxJwksBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxJwksBytes) {
    return Error{Code::kConfigInvalid, ForMessage(path) + " is too large"};
  }
  return text;
}

}  // namespace

Result<std::shared_ptr<const JwksKeySet>> JwksKeySet::Parse(std::string_view json) {
  if (json.size() > kMaxJwksBytes) {
    return Error{Code::kInputTooLarge,
                 "JWKS is larger than " + std::to_string(kMaxJwksBytes) + " bytes"};
  }
  auto parsed = json::Parse(json, kMaxJwksBytes);
  if (!parsed.ok()) return Error{parsed.code(), "JWKS: " + parsed.error().message};
  if (!parsed->is_object()) return Error{Code::kJwkInvalid, "JWKS is not a JSON object"};
  // RFC 7517 §5.1: "keys" is REQUIRED, an array of JWKs.
  const boost::json::value* keys = parsed->get_object().if_contains("keys");
  if (keys == nullptr || !keys->is_array()) {
    return Error{Code::kJwkInvalid, "JWKS has no \"keys\" array"};
  }
  if (keys->get_array().size() > kMaxJwksKeys) {
    return Error{Code::kInputTooLarge,
                 "JWKS has more than " + std::to_string(kMaxJwksKeys) + " keys"};
  }
  std::vector<Key> usable;
  for (const boost::json::value& entry : keys->get_array()) {
    if (!entry.is_object()) continue;
    // RFC 7517 §5: implementations should ignore keys they do not understand. RSA and other
    // key types ztm does not verify with are skipped, and so is a key meant for encryption.
    auto jwk = jose::ParsePublicJwk(entry.get_object());
    if (!jwk.ok()) continue;
    if (jwk->use() && *jwk->use() != "sig") continue;
    const jose::JwsAlgorithm algorithm = jwk->key_type() == jose::JwkKeyType::kEcP256
                                             ? jose::JwsAlgorithm::kEs256
                                             : jose::JwsAlgorithm::kEdDsa;
    auto verifier = jose::JwsVerifier::Create({algorithm}, *jwk);
    if (!verifier.ok()) continue;  // e.g. an "alg" member naming another algorithm
    usable.push_back(Key{jwk->kid().value_or(""), std::move(verifier).value()});
  }
  if (usable.empty()) {
    return Error{Code::kJwkInvalid,
                 "JWKS has no EC P-256 or Ed25519 signing key (RSA is not supported)"};
  }
  return std::shared_ptr<const JwksKeySet>(new JwksKeySet(std::move(usable)));
}

const JwksKeySet::Key* JwksKeySet::Find(const std::optional<std::string>& kid) const {
  if (!kid) return keys_.size() == 1 ? &keys_.front() : nullptr;
  for (const Key& key : keys_) {
    if (key.kid == *kid) return &key;
  }
  return nullptr;
}

Result<std::shared_ptr<FileJwksSource>> FileJwksSource::Load(const std::string& path) {
  ZTM_ASSIGN_OR_RETURN(std::string text, ReadBounded(path));
  auto keys = JwksKeySet::Parse(text);
  if (!keys.ok()) {
    return Error{Code::kConfigInvalid, ForMessage(path) + ": " + keys.error().message};
  }
  return std::shared_ptr<FileJwksSource>(new FileJwksSource(std::move(keys).value()));
}

Result<std::shared_ptr<UrlJwksSource>> UrlJwksSource::Create(UrlJwksOptions options,
                                                             const Clock& clock, JsonLogger& logger,
                                                             Counter* fetches,
                                                             std::function<void()> wake) {
  if (options.refresh_seconds < kMinJwksRefreshSeconds ||
      options.refresh_seconds > kMaxJwksRefreshSeconds) {
    return Error{Code::kInvalidArgument, "JWKS refresh period out of bounds"};
  }
  HttpsFetcherOptions fetcher_options;
  fetcher_options.ca_file = options.ca_file;
  fetcher_options.max_body_bytes = kMaxJwksBytes;
  ZTM_ASSIGN_OR_RETURN(std::unique_ptr<HttpsFetcher> fetcher,
                       HttpsFetcher::Create(options.url, std::move(fetcher_options)));
  return std::shared_ptr<UrlJwksSource>(new UrlJwksSource(std::move(options), std::move(fetcher),
                                                          clock, logger, fetches, std::move(wake)));
}

UrlJwksSource::UrlJwksSource(UrlJwksOptions options, std::unique_ptr<HttpsFetcher> fetcher,
                             const Clock& clock, JsonLogger& logger, Counter* fetches,
                             std::function<void()> wake)
    : options_(std::move(options)),
      fetcher_(std::move(fetcher)),
      clock_(clock),
      logger_(logger),
      fetches_(fetches),
      wake_(std::move(wake)) {}

std::shared_ptr<const JwksKeySet> UrlJwksSource::KeysAt(std::int64_t now) {
  std::lock_guard lock(mutex_);
  // Checked here too, not only when a refresh fails: if the refresher stalled, a stale set
  // is still refused.
  if (now > usable_until_) return nullptr;
  return keys_;
}

void UrlJwksSource::ReportMissingKey(std::int64_t now) {
  bool had_keys = false;
  {
    std::lock_guard lock(mutex_);
    // One pending request at a time: a flood of unknown kids adds nothing to it.
    if (fetch_requested_) return;
    fetch_requested_ = true;
    had_keys = keys_ != nullptr && now <= usable_until_;
  }
  // Logged once per requested fetch, so at most about once per kJwksOnDemandRefreshSeconds.
  if (had_keys) {
    logger_.Info("oidc id token names a key the issuer's JWKS lacks: refresh requested",
                 {{"issuer", options_.issuer}});
  } else {
    logger_.Warn("oidc issuer has no usable JWKS: its ID tokens are refused until a fetch succeeds",
                 {{"issuer", options_.issuer},
                  {"jwks_url", options_.url.substr(0, options_.url.find('?'))}});
  }
  if (wake_) wake_();
}

std::int64_t UrlJwksSource::NextFetchAt() const {
  std::lock_guard lock(mutex_);
  if (!fetch_requested_) return next_fetch_at_;
  return std::min(next_fetch_at_, last_fetch_at_ + kJwksOnDemandRefreshSeconds);
}

void UrlJwksSource::Count(std::string_view outcome) {
  if (fetches_ != nullptr) fetches_->Increment({options_.issuer, outcome});
}

Status UrlJwksSource::Fetch(const std::atomic<bool>& cancel) {
  {
    std::lock_guard lock(mutex_);
    fetch_requested_ = false;
    last_fetch_at_ = clock_.NowSeconds();
  }
  auto fetched = fetcher_->Fetch(cancel);
  Result<std::shared_ptr<const JwksKeySet>> keys =
      fetched.ok() ? JwksKeySet::Parse(fetched->body)
                   : Result<std::shared_ptr<const JwksKeySet>>(fetched.error());
  const std::int64_t now = clock_.NowSeconds();
  if (keys.ok()) {
    // RFC 9111 §5.2.2.1 max-age, within the bounds the operator cannot be talked out of.
    const std::int64_t period =
        std::clamp(fetched->max_age_seconds.value_or(options_.refresh_seconds),
                   kMinJwksRefreshSeconds, kMaxJwksRefreshSeconds);
    const std::size_t key_count = (*keys)->size();
    {
      std::lock_guard lock(mutex_);
      keys_ = std::move(keys).value();
      next_fetch_at_ = now + period;
      usable_until_ = now + period + kMaxJwksStalenessSeconds;
      retry_seconds_ = 0;
    }
    Count("ok");
    logger_.Info(
        "oidc jwks fetched",
        {{"issuer", options_.issuer}, {"keys", key_count}, {"next_fetch_in_seconds", period}});
    return OkStatus();
  }

  if (cancel.load()) return keys.error();  // stopping: neither a failure to report nor retry
  bool has_keys = false;
  bool dropped = false;
  std::int64_t usable_until = 0;
  std::int64_t retry = 0;
  {
    std::lock_guard lock(mutex_);
    retry_seconds_ = retry_seconds_ == 0 ? kJwksFirstRetrySeconds
                                         : std::min(retry_seconds_ * 2, kJwksMaxRetrySeconds);
    retry = retry_seconds_;
    next_fetch_at_ = now + retry;
    if (keys_ && now > usable_until_) {
      keys_.reset();
      dropped = true;
    }
    has_keys = keys_ != nullptr;
    usable_until = usable_until_;
  }
  Count("failed");
  const Error& error = keys.error();
  if (dropped) {
    logger_.Error(
        "oidc jwks fetch failed and the last key set is too old: the issuer's ID tokens are "
        "refused until a fetch succeeds",
        {{"issuer", options_.issuer},
         {"code", CodeName(error.code)},
         {"error", error.message},
         {"retry_in_seconds", retry}});
  } else if (has_keys) {
    logger_.Warn("oidc jwks fetch failed: keeping the last key set",
                 {{"issuer", options_.issuer},
                  {"code", CodeName(error.code)},
                  {"error", error.message},
                  {"keys_usable_until", usable_until},
                  {"retry_in_seconds", retry}});
  } else {
    logger_.Warn(
        "oidc jwks fetch failed: the issuer's ID tokens are refused until a fetch succeeds",
        {{"issuer", options_.issuer},
         {"code", CodeName(error.code)},
         {"error", error.message},
         {"retry_in_seconds", retry}});
  }
  return error;
}

}  // namespace ztm::server
