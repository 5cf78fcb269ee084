// The attacker's toolkit in ztm-demo: ztm's protocol spoken with a key the attacker holds (a
// token grant with DPoP, a signed API call with DPoP, Content-Digest and an RFC 9421
// signature), and readers for the gateway's answers. The app itself speaks the protocol
// through libztm (ztm::Client); these builders craft what libztm never would. No I/O:
// https_client.h sends what they build.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "core/crypto/keys.h"
#include "core/error.h"
#include "https_client.h"

namespace ztm::demo {

// POST /v1/token with the form `fields` (application/x-www-form-urlencoded, RFC 6749 §4.3,
// §6) and a DPoP proof by `proof_key` for that URL (RFC 9449 §5).
Result<HttpsRequest> TokenRequest(const crypto::PrivateKey& proof_key, const GatewayOrigin& origin,
                                  const std::vector<std::pair<std::string, std::string>>& fields);

// A protected API call, and the knobs the demo's attacks turn.
struct ApiCall {
  std::string method = "POST";
  std::string target = "/api/orders";
  std::string body;  // JSON; empty for none
  std::string access_token;
  // The target the DPoP proof's htu names; empty: `target` (a different one is an attack).
  std::string proof_target;
};

// Builds `call` as the app sends it: Authorization: DPoP <token>; a DPoP proof by `key` for
// the method and URL with ath (RFC 9449 §4.2, §7); Content-Digest of the body (RFC 9530); an
// RFC 9421 signature "sig1" by `key` (ecdsa-p256-sha256) over @method, @target-uri,
// authorization and content-digest (when there is a body), with created, a fresh nonce and
// keyid = `device_id`.
Result<HttpsRequest> SignedApiCall(const crypto::PrivateKey& key, std::string_view device_id,
                                   const GatewayOrigin& origin, const ApiCall& call);

// The RFC 7638 thumbprint of `key`'s public JWK: what the gateway binds tokens to (cnf.jkt).
std::string KeyThumbprint(const crypto::PrivateKey& key);

// A response body as a JSON object, or nullopt when it is not one.
std::optional<boost::json::object> JsonBody(std::string_view body);

// The string member `key` of `object`, or "" when absent or not a string.
std::string StringMember(const boost::json::object& object, std::string_view key);

// The gateway's error code: the body's "error" (RFC 6749 §5.2 shape), else the error of the
// WWW-Authenticate challenge `challenge` (RFC 6750 §3), else "".
std::string GatewayError(std::string_view body, const std::optional<std::string>& challenge);

// Why the gateway refused: the body's "error" and "error_description", else the
// WWW-Authenticate challenge's error, else "HTTP <status>".
std::string RefusalReason(int status, std::string_view body,
                          const std::optional<std::string>& challenge);

// The claims of a JWT, decoded WITHOUT verifying its signature: for showing what a token the
// gateway issued says, never for trusting it. Fails with kJwsMalformed when `token` is not three
// base64url parts with a JSON object in the middle.
Result<boost::json::object> UnverifiedClaims(std::string_view token);

}  // namespace ztm::demo
