#include "server/api/gateway_handler.h"

#include <chrono>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "server/api/errors.h"
#include "server/api/form.h"
#include "server/api/gateway.h"
#include "server/api/registration.h"
#include "server/api/token_endpoint.h"
#include "server/verify/client_request.h"
#include "server/verify/digest_checked_body.h"

namespace ztm::server {
namespace {

constexpr std::string_view kMetricsRouteDefault = "default";

// A value the gateway puts in an identity header must be a valid field value (RFC 9110 §5.5);
// subjects and device ids are, but a check costs nothing and keeps a header injection out.
bool IsHeaderSafe(std::string_view value) {
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return false;
  }
  return true;
}

// Names arrive lowercased from the HTTP layer; compared case-insensitively all the same, since a
// missed "X-ZTM-Subject" would be an identity forged past the gateway.
bool IsZtmHeader(std::string_view name) {
  constexpr std::string_view kPrefix = "x-ztm-";
  if (name.size() < kPrefix.size()) return false;
  for (std::size_t i = 0; i < kPrefix.size(); ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kPrefix[i]) return false;
  }
  return true;
}

// nginx's default (underscores_in_headers off): CGI, WSGI, Rack and PHP map both "X-ZTM-Subject"
// and "X_ZTM_Subject" to HTTP_X_ZTM_SUBJECT, so a field named with '_' could forge an identity
// header past the x-ztm-* filter. No standard field has one; all are dropped on arrival.
bool HasUnderscore(std::string_view name) { return name.find('_') != std::string_view::npos; }

// A token request whose grant_type is "password" (an unparsable body is not: HandleToken
// answers it inline).
bool IsPasswordGrant(const http::Request& request) {
  auto form = FormParameters::Parse(request.body);
  return form.ok() && form->Get("grant_type") == std::optional<std::string_view>("password");
}

const RoutePolicy& LogoutPolicy() {
  static const RoutePolicy* const kPolicy = [] {
    auto* policy = new RoutePolicy();
    policy->path_prefix = "/v1/logout";
    policy->methods = {"POST"};
    return policy;
  }();
  return *kPolicy;
}

// The gateway's own endpoints; every other path is the upstream's.
bool IsOwnPath(std::string_view path) {
  return path == "/v1/challenge" || path == "/v1/devices" || path == "/v1/token" ||
         path == "/v1/revoke" || path == "/v1/logout" || path == "/.well-known/jwks.json" ||
         path == "/healthz" || path == "/metrics";
}

// An upstream response body that keeps its forward's slot until the client has it all (or
// the connection ends and the server drops the body).
class SlotHoldingBody final : public http::BodyReader {
 public:
  SlotHoldingBody(std::shared_ptr<http::BodyReader> body,
                  std::shared_ptr<ForwardLimiter::Slot> slot)
      : body_(std::move(body)), slot_(std::move(slot)) {}
  void Read(OnChunk on_chunk) override { body_->Read(std::move(on_chunk)); }
  std::optional<std::uint64_t> declared_length() const override { return body_->declared_length(); }

 private:
  std::shared_ptr<http::BodyReader> body_;
  std::shared_ptr<ForwardLimiter::Slot> slot_;
};

http::Response MethodNotAllowed(std::string_view allowed) {
  http::Response response = JsonError(405, "method_not_allowed", "");
  response.headers.emplace_back("allow", std::string(allowed));
  return response;
}

}  // namespace

// One request's bookkeeping, kept until its response is sent (possibly on another thread).
struct GatewayHandler::Exchange {
  std::chrono::steady_clock::time_point started;
  std::string method;
  std::string path;  // without the query: queries can carry secrets
  std::string peer;
  std::string route;  // the metrics label
  std::string device_id;
  http::Respond respond;
};

