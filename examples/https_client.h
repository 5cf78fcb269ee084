// A small blocking HTTPS client for the demo app (ztm-demo): one request per TLS connection,
// the server certificate verified against a given CA file and the gateway's host name, every
// wait bounded. The attacker's client in ztm-demo (the app itself uses libztm's pinned
// transport).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace ztm::demo {

// The gateway's origin, parsed from a URL such as https://localhost:8443.
struct GatewayOrigin {
  std::string host;        // a DNS name or an IPv4 address, lowercase
  std::uint16_t port = 0;  // 443 when the URL names none
  std::string authority;   // the Host field value: host, or host:port for a non-default port
  // "https://" + authority + target: the target URI a DPoP proof's htu names (RFC 9449 §4.2).
  std::string Url(std::string_view target) const;
};

// Parses an https URL naming only a host and an optional port (a trailing "/" is allowed).
// Fails with kInvalidArgument for another scheme, user info, a path, a query, a fragment or an
// IPv6 literal (not needed by the demo).
Result<GatewayOrigin> ParseGatewayOrigin(std::string_view url);

struct HttpsRequest {
  std::string method = "GET";
  std::string target = "/";
  // Sent in this order after Host; Content-Length is added for a body (and for POST/PUT).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpsResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
  std::string body;
  // The first value of the field named `name` (lowercase), if any.
  std::optional<std::string> Header(std::string_view name) const;
};

// Sends requests to one gateway. Immutable after Create; each Send opens its own connection.
class HttpsClient {
 public:
  // A client for `origin` that trusts the certificates of the PEM bundle `ca_file`. Fails with
  // kInvalidArgument when the file cannot be loaded.
  static Result<HttpsClient> Create(GatewayOrigin origin, const std::string& ca_file);

  // Connects, verifies the server certificate (chain to the CA, name = origin host), sends
  // `request` with Host: origin.authority and reads the response. Fails with kInternal on any
  // transport error (connection refused, certificate refused, timeout, malformed response),
  // the message naming which.
  Result<HttpsResponse> Send(const HttpsRequest& request) const;

  const GatewayOrigin& origin() const { return origin_; }

 private:
  struct Tls;
  HttpsClient(GatewayOrigin origin, std::shared_ptr<Tls> tls)
      : origin_(std::move(origin)), tls_(std::move(tls)) {}
  GatewayOrigin origin_;
  std::shared_ptr<Tls> tls_;  // the OpenSSL context, shared by copies
};

}  // namespace ztm::demo
