// How the gateway answers a failure: each error code maps to one HTTP status, one
// WWW-Authenticate challenge (RFC 6750 §3, RFC 9449 §7.1, RFC 9470 §3) and one metric label.
// Bodies are JSON {"error": <code>, "error_description": <one line>}; descriptions come from
// verification messages (which describe the client's own request, never secrets) and are
// dropped for internal and store errors, whose detail goes only to the log.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "server/config.h"
#include "server/http/message.h"

namespace ztm::server {

// The DPoP scheme's challenge parameter listing the proof algorithms accepted.
inline constexpr std::string_view kDpopAlgs = "ES256 EdDSA";

// A JSON error response: {"error": error, "error_description": description} (the description
// omitted when empty), Content-Type application/json, Cache-Control no-store.
http::Response JsonError(int status, std::string_view error, std::string_view description);

// The response for a failed per-request verification (request_verifier.h) or a protected
// gateway endpoint (logout). `dpop_nonce` is sent in DPoP-Nonce for kUseDpopNonce; `policy` names
// the allowed methods (405 Allow) and the required acr (RFC 9470 acr_values).
http::Response VerificationErrorResponse(const Error& error, const RoutePolicy& policy,
                                         std::string_view dpop_nonce);

// The response of the token and revocation endpoints for an error (RFC 6749 §5.2; RFC 9449
// §5 and §8 for invalid_dpop_proof and use_dpop_nonce, both 400 there).
http::Response OAuthErrorResponse(const Error& error, std::string_view dpop_nonce);

// The response of the registration endpoints for an error (ztm codes, 400/409/403).
http::Response RegistrationErrorResponse(const Error& error);

// The label under which a failure is counted (verification_failures_total{reason}): the
// code's stable name, or "internal" for codes that are not a client's failure.
std::string_view FailureReason(Code code);

// True for codes that describe the gateway's own trouble (store, internal), whose messages
// must not reach the client.
bool IsInternalError(Code code);

// `text` made safe for a quoted-string parameter of WWW-Authenticate and a one-line log or
// JSON value: characters outside %x20-7E, '"' and '\' become ' ', and it is cut at
// kMaxDescriptionBytes.
std::string SanitizeDescription(std::string_view text);
inline constexpr std::size_t kMaxDescriptionBytes = 200;

}  // namespace ztm::server
