// The gateway's outbound HTTPS client, on libcurl, for the one document it fetches from a third
// party: an OIDC issuer's JWK Set. The policy is fixed, not a set of options a caller could get
// wrong: HTTPS only, TLS 1.2 or later, the peer's certificate chain and host name always
// verified, no redirects, no proxy, no compressed bodies, connect and total timeouts, the body
// capped while it is received, and only a 200 with a JSON media type accepted.
//
// A fetch blocks for up to its total timeout: call it from a background thread (the JWKS
// refresher), never from the server's I/O threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace ztm::server {

// Connecting (TCP and TLS handshake) to an identity provider takes well under a second; 5 s
// rides out a slow network without letting a dead host hold the refresher thread long.
inline constexpr std::int64_t kFetchConnectTimeoutSeconds = 5;
// A whole fetch of a document of a few KiB: 10 s bounds how long a server that sends a byte at
// a time can hold the refresher thread.
inline constexpr std::int64_t kFetchTotalTimeoutSeconds = 10;
// Response header bytes accepted: real responses carry one or two KiB of header fields.
inline constexpr std::size_t kMaxFetchHeaderBytes = 32 * 1024;
// RFC 9111 §1.2.2: a delta-seconds value past 2^31 is taken as 2^31.
inline constexpr std::int64_t kMaxDeltaSeconds = 2'147'483'648;

struct HttpsFetcherOptions {
  // PEM bundle of the CAs trusted for this URL instead of the system trust store (an issuer
  // behind a private CA). Absent: the system trust store.
  std::optional<std::string> ca_file;
  // The largest body accepted; the transfer is aborted as soon as it is exceeded. Required.
  std::size_t max_body_bytes = 0;
  std::int64_t connect_timeout_seconds = kFetchConnectTimeoutSeconds;
  std::int64_t total_timeout_seconds = kFetchTotalTimeoutSeconds;
};

// A fetched document: a 200 response with a JSON media type. The body is not parsed yet.
struct FetchedDocument {
  std::string body;
  // The response's Cache-Control max-age (RFC 9111 §5.2.2.1), or 0 when it says the response
  // must not be reused (no-store, no-cache, or max-age given twice); absent when it gives no
  // freshness lifetime.
  std::optional<std::int64_t> max_age_seconds;
};

// Checks that `url` is an absolute https:// URL naming a host, without user info (credentials
// in a URL end up in logs) or fragment. The message says what is wrong; the caller adds which
// URL or key.
Status CheckHttpsUrl(std::string_view url);

// The freshness lifetime a Cache-Control field value gives (RFC 9111 §5.2): max-age's
// delta-seconds (past kMaxDeltaSeconds taken as kMaxDeltaSeconds); 0 for no-store, no-cache
// or a repeated max-age (§4.2.1: treat as stale); absent when the value has none of these or
// does not parse as a list of directives.
std::optional<std::int64_t> CacheControlMaxAge(std::string_view cache_control);

// Fetches one https:// URL with GET. Immutable and thread-safe (each fetch uses its own
// connection: a JWKS is fetched at most every few minutes, so nothing is kept open).
class HttpsFetcher {
 public:
  // Checks `url` (CheckHttpsUrl), that max_body_bytes and the timeouts are positive and that
  // ca_file, when set, is a readable file. Fails with kInvalidArgument otherwise, or kInternal
  // if libcurl cannot be initialised.
  static Result<std::unique_ptr<HttpsFetcher>> Create(std::string url, HttpsFetcherOptions options);

  // GETs the URL. Fails with kInputTooLarge when the body exceeds max_body_bytes or the header
  // fields kMaxFetchHeaderBytes, and with kInternal naming the cause when the connection,
  // the TLS handshake or certificate verification fails, a timeout expires, the status is
  // not 200 (redirects are not followed) or the Content-Type is not application/json or
  // application/*+json. When `cancel` becomes true the transfer is aborted within about a
  // second (libcurl's progress callback interval) and the fetch fails.
  Result<FetchedDocument> Fetch(const std::atomic<bool>& cancel) const;

  const std::string& url() const { return url_; }
  // The URL without its query: what logs and error messages show (a query may carry an API
  // key).
  std::string LoggableUrl() const { return url_.substr(0, url_.find('?')); }

 private:
  HttpsFetcher(std::string url, HttpsFetcherOptions options)
      : url_(std::move(url)), options_(std::move(options)) {}
  const std::string url_;
  const HttpsFetcherOptions options_;
};

}  // namespace ztm::server
