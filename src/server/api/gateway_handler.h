// The gateway's request handler: rate limits, routing to the gateway's own endpoints, and the
// verification pipeline in front of the upstream (reverse proxy) or as an auth_request
// verifier. Every answer is counted (ztm_requests_total, ztm_request_duration_seconds) and
// logged as one JSON line without query strings, tokens or proofs.
#pragma once

#include <memory>

#include "server/api/gateway_context.h"
#include "server/http/message.h"

namespace ztm::server {

class GatewayHandler final : public http::RequestHandler {
 public:
  // Borrows `context`, which must outlive the handler.
  explicit GatewayHandler(const GatewayContext& context) : context_(context) {}

  void Handle(http::Request request, http::Respond respond) override;
  // In reverse-proxy mode, bodies of requests for the upstream stream through (checked
  // against their Content-Digest on the way); the gateway's own endpoints read theirs whole.
  bool WantsBodyStream(const http::Request& head) const override;

 private:
  struct Exchange;
  void Protected(http::Request request, std::shared_ptr<Exchange> exchange);
  void PasswordToken(http::Request request, std::shared_ptr<Exchange> exchange);
  http::Response Logout(const http::Request& request, Exchange& exchange);
  void Complete(Exchange& exchange, http::Response response) const;

  const GatewayContext& context_;
};

}  // namespace ztm::server
