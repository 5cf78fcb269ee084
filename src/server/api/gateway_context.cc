#include "server/api/gateway_context.h"

#include <string>

namespace ztm::server {

void GatewayContext::Audit(std::string_view type, std::string_view subject,
                           std::string_view device_id, std::string detail) const {
  AuditEvent event;
  event.time = clock.NowSeconds();
  event.type = std::string(type);
  event.subject = std::string(subject);
  event.device_id = std::string(device_id);
  event.detail = std::move(detail);
  auto appended = store.AppendAudit(event);
  if (!appended.ok()) {
    logger.Error("audit append failed",
                 {{"type", event.type}, {"code", CodeName(appended.code())}});
  }
}

void GatewayContext::AuditFailure(Code reason, std::string_view peer,
                                  std::string_view device_id) const {
  if (!audit_limiter.ShouldRecord(reason, clock.NowSeconds())) return;
  Audit("verification_failed", "", device_id,
        std::string(CodeName(reason)) + " from " + std::string(peer.substr(0, 64)));
}

}  // namespace ztm::server