void GatewayHandler::Complete(Exchange& exchange, http::Response response) const {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - exchange.started).count();
  const std::string status = std::to_string(response.status);
  context_.metrics.requests->Increment({exchange.route, status});
  context_.metrics.request_duration->Observe(seconds, {exchange.route});
  context_.logger.Info("request", {{"method", exchange.method},
                                   {"path", exchange.path.substr(0, 256)},
                                   {"status", response.status},
                                   {"route", exchange.route},
                                   {"peer", exchange.peer},
                                   {"device_id", exchange.device_id},
                                   {"duration_us", static_cast<std::int64_t>(seconds * 1e6)}});
  exchange.respond(std::move(response));
}

bool GatewayHandler::WantsBodyStream(const http::Request& head) const {
  if (context_.config.mode != GatewayMode::kReverseProxy || context_.upstream == nullptr) {
    return false;
  }
  return !IsOwnPath(std::string_view(head.target).substr(0, head.target.find('?')));
}

void GatewayHandler::Handle(http::Request request, http::Respond respond) {
  auto exchange = std::make_shared<Exchange>();
  exchange->started = std::chrono::steady_clock::now();
  exchange->method = request.method.substr(0, 32);
  exchange->path = request.target.substr(0, request.target.find('?'));
  exchange->peer = request.peer_address;
  exchange->respond = std::move(respond);
  std::erase_if(request.headers, [](const auto& field) { return HasUnderscore(field.first); });
  const std::int64_t now = context_.clock.NowSeconds();
  context_.key_ring.ReloadIfDue(now);

  // In auth_request mode every request comes from the front proxy, which names the client in
  // X-Real-IP; counting them all under the proxy's address would throttle everyone at once.
  std::string rate_key = request.peer_address;
  if (context_.config.mode == GatewayMode::kAuthRequest) {
    if (auto real_ip = request.Header("x-real-ip"); real_ip && !real_ip->empty()) {
      rate_key = std::string(*real_ip);
    }
  }
  const std::string& path = exchange->path;
  const bool own = IsOwnPath(path);
  exchange->route = own ? path : std::string(kMetricsRouteDefault);
  if (!context_.per_ip.Allow(rate_key)) {
    context_.metrics.rate_limited->Increment({"ip"});
    context_.AuditFailure(Code::kRateLimited, rate_key, "");
    return Complete(*exchange,
                    VerificationErrorResponse(Error{Code::kRateLimited, "too many requests"},
                                              DefaultRoutePolicy(), ""));
  }
  // DPoP htu and RFC 9421 @target-uri carry the Host the client sent: only an origin this
  // gateway serves binds a proof or signature to it (health checks and scrapes use any name).
  if (path != "/healthz" && path != "/metrics") {
    if (Status origin =
            CheckPublicOrigin(request, context_.config.mode, context_.config.listen.public_origins);
        !origin.ok()) {
      context_.metrics.verification_failures->Increment({FailureReason(origin.code())});
      return Complete(*exchange,
                      VerificationErrorResponse(origin.error(), DefaultRoutePolicy(), ""));
    }
  }
  if (!own) return Protected(std::move(request), exchange);

  auto require = [&](std::string_view method) { return request.method == method; };
  http::Response response;
  if (path == "/healthz") {
    response =
        require("GET") ? http::Response::Json(200, R"({"status":"ok"})") : MethodNotAllowed("GET");
  } else if (path == "/metrics") {
    // Checked before the method: a peer outside metrics.allow learns nothing, not even that a
    // GET would be answered differently.
    if (!context_.config.metrics.enabled ||
        !AnyContains(context_.config.metrics.allow, request.peer_address)) {
      context_.metrics.metrics_refused->Increment();
      response = JsonError(404, "not_found", "");
    } else if (require("GET")) {
      response.status = 200;
      response.headers = {{"content-type", std::string(kPrometheusContentType)},
                          {"cache-control", "no-store"}};
      response.body = context_.metrics_registry.RenderPrometheus();
    } else {
      response = MethodNotAllowed("GET");
    }
  } else if (path == "/.well-known/jwks.json") {
    if (require("GET")) {
      response.status = 200;
      // Short caching: verifiers must see a rotated-in key within minutes.
      response.headers = {{"content-type", "application/jwk-set+json"},
                          {"cache-control", "public, max-age=60"}};
      response.body = context_.key_ring.JwksJson(now);
    } else {
      response = MethodNotAllowed("GET");
    }
  } else if (!require("POST")) {
    response = MethodNotAllowed("POST");
  } else if (path == "/v1/challenge") {
    response = HandleChallenge(context_, request);
  } else if (path == "/v1/devices") {
    response = HandleRegisterDevice(context_, request);
  } else if (path == "/v1/token") {
    if (IsPasswordGrant(request)) return PasswordToken(std::move(request), exchange);
    response = HandleToken(context_, request);
  } else if (path == "/v1/revoke") {
    response = HandleRevoke(context_, request);
  } else {
    response = Logout(request, *exchange);
  }
  Complete(*exchange, std::move(response));
}

