// The per-request verification pipeline: everything the gateway checks before a request may
// reach the protected API. The checks run in a fixed order, each failing with its own code
// (and so its own HTTP status and metric label, see api/errors.h):
//
//   1. access token    Authorization: DPoP <JWT>; signature under a key-ring kid, iss, aud,
//                      typ at+jwt, exp       access_token_missing / _invalid / _expired
//   2. DPoP proof      RFC 9449 §4.3 for this method and URI, "ath" of the token, key =
//                      the token's cnf.jkt, server nonce when configured
//                                            dpop_proof_invalid / use_dpop_nonce
//      (the token's device is looked up here: unknown device, or a device whose key is not
//      the token's, is access_token_invalid)
//   3. signature       RFC 9421 by the device key, keyid = device id, covering @method,
//                      @target-uri, authorization and content-digest (when the request has a
//                      body or a Content-Digest), with created inside the window and a nonce
//                                            request_signature_missing / _invalid
//   4. replay          the signature nonce (per device) and the DPoP jti (per key) unseen
//                      inside their windows  request_replayed / replay_cache_full
//   5. content digest  Content-Digest matches the body (reverse-proxy mode; in auth_request
//                      mode the body is absent: the verified value is handed to the upstream,
//                      which must check it)      content_digest_mismatch
//   6. device          not revoked           device_revoked
//      session         the token's refresh family ("sid") exists and is not revoked (logout,
//                      refresh-token reuse, RFC 7009 revocation)
//                                            session_revoked (401, error="invalid_token")
//   7. route policy    allowed methods, required acr
//                                            method_not_allowed / insufficient_user_authentication
//
// Replay entries are written only after the signatures verified, so unauthenticated traffic
// cannot fill the replay cache.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/crypto/public_key_cache.h"
#include "core/dpop/dpop.h"
#include "core/error.h"
#include "core/httpsig/content_digest.h"
#include "server/config.h"
#include "server/http/message.h"
#include "server/store/store.h"
#include "server/tokens/access_token.h"
#include "server/verify/client_request.h"
#include "server/verify/dpop_nonce.h"
#include "server/verify/replay_cache.h"

namespace ztm::server {

// A signature nonce is client-chosen; 128 random bits need 22 base64url characters, and a
// bound keeps the replay-cache key small.
inline constexpr std::size_t kMaxSignatureNonceBytes = 256;

struct RequestVerifierOptions {
  GatewayMode mode = GatewayMode::kReverseProxy;
  std::int64_t signature_window_seconds = 60;  // max age of RFC 9421 `created`
  std::int64_t dpop_window_seconds = 60;       // max age of DPoP `iat`
  std::int64_t clock_skew_seconds = 5;
  bool require_dpop_nonce = false;
};

// A request that passed the pipeline. Only RequestVerifier creates one. For a public route, or
// a route whose token is optional and absent, authenticated() is false and the identity is
// empty.
class VerifiedRequest {
 public:
  bool authenticated() const { return authenticated_; }
  const std::string& subject() const { return subject_; }
  const std::string& device_id() const { return device_id_; }
  const std::string& acr() const { return acr_; }
  const std::string& jkt() const { return jkt_; }
  const std::string& token_jti() const { return token_jti_; }
  // The token family ("sid") the access token belongs to.
  const std::string& session_id() const { return session_id_; }
  // The Content-Digest value the signature covered, if any. In auth_request mode it was NOT
  // checked against the body (the gateway has none): the upstream must.
  const std::optional<std::string>& content_digest() const { return content_digest_; }
  // Set when the request's body is a stream (reverse-proxy mode): the Content-Digest field
  // parsed, its bytes not yet checked. The caller must pass every piece through it and let
  // no complete body reach the upstream unless Finish() succeeds (see DigestCheckedBody).
  const std::shared_ptr<httpsig::ContentDigestChecker>& streamed_body_check() const {
    return streamed_body_check_;
  }

 private:
  friend class RequestVerifier;
  VerifiedRequest() = default;
  bool authenticated_ = false;
  std::string subject_;
  std::string device_id_;
  std::string acr_;
  std::string jkt_;
  std::string token_jti_;
  std::string session_id_;
  std::optional<std::string> content_digest_;
  std::shared_ptr<httpsig::ContentDigestChecker> streamed_body_check_;
};

// Thread-safe; borrows its collaborators, which must outlive it.
class RequestVerifier {
 public:
  // `nonces` may be null only when options.require_dpop_nonce is false. Fails with
  // kInvalidArgument for windows outside 1..3600 s or a skew outside 0..600 s.
  static Result<std::unique_ptr<RequestVerifier>> Create(
      const AccessTokenService& access_tokens, DeviceStore& devices, TokenFamilyStore& families,
      ReplayCache& replay_cache, const DpopNonceService* nonces, RequestVerifierOptions options);

  // Runs the pipeline for `request`, sent by the client as `client`, under `policy`, at `now`.
  // Fails with the first failing check's code (see the file comment); store failures pass
  // through with their own codes.
  Result<VerifiedRequest> Verify(const http::Request& request, const ClientRequest& client,
                                 const RoutePolicy& policy, std::int64_t now) const;

 private:
  RequestVerifier(const AccessTokenService& access_tokens, DeviceStore& devices,
                  TokenFamilyStore& families, ReplayCache& replay_cache,
                  const DpopNonceService* nonces, RequestVerifierOptions options,
                  dpop::DpopVerifier dpop_verifier)
      : access_tokens_(access_tokens),
        devices_(devices),
        families_(families),
        replay_cache_(replay_cache),
        nonces_(nonces),
        options_(options),
        dpop_verifier_(std::move(dpop_verifier)),
        device_keys_(std::make_unique<crypto::PublicKeyCache>()) {}

  const AccessTokenService& access_tokens_;
  DeviceStore& devices_;
  TokenFamilyStore& families_;
  ReplayCache& replay_cache_;
  const DpopNonceService* nonces_;
  const RequestVerifierOptions options_;
  const dpop::DpopVerifier dpop_verifier_;
  // Device keys parsed once (keyed by their exact bytes), not on every request.
  std::unique_ptr<crypto::PublicKeyCache> device_keys_;
};

// Parses an Authorization field value of the DPoP scheme (RFC 9449 §7.1: "DPoP" 1*SP token68,
// scheme case-insensitive). Fails with kAccessTokenInvalid for another scheme or a value that
// is not a token68.
Result<std::string_view> DpopAccessToken(std::string_view authorization);

}  // namespace ztm::server
