// The gateway's HTTP request and response as the rest of the gateway sees them: plain data,
// independent of the HTTP library (Boost.Beast lives only in http/).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ztm::server::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;  // names lowercase

struct Request {
  std::string method;
  std::string target;  // request-target as received, e.g. "/v1/orders?x=1"
  // Repeated fields kept as separate entries, their values in arrival order; fields are in
  // order of first arrival, a repeated field's later lines grouped after its first (the
  // order of differently named fields carries no meaning, RFC 9110 §5.3). The server has
  // consumed the hop-by-hop fields (see WithoutHopByHopHeaders): the handler sees
  // end-to-end ones.
  HeaderList headers;
  std::string body;
  std::string peer_address;  // client IP as text
  bool tls = false;
  // PEM of the client certificate the TLS layer verified (mTLS), if any.
  std::optional<std::string> client_certificate_pem;

  // The first value of header `name` (lowercase), if present.
  std::optional<std::string_view> Header(std::string_view name) const;
  // All values of header `name` joined with ", " (RFC 9110 §5.3), if present.
  std::optional<std::string> CombinedHeader(std::string_view name) const;
};

struct Response {
  int status = 200;
  HeaderList headers;
  std::string body;

  // Convenience: a JSON body with Content-Type application/json and Cache-Control no-store.
  static Response Json(int status, std::string body);
};

// Returns `headers` without the hop-by-hop fields a proxy consumes instead of forwarding
// (RFC 9110 §7.6.1): Connection and every field it names, Proxy-Connection, Keep-Alive, TE,
// Transfer-Encoding and Upgrade; also Trailer (trailers are not forwarded) and
// Proxy-Authenticate / Proxy-Authorization (RFC 9110 §11.7, meant for the next hop only).
// Names in `headers` must be lowercase.
HeaderList WithoutHopByHopHeaders(const HeaderList& headers);

// Delivers the response; must be called exactly once, from any thread.
using Respond = std::function<void(Response)>;

// What the server calls for each complete request that passed the transport limits.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual void Handle(Request request, Respond respond) = 0;
};

}  // namespace ztm::server::http
