// The gateway assembled: every service built from the configuration, a store and the master
// key, behind one http::RequestHandler that routes the gateway's own endpoints and verifies
// everything else.
//
// Endpoints (docs/protocol.md has the wire details):
//   POST /v1/challenge, POST /v1/devices          registration.h
//   POST /v1/token, POST /v1/revoke                token_endpoint.h
//   POST /v1/logout                                a verified request; revokes its session
//   GET  /.well-known/jwks.json, /healthz, /metrics
//   anything else                                  the verification pipeline, then the
//                                                  upstream (reverse proxy) or 200 with the
//                                                  identity headers (auth_request)
// Every request is first subject to the per-IP rate limit; verified requests also to the
// per-device one. /metrics answers only peers in metrics.allow (404 to others). The store is
// pruned on a background thread every storage.prune_interval_seconds.
#pragma once

#include <memory>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"
#include "server/api/json_logger.h"
#include "server/config.h"
#include "server/http/message.h"
#include "server/http/server.h"
#include "server/http/upstream.h"
#include "server/metrics.h"
#include "server/store/store.h"
#include "server/tokens/key_ring.h"

namespace ztm::server {

// Identity headers added to verified requests (after every incoming x-ztm-* was removed).
inline constexpr std::string_view kSubjectHeader = "x-ztm-subject";
inline constexpr std::string_view kDeviceHeader = "x-ztm-device";
inline constexpr std::string_view kAcrHeader = "x-ztm-acr";
// auth_request mode only: the Content-Digest the signature covered, which the upstream must
// check against the body the gateway never saw.
inline constexpr std::string_view kContentDigestHeader = "x-ztm-content-digest";

class Gateway {
 public:
  // Builds the gateway. In reverse-proxy mode `upstream` is used if given, else created from
  // config.upstream. Fails with the first service that cannot be built (e.g. the key ring
  // with the wrong master key: kSigningKeyUnavailable). Borrows `config`, `store`, `clock`
  // and `logger`, which must outlive it.
  static Result<std::unique_ptr<Gateway>> Create(
      const GatewayConfig& config, GatewayStore& store, Secret master_key, const Clock& clock,
      JsonLogger& logger, std::unique_ptr<http::UpstreamClient> upstream = nullptr);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // The request handler to give HttpServer::Create. Thread-safe.
  http::RequestHandler& handler();
  // Counts a refusal by the HTTP layer (ServerOptions::on_transport_event).
  void RecordTransportEvent(http::TransportEvent event);
  MetricsRegistry& metrics();
  KeyRing& key_ring();

 private:
  struct Parts;
  explicit Gateway(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace ztm::server
