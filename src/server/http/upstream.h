// Forwarding verified requests to the protected API (reverse-proxy mode).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/error.h"
#include "server/http/message.h"

namespace ztm::server::http {

class UpstreamClient {
 public:
  // `base_url` is http://host:port[/prefix] of the protected API.
  static Result<std::unique_ptr<UpstreamClient>> Create(const std::string& base_url,
                                                        std::int64_t timeout_seconds);
  virtual ~UpstreamClient() = default;
  // Sends `request` (method, target, headers, body as given: the caller has already stripped
  // and added what it must) and delivers the upstream's response, or a 502/504 Response if
  // the upstream is unreachable or too slow. Hop-by-hop headers are not forwarded either way.
  virtual void Forward(Request request, Respond respond) = 0;
};

}  // namespace ztm::server::http
