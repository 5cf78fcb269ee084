// Forwarding verified requests to the protected API (reverse-proxy mode).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"
#include "server/http/message.h"

namespace ztm::server::http {

// An upstream's address, from its URL.
struct UpstreamAddress {
  std::string host;  // a DNS name or an IP address (IPv6 without brackets)
  std::uint16_t port = 80;
  std::string host_header;  // the Host field value for requests to it (RFC 9110 §7.2)
  std::string path_prefix;  // "" or "/prefix" (no trailing slash), prepended to targets
};

// Parses http://host[:port][/prefix]. Refuses other schemes (the upstream is a plain-HTTP
// service on a trusted network), user info, a query or fragment, percent-encoded hosts and
// port 0. The error message names what is wrong; the caller adds the config key.
Result<UpstreamAddress> ParseUpstreamUrl(std::string_view url);

// The most bytes of response header read from the upstream. The content is streamed to the
// client piece by piece (BodyReader), so its size does not bound memory and is not limited.
inline constexpr std::size_t kMaxUpstreamResponseHeaderBytes = 64 * 1024;

class UpstreamClient {
 public:
  // `base_url` is http://host:port[/prefix] of the protected API.
  static Result<std::unique_ptr<UpstreamClient>> Create(const std::string& base_url,
                                                        std::int64_t timeout_seconds);
  virtual ~UpstreamClient() = default;
  // Sends `request` (method, target, headers, and its body, whole or as body_stream: the
  // caller has already stripped and added what it must) and delivers the upstream's response
  // once its header arrived, its content (if any) in Response::body_stream; or a 502/504
  // Response if the upstream is unreachable or too slow. A body_stream that fails mid-way
  // closes the upstream connection before the request is complete (the upstream never takes
  // a part for the whole) and is answered 408 (kHttpBodyTimeout), 413 (kInputTooLarge) or 400.
  // Hop-by-hop headers are not forwarded either way. Each step (connect, each write, the
  // response header, each read of the content) has the client's timeout.
  virtual void Forward(Request request, Respond respond) = 0;
};

}  // namespace ztm::server::http
