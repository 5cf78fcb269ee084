// The gateway's HTTP request and response as the rest of the gateway sees them: plain data,
// independent of the HTTP library (Boost.Beast lives only in http/).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace ztm::server::http {

// One piece of a streamed body; `last` marks the final piece (which may be empty).
struct BodyChunk {
  std::string data;
  bool last = false;
};

// A body read in pieces as it arrives: a request body streamed to the upstream, an upstream
// response streamed to the client. Memory stays bounded by one piece (kBodyChunkBytes) however
// large the body is.
class BodyReader {
 public:
  using OnChunk = std::function<void(Result<BodyChunk>)>;
  virtual ~BodyReader() = default;
  // Delivers the next piece to `on_chunk`, called exactly once, on the producing side's I/O
  // thread (it must not block). One Read at a time; none after the last piece or an error.
  // Errors: kHttpBodyTimeout (the sender stalled), kInputTooLarge (over the body limit),
  // kHttpBodyIncomplete (the sender went away or broke the framing), or whatever a filtering
  // reader adds (kContentDigestMismatch). Dropping the reader before the last piece abandons
  // the body: its connection is not reused.
  virtual void Read(OnChunk on_chunk) = 0;
  // The length the sender declared (Content-Length); nullopt for a chunked body.
  virtual std::optional<std::uint64_t> declared_length() const = 0;
};

// The most bytes one BodyReader piece holds.
inline constexpr std::size_t kBodyChunkBytes = 64 * 1024;

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
  // Set when the handler asked for this request's body as a stream (see
  // RequestHandler::WantsBodyStream): the body arrives through it and `body` is empty.
  std::shared_ptr<BodyReader> body_stream;

  // True if the request has content: a non-empty `body`, or a stream that is not declared
  // empty.
  bool HasBody() const;

  // The first value of header `name` (lowercase), if present.
  std::optional<std::string_view> Header(std::string_view name) const;
  // All values of header `name` joined with ", " (RFC 9110 §5.3), if present.
  std::optional<std::string> CombinedHeader(std::string_view name) const;
};

struct Response {
  int status = 200;
  HeaderList headers;
  std::string body;
  // When set, the content is sent from this stream (with its declared length, or chunked) and
  // `body` must be empty. Ignored for HEAD requests and 204/304 responses.
  std::shared_ptr<BodyReader> body_stream;

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
  // Asked once the header of a request with content has arrived (`head` has no body): true to
  // receive the body as Request::body_stream while it arrives (e.g. to stream it to the
  // upstream), false to receive it whole in Request::body once it is read (the default).
  virtual bool WantsBodyStream(const Request& head) const {
    (void)head;
    return false;
  }
};

}  // namespace ztm::server::http
