// ztm-demo's side of the man in the middle (examples/demo_network.py intercept): what the
// interceptor decrypted and recorded, how the demo, playing the attacker, tells it to tamper
// with requests in flight, and a captured request made ready to be sent again.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "https_client.h"

namespace ztm::demo {

// One thing the interceptor saw: a relayed request, or a connection that ended without one.
struct InterceptedEvent {
  // "request"; or "handshake_failed" / "closed_without_request": the client refused the
  // interceptor's certificate, `request_bytes` (0) is what it received of a request.
  std::string kind;
  std::string error;  // the TLS error, for a connection without a request
  long long request_bytes = 0;
  // For a request, as the app sent it (header names lowercase, in order):
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool tampered = false;       // the interceptor forwarded a rewritten body
  std::string forwarded_body;  // what it forwarded instead, when tampered
  int status = 0;              // the gateway's answer, as relayed back
  std::string answer;          // the gateway's answer body

  // The first value of the header `name` (lowercase), if any.
  std::optional<std::string> Header(std::string_view name) const;
};

// Reads the interceptor's log and writes its tampering rules. Holds paths only.
class Interceptor {
 public:
  Interceptor(std::string log_path, std::string rules_path)
      : log_path_(std::move(log_path)), rules_path_(std::move(rules_path)) {}

  // Every event recorded so far, oldest first. Fails with kInvalidArgument when the log
  // cannot be read or holds a line that is not one of the interceptor's records.
  Result<std::vector<InterceptedEvent>> Events() const;

  // From now on the interceptor rewrites request bodies containing `from`, replacing it by
  // `to`, and recomputes Content-Digest over the new body when `fix_digest`. The rules file is
  // replaced atomically, so the interceptor never reads half of it.
  Status Tamper(std::string_view from, std::string_view to, bool fix_digest) const;
  // The interceptor relays requests unchanged again.
  Status StopTampering() const;

 private:
  const std::string log_path_;
  const std::string rules_path_;
};

// `request` as an attacker sends it again byte for byte: the same method, target, headers and
// body. Host and Content-Length are left to the sender, which sets the same values.
HttpsRequest Resend(const InterceptedEvent& request);

}  // namespace ztm::demo
