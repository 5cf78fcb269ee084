// libztm's HTTPS transport: the Transport interface the session layer sends requests through,
// and CurlTransport, its libcurl + OpenSSL implementation with certificate pinning checked
// inside the TLS handshake (so a pin failure sends no byte of the request) and TrustKit-style
// pin failure reports.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/transport/pin_report.h"
#include "client/transport/pin_set.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"

namespace ztm::client {

namespace detail {
struct CurlExchange;  // one request's state, shared with libcurl's callbacks
}  // namespace detail

struct HttpRequest {
  std::string method = "GET";  // an RFC 9110 §9 token
  std::string url;             // https only
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  // Names lowercase, in the order received; values without surrounding whitespace.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Returns the first value of header `lowercase_name`, or nullopt.
  std::optional<std::string> Header(std::string_view lowercase_name) const;
};

// Transport sends one HTTP request and returns its response. Implementations are thread-safe.
class Transport {
 public:
  virtual ~Transport() = default;
  // Sends `request`. Any status code is a response, not an error; errors are transport
  // failures (kTransport*, kTls*, kPinValidationFailed, kResponseTooLarge).
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

// A TCP + TLS handshake over a slow mobile link takes a few seconds; 10 s leaves room for a
// poor network without hanging an app's request on a dead one.
inline constexpr std::chrono::milliseconds kDefaultConnectTimeout{10'000};
// The whole exchange, for API calls (not bulk downloads).
inline constexpr std::chrono::milliseconds kDefaultTotalTimeout{60'000};
// As large as common server-side header limits (nginx, Beast); a peer sending more is abusive.
inline constexpr std::size_t kDefaultMaxResponseHeaderBytes = 64 * 1024;
// API responses are JSON documents; 16 MiB bounds memory a hostile server can make us hold.
inline constexpr std::size_t kDefaultMaxResponseBodyBytes = 16 * 1024 * 1024;
// Reports POSTed after one successful pinned request: enough to drain a normal backlog
// without turning one app request into a long upload session.
inline constexpr std::size_t kMaxReportsPerUpload = 8;
// A report upload runs on the thread of the request that succeeded: it gets short timeouts,
// stops at the first failure and then waits this long before the next try.
inline constexpr std::chrono::milliseconds kReportUploadConnectTimeout{3'000};
inline constexpr std::chrono::milliseconds kReportUploadTotalTimeout{5'000};
inline constexpr std::chrono::seconds kReportUploadBackoff{300};

struct CurlTransportOptions {
  // PEM file of trust anchors; empty uses the system's trust store. Trust is checked first:
  // pinning narrows it, never replaces it.
  std::string ca_file;
  // Optional TLS client certificate (mTLS): a PEM certificate (chain) and its PEM private
  // key, both or neither.
  std::string client_certificate_pem;
  Secret client_key_pem;
  // Pin sets; null or empty means no host is pinned.
  std::shared_ptr<const PinPolicy> pin_policy;
  // Where pin failure reports wait until they are sent; null drops them.
  std::shared_ptr<PinReportStore> report_store;
  ReportIdentity report_identity;
  // Time for pin set expiry, reports and the report rate limit. Must outlive the transport.
  const Clock* clock = &SystemClock::Instance();
  // Receives one-line warnings (an expired pin set was not enforced, a report was dropped or
  // could not be uploaded). Called from the sending thread, so it must be thread-safe.
  std::function<void(std::string_view)> on_warning;
  std::chrono::milliseconds connect_timeout = kDefaultConnectTimeout;
  std::chrono::milliseconds total_timeout = kDefaultTotalTimeout;
  std::size_t max_response_header_bytes = kDefaultMaxResponseHeaderBytes;
  std::size_t max_response_body_bytes = kDefaultMaxResponseBodyBytes;
};

// CurlTransport sends requests over HTTPS only (TLS 1.2 or later, no redirects, no proxy, no
// TLS session resumption, so every connection's chain is verified and pinned), one libcurl
// handle per request: thread-safe, callable from several threads at once.
//
// Pinning: after OpenSSL has verified the server's chain to a trust anchor, the verified chain
// (not the certificates the server sent, which may include anything) is checked against the
// host's pin set inside the handshake. In enforce mode a mismatch aborts the handshake, so no
// byte of the request is sent, and Send fails with kPinValidationFailed; in report-only mode
// the request proceeds. Either way a report is stored (at most one per host, port and served
// chain a day), and pending reports are POSTed to their report URI after the next request to
// a pinned host whose pins matched, and removed once the collector answers 2xx.
class CurlTransport final : public Transport {
 public:
  // Validates `options` (positive timeouts and bounds, client certificate and key both or
  // neither, non-null clock). Fails with kInvalidArgument.
  static Result<std::unique_ptr<CurlTransport>> Create(CurlTransportOptions options);

  Result<HttpResponse> Send(const HttpRequest& request) override;

  // POSTs up to kMaxReportsPerUpload pending reports to their report URIs and removes those
  // the collector accepted (2xx). Send calls it after a pinned request succeeds; an app may
  // also call it, e.g. at start. Returns the number of reports delivered. Concurrent calls
  // do not upload the same report twice (a call made during another returns 0).
  std::size_t UploadPendingReports();

 private:
  explicit CurlTransport(CurlTransportOptions options);
  // kRequest: an app's request (client certificate, the configured timeouts, pending
  // reports uploaded after a pinned success). kReportUpload: a report to its collector,
  // perhaps a third party: no client certificate (it identifies the device), short timeouts.
  enum class Purpose { kRequest, kReportUpload };
  Result<HttpResponse> Perform(const HttpRequest& request, Purpose purpose);
  void RecordReport(const detail::CurlExchange& exchange);
  void Warn(std::string_view message) const;

  const CurlTransportOptions options_;
  PinReportRateLimiter rate_limiter_;
  std::mutex upload_mutex_;
  // After a failed upload, none is tried before this time (steady clock): an attacker who
  // blackholes the collector must not make every later request wait for its timeouts.
  std::chrono::steady_clock::time_point next_upload_ = {};
};

}  // namespace ztm::client