void GatewayHandler::PasswordToken(http::Request request, std::shared_ptr<Exchange> exchange) {
  // Argon2id takes ~100 ms and 64 MiB: it runs on the password workers, never on an IO thread,
  // and a full queue is answered at once (503 + Retry-After) instead of queued without bound.
  auto shared = std::make_shared<http::Request>(std::move(request));
  const GatewayHandler* self = this;
  const bool queued = context_.password_workers.TrySubmit([self, shared, exchange] {
    self->Complete(*exchange, HandleToken(self->context_, *shared));
  });
  if (!queued) {
    context_.metrics.rate_limited->Increment({"password_workers"});
    Complete(*exchange,
             OAuthErrorResponse(Error{Code::kServerBusy, "password checks are busy"}, ""));
  }
}

http::Response GatewayHandler::Logout(const http::Request& request, Exchange& exchange) {
  const std::int64_t now = context_.clock.NowSeconds();
  auto client = ClientRequestOf(request, context_.config.mode);
  if (!client.ok()) return VerificationErrorResponse(client.error(), LogoutPolicy(), "");
  auto verified = context_.verifier.Verify(request, *client, LogoutPolicy(), now);
  if (!verified.ok()) {
    context_.metrics.verification_failures->Increment({FailureReason(verified.code())});
    context_.AuditFailure(verified.code(), exchange.peer, "");
    return VerificationErrorResponse(verified.error(), LogoutPolicy(), context_.nonces.Issue(now));
  }
  exchange.device_id = verified->device_id();
  auto ended = context_.tokens.EndSession(verified->session_id(), verified->subject(),
                                          verified->device_id(), now);
  if (!ended.ok()) {
    context_.logger.Error("logout failed", {{"code", CodeName(ended.code())}});
    return VerificationErrorResponse(ended.error(), LogoutPolicy(), "");
  }
  http::Response response;
  response.status = 204;
  response.headers = {{"cache-control", "no-store"}};
  return response;
}

