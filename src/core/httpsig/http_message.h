// The HTTP message model that HTTP Message Signatures (RFC 9421) are computed over, and a
// bounded parser of raw HTTP/1.1 message text. The gateway fills the model from its own HTTP
// stack; the parser serves the CLI, tests and tools that hold a message as text.
//
// The model keeps what a signature can cover: the control data (method, request target as
// sent, scheme, authority; or the status code), every header field line in order (repeated
// lines are kept, names lowercased) and the body bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"

namespace ztm::httpsig {

// A whole message, headers and body. Requests that carry a signature are small API calls;
// 1 MiB is far above them and equal to what the CLI reads from a file.
inline constexpr std::size_t kMaxMessageBytes = 1024 * 1024;
// The request line or status line. 8 KiB is the URI limit common HTTP servers apply (nginx's
// large_client_header_buffers, Apache's LimitRequestLine); longer targets are refused there.
inline constexpr std::size_t kMaxStartLineBytes = 8 * 1024;
// The header section, start line included. 64 KiB is above the 8-32 KiB most servers and
// proxies accept, so no message that crossed them is refused here.
inline constexpr std::size_t kMaxHeaderSectionBytes = 64 * 1024;
// Field lines per message: Apache's LimitRequestFields default. A signed API request carries
// a dozen or two.
inline constexpr std::size_t kMaxFieldLines = 100;

// One header field line: its name lowercased, its value without surrounding whitespace.
struct HttpField {
  std::string name;
  std::string value;
};

// The header field lines of a message, in message order. Repeated lines of the same field
// stay separate (RFC 9421 §2.1 combines them itself; the `bs` parameter needs them apart).
class HttpFields {
 public:
  // Appends one field line. `name` must be a token (RFC 9110 §5.1) and is stored lowercased;
  // `value` may hold visible ASCII, SP, HTAB and obs-text but no other control character
  // (RFC 9110 §5.5), and its leading and trailing SP/HTAB are removed. Fails with
  // kHttpMessageMalformed on a bad name or value, kInputTooLarge past kMaxFieldLines lines or
  // kMaxHeaderSectionBytes bytes.
  Status Add(std::string_view name, std::string_view value);

  // The values of every line named `name` (lowercase), in message order. The views are valid
  // until this object is modified or destroyed.
  std::vector<std::string_view> Values(std::string_view name) const;
  bool Contains(std::string_view name) const;

  const std::vector<HttpField>& lines() const { return lines_; }
  std::size_t size() const { return lines_.size(); }

 private:
  std::vector<HttpField> lines_;
  std::size_t total_bytes_ = 0;
};

// A request as received or about to be sent.
struct HttpRequest {
  std::string method;            // case-sensitive token (RFC 9110 §9.1)
  std::string target;            // request-target exactly as in the request line (RFC 9112 §3.2)
  std::string scheme = "https";  // "http" or "https": how the request was (or will be) sent
  std::string authority;         // Host field value or :authority, as received
  HttpFields fields;
  Bytes body;
};

// A response, with the request it answers when a signature covers request components
// (RFC 9421 §2.4, the `req` parameter). The related request's body is used only to check a
// covered "content-digest";req (HttpSigVerifier, RFC 9530).
struct HttpResponse {
  int status = 0;  // three-digit status code
  HttpFields fields;
  Bytes body;
  std::optional<HttpRequest> request;
};

// A borrowed view of either a request or a response: what signature bases are built from.
// It must not outlive the message it views.
class HttpMessageView {
 public:
  HttpMessageView(const HttpRequest& request) : request_(&request) {}      // NOLINT
  HttpMessageView(const HttpResponse& response) : response_(&response) {}  // NOLINT

  // Non-null for a request message.
  const HttpRequest* request() const { return request_; }
  // Non-null for a response message.
  const HttpResponse* response() const { return response_; }
  const HttpFields& fields() const { return request_ ? request_->fields : response_->fields; }

 private:
  const HttpRequest* request_ = nullptr;
  const HttpResponse* response_ = nullptr;
};

// The four forms of request-target (RFC 9112 §3.2).
enum class TargetForm { kOrigin, kAbsolute, kAuthority, kAsterisk };

// The target URI of a request, split into the parts RFC 9421 §2.2 derives components from.
struct TargetUri {
  TargetForm form = TargetForm::kOrigin;
  std::string scheme;     // lowercase
  std::string authority;  // as received (not normalized)
  std::string path;       // as sent, percent-encoding untouched; empty for authority/asterisk form
  std::optional<std::string> query;  // without the '?'; nullopt when the target has no '?'
};

// Splits and validates the request's target (RFC 9112 §3.2, RFC 3986 §3). Origin-form paths and
// queries must use only RFC 3986 characters with well-formed percent-encoding; absolute-form
// must be http or https and name the same scheme and authority as the request (a request that
// names two authorities is refused rather than resolved); authority-form is only for CONNECT
// and asterisk-form only for OPTIONS. Fails with kHttpMessageMalformed, or kInputTooLarge for a
// target or authority longer than kMaxStartLineBytes.
Result<TargetUri> ParseTarget(const HttpRequest& request);

// The authority normalized per RFC 9110 §4.2.3: host lowercased, the scheme's default port
// (80 for http, 443 for https) and an empty port removed. Refuses userinfo, ports with leading
// zeros or above 65535, and characters outside RFC 3986's host syntax (kHttpMessageMalformed).
Result<std::string> NormalizeAuthority(std::string_view authority, std::string_view scheme);

// Parses a raw HTTP/1.1 request: request line, header field lines, an empty line, the body.
// Lines may end in CRLF or LF; the empty line may be omitted when there is no body. Refused
// (kHttpMessageMalformed): a bare CR, obs-fold (a line starting with whitespace), whitespace
// before a field name's colon, an invalid field name or value, a version other than HTTP/1.1,
// a missing or repeated Host, Transfer-Encoding, an invalid or repeated Content-Length, a body
// whose length differs from Content-Length (or a body without Content-Length) and an invalid
// target (ParseTarget). Inputs past the bounds above fail with kInputTooLarge. `scheme` ("http"
// or "https") is how the message travelled: HTTP/1.1 text does not say.
Result<HttpRequest> ParseHttpRequest(std::string_view text, std::string_view scheme = "https");

// Parses a raw HTTP/1.1 response: status line, header field lines, an empty line, the body,
// with the same line rules as ParseHttpRequest. Without Content-Length the body is the rest of
// the text (RFC 9112 §6.3: a response body can run to the end of the connection).
Result<HttpResponse> ParseHttpResponse(std::string_view text);

}  // namespace ztm::httpsig
