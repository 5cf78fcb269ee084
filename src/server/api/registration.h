// Device registration: POST /v1/challenge hands out a single-use server nonce, and
// POST /v1/devices registers a device key whose attestation answers it.
//
//   POST /v1/challenge            → 200 {"challenge": "<43 base64url chars>", "expires_in": 120}
//   POST /v1/devices  (application/json)
//     {"public_jwk": {...}, "challenge": "...", "attestation": {"format": "software",
//      "evidence": "..."}}
//                                 → 201 {"device_id": "<22 base64url chars>"}
//   Errors: 400 {"error": "challenge_invalid" | "attestation_invalid" |
//   "attestation_key_mismatch" | "attestation_format_unsupported" | "invalid_request", ...},
//   403 attestation_format_disabled, 409 device_already_registered.
#pragma once

#include "server/api/gateway_context.h"
#include "server/http/message.h"

namespace ztm::server {

// 256 random bits (RFC 9449 §8 asks nonces to be unpredictable; this one is also an
// attestation challenge).
inline constexpr std::size_t kChallengeBytes = 32;

http::Response HandleChallenge(const GatewayContext& context, const http::Request& request);
http::Response HandleRegisterDevice(const GatewayContext& context, const http::Request& request);

}  // namespace ztm::server