void GatewayHandler::Protected(http::Request request, std::shared_ptr<Exchange> exchange) {
  const std::int64_t now = context_.clock.NowSeconds();
  auto client = ClientRequestOf(request, context_.config.mode);
  if (!client.ok()) {
    context_.metrics.verification_failures->Increment({FailureReason(client.code())});
    return Complete(*exchange, VerificationErrorResponse(client.error(), DefaultRoutePolicy(), ""));
  }
  const RoutePolicy& policy = MatchRoute(context_.config.routes, client->path);
  exchange->route =
      policy.path_prefix.empty() ? std::string(kMetricsRouteDefault) : policy.path_prefix;
  auto verified = context_.verifier.Verify(request, *client, policy, now);
  if (!verified.ok()) {
    if (IsInternalError(verified.code())) {
      context_.logger.Error("verification could not run",
                            {{"code", CodeName(verified.code())},
                             {"detail", SanitizeDescription(verified.error().message)}});
    } else {
      context_.metrics.verification_failures->Increment({FailureReason(verified.code())});
      context_.AuditFailure(verified.code(), exchange->peer, "");
    }
    const std::string nonce =
        verified.code() == Code::kUseDpopNonce ? context_.nonces.Issue(now) : std::string();
    return Complete(*exchange, VerificationErrorResponse(verified.error(), policy, nonce));
  }
  exchange->device_id = verified->device_id();
  if (verified->authenticated() && !context_.per_device.Allow(verified->device_id())) {
    context_.metrics.rate_limited->Increment({"device"});
    context_.AuditFailure(Code::kRateLimited, exchange->peer, verified->device_id());
    return Complete(*exchange, VerificationErrorResponse(
                                   Error{Code::kRateLimited, "too many requests"}, policy, ""));
  }
  if (verified->authenticated() &&
      (!IsHeaderSafe(verified->subject()) || !IsHeaderSafe(verified->device_id()) ||
       !IsHeaderSafe(verified->acr()))) {
    return Complete(*exchange,
                    VerificationErrorResponse(Error{Code::kInternal, "identity is not header-safe"},
                                              policy, ""));
  }

  http::HeaderList identity;
  if (verified->authenticated()) {
    identity.emplace_back(kSubjectHeader, verified->subject());
    identity.emplace_back(kDeviceHeader, verified->device_id());
    identity.emplace_back(kAcrHeader, verified->acr());
  }

  if (context_.config.mode == GatewayMode::kAuthRequest) {
    http::Response response;
    response.status = 200;
    response.headers = std::move(identity);
    if (verified->content_digest()) {
      response.headers.emplace_back(kContentDigestHeader, *verified->content_digest());
    }
    response.headers.emplace_back("cache-control", "no-store");
    return Complete(*exchange, std::move(response));
  }

  if (context_.upstream == nullptr) {
    return Complete(*exchange, JsonError(502, "bad_gateway", "no upstream configured"));
  }
  std::shared_ptr<ForwardLimiter::Slot> slot = context_.forwards.TryAcquire(
      exchange->peer, verified->authenticated() ? verified->device_id() : std::string());
  if (slot == nullptr) {
    context_.metrics.rate_limited->Increment({"forwards"});
    context_.AuditFailure(Code::kRateLimited, exchange->peer, exchange->device_id);
    return Complete(*exchange,
                    VerificationErrorResponse(
                        Error{Code::kRateLimited, "too many requests in flight"}, policy, ""));
  }
  http::Request forward;
  forward.method = std::move(request.method);
  // The normalized path the policy matched (plus the query), never the raw target.
  forward.target = client->forward_target;
  forward.body = std::move(request.body);
  std::shared_ptr<DigestCheckedBody> checked_body;
  if (verified->streamed_body_check() != nullptr) {
    checked_body =
        std::make_shared<DigestCheckedBody>(request.body_stream, verified->streamed_body_check());
    forward.body_stream = checked_body;
  } else {
    forward.body_stream = std::move(request.body_stream);
  }
  forward.peer_address = request.peer_address;
  forward.tls = request.tls;
  forward.client_certificate_pem = std::move(request.client_certificate_pem);
  for (auto& [name, value] : request.headers) {
    // The upstream trusts x-ztm-* from the gateway only: a client's own are dropped (and any
    // name with '_' was dropped on arrival).
    if (IsZtmHeader(name) || HasUnderscore(name)) continue;
    forward.headers.emplace_back(std::move(name), std::move(value));
  }
  for (auto& header : identity) forward.headers.push_back(std::move(header));
  const GatewayHandler* self = this;
  context_.upstream->Forward(std::move(forward), [self, exchange, checked_body, slot,
                                                  policy = &policy](http::Response response) {
    if (response.body_stream != nullptr) {
      response.body_stream =
          std::make_shared<SlotHoldingBody>(std::move(response.body_stream), slot);
    }
    if (checked_body != nullptr && checked_body->mismatched()) {
      // The body did not match the signed digest: the upstream connection was closed before
      // the request was complete; the client hears why.
      const Error error{Code::kContentDigestMismatch, "Content-Digest does not match the body"};
      self->context_.metrics.verification_failures->Increment({FailureReason(error.code)});
      self->context_.AuditFailure(error.code, exchange->peer, exchange->device_id);
      response = VerificationErrorResponse(error, *policy, "");
    }
    self->Complete(*exchange, std::move(response));
  });
}

}  // namespace ztm::server
