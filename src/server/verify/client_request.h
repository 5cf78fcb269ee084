// The request as the client sent and signed it, and the route policy that applies to it.
//
// In reverse-proxy mode that is the request the gateway received. In auth_request mode the
// gateway receives a sub-request from the front proxy (nginx auth_request, Envoy ext_authz)
// and reads the original method, target and scheme from the headers that proxy sets:
// X-Original-Method, X-Original-URI and X-Forwarded-Proto (Host must be passed through). Only
// the front proxy may reach the gateway in that mode, or a client could choose these values.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/error.h"
#include "server/config.h"
#include "server/http/message.h"

namespace ztm::server {

struct ClientRequest {
  std::string method;
  std::string scheme;     // "https" or "http"
  std::string authority;  // the Host field value, as received
  std::string target;     // origin-form request target, as sent (what the signature covers)
  // The path of `target` normalized for route matching (RFC 3986 §6.2.2: percent-encoded
  // unreserved characters decoded, other percent-encodings uppercased).
  std::string path;
  // What the gateway forwards upstream: `path` (the path the route policy matched) followed by
  // the original query, never the raw target, so the upstream serves what the policy checked.
  std::string forward_target;
};

// Bound on the original target, the same as common servers' request-line limit.
inline constexpr std::size_t kMaxTargetBytes = 8 * 1024;

// Derives the client's request. Fails with kHttpMessageMalformed for a missing or repeated
// Host (or X-Original-* field), a target that is not origin-form or malformed
// percent-encoding; and with kRequestPathAmbiguous for an encoded '/' or '\' (%2F, %5C), a
// "." / ".." segment (also percent-encoded), an empty segment ("//") or a ';' (also %3B): paths
// that the upstream might resolve differently from the route matcher are refused rather than
// guessed.
Result<ClientRequest> ClientRequestOf(const http::Request& request, GatewayMode mode);

// Normalizes an origin "scheme://host[:port]" (RFC 6454 §4; scheme https or http, host a DNS
// name, IPv4 address or bracketed IPv6 literal, no userinfo, path, query or fragment):
// lowercase, default port (443 / 80) dropped. Fails with kInvalidArgument otherwise.
Result<std::string> NormalizeOrigin(std::string_view origin);

// Checks that `request` was sent to one of `origins` (NormalizeOrigin outputs): the scheme
// (TLS or, in auth_request mode, X-Forwarded-Proto) and the single Host value (and, in
// auth_request mode, X-Forwarded-Host when present) must name one of them. Fails with
// kMisdirectedRequest (RFC 9110 §15.5.20) otherwise. An empty `origins` accepts everything.
Status CheckPublicOrigin(const http::Request& request, GatewayMode mode,
                         std::span<const std::string> origins);

// The policy for `path` (a ClientRequest::path): the route with the longest path_prefix that
// is a prefix of `path`, or, when none matches, DefaultRoutePolicy().
const RoutePolicy& MatchRoute(std::span<const RoutePolicy> routes, std::string_view path);

// Every check required, any method: what an unconfigured path gets (fail closed).
const RoutePolicy& DefaultRoutePolicy();

}  // namespace ztm::server
