// The OAuth 2.0 token endpoint with DPoP (RFC 6749 §3.2, RFC 9449 §5) and the revocation
// endpoint (RFC 7009).
//
//   POST /v1/token  (application/x-www-form-urlencoded, DPoP: <proof for POST <this URL>>)
//     grant_type=password&username=...&password=...&device_id=...
//     grant_type=refresh_token&refresh_token=...
//     grant_type=urn:ietf:params:oauth:grant-type:token-exchange&subject_token=<OIDC ID token>
//       &subject_token_type=urn:ietf:params:oauth:token-type:id_token&device_id=...   (RFC 8693)
//   → 200 {"access_token", "token_type": "DPoP", "expires_in", "refresh_token"}
//   → 400 {"error": "invalid_request" | "invalid_grant" | "unsupported_grant_type" |
//          "invalid_dpop_proof" | "use_dpop_nonce", "error_description"}
//
//   POST /v1/revoke (application/x-www-form-urlencoded) token=<refresh token>
//   → 200 always (RFC 7009 §2.2), the token's family revoked if it has one.
#pragma once

#include "server/api/gateway_context.h"
#include "server/http/message.h"

namespace ztm::server {

// The acr of a session started with grant_type=password: RFC 8176's "pwd" method, the only
// factor. Route policies requiring another acr refuse such sessions (step-up comes later).
inline constexpr std::string_view kPasswordAcr = "pwd";
// The acr of a session started by token exchange: the user signed in at a configured OIDC
// issuer. The issuer's own acr is not carried over (its values mean nothing to route policies
// until an operator maps them).
inline constexpr std::string_view kFederatedAcr = "oidc";

http::Response HandleToken(const GatewayContext& context, const http::Request& request);
http::Response HandleRevoke(const GatewayContext& context, const http::Request& request);

}  // namespace ztm::server
