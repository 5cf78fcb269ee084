#include "server/api/token_endpoint.h"

#include <boost/json/object.hpp>

#include "core/json.h"
#include "server/api/errors.h"
#include "server/api/form.h"
#include "server/password.h"
#include "server/verify/client_request.h"

namespace ztm::server {
namespace {

constexpr std::string_view kGrantPassword = "password";
constexpr std::string_view kGrantRefreshToken = "refresh_token";
constexpr std::string_view kGrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";
// RFC 8693 §3 token type identifiers.
constexpr std::string_view kIdTokenType = "urn:ietf:params:oauth:token-type:id_token";
constexpr std::string_view kAccessTokenType = "urn:ietf:params:oauth:token-type:access_token";
// Usernames are short identifiers; a longer value is refused before any lookup.
constexpr std::size_t kMaxUsernameBytes = 255;

Error InvalidRequest(std::string message) {
  return Error{Code::kOAuthInvalidRequest, std::move(message)};
}
Error InvalidGrant(std::string message) {
  return Error{Code::kOAuthInvalidGrant, std::move(message)};
}

// RFC 9449 §4.3 for the token endpoint: a proof for POST <this URL>, no access token, the
// server nonce when configured, its jti unseen.
Result<dpop::VerifiedDpopProof> CheckProof(const GatewayContext& context,
                                           const http::Request& request, std::int64_t now) {
  std::optional<std::string_view> proof;
  for (const auto& [name, value] : request.headers) {
    if (name != "dpop") continue;
    if (proof) return Error{Code::kDpopProofInvalid, "DPoP header is repeated"};
    proof = value;
  }
  if (!proof) return Error{Code::kDpopProofInvalid, "a DPoP proof is required"};
  ZTM_ASSIGN_OR_RETURN(ClientRequest client, ClientRequestOf(request, context.config.mode));
  const std::string htu = client.scheme + "://" + client.authority + client.target;
  auto verified = context.token_dpop.Verify(*proof, client.method, htu, dpop::DpopRequestContext{},
                                            FixedClock(now));
  if (!verified.ok()) {
    if (verified.code() == Code::kDpopNonceRequired ||
        verified.code() == Code::kDpopNonceMismatch) {
      return Error{Code::kUseDpopNonce, "a DPoP nonce from this server is required"};
    }
    return Error{Code::kDpopProofInvalid, verified.error().message};
  }
  if (context.config.verification.require_dpop_nonce &&
      (!verified->nonce() || !context.nonces.Valid(*verified->nonce(), now))) {
    return Error{Code::kUseDpopNonce, "the DPoP nonce is stale or unknown"};
  }
  const std::int64_t expires = std::max(verified->iat(), now) +
                               context.config.verification.dpop_window_seconds +
                               context.config.verification.clock_skew_seconds + 1;
  std::string key = "dpop\x1f" + verified->thumbprint() + "\x1f" + verified->jti();
  auto inserted = context.replay_cache.Insert(key, expires, now);
  if (!inserted.ok()) {
    if (inserted.code() == Code::kRequestReplayed) {
      return Error{Code::kRequestReplayed, "DPoP proof jti was already used"};
    }
    return std::move(inserted).error();
  }
  return verified;
}

// The device named by `device_id`, not revoked, whose key signed the proof (RFC 9449 §5: the
// tokens will be bound to that key).
Result<DeviceRecord> ProvingDevice(const GatewayContext& context, std::string_view device_id,
                                   const dpop::VerifiedDpopProof& proof) {
  ZTM_ASSIGN_OR_RETURN(std::optional<DeviceRecord> device, context.store.FindDevice(device_id));
  if (!device || device->revoked_at) return InvalidGrant("unknown or revoked device");
  if (!ConstantTimeEqual(device->jkt, proof.thumbprint())) {
    return InvalidGrant("the DPoP proof is not signed by this device's key");
  }
  return std::move(*device);
}

// RFC 8693 token exchange: an OIDC ID token of a configured issuer for a ztm session on this
// device. Each ID token is exchanged once.
Result<TokenGrant> TokenExchangeGrant(const GatewayContext& context, const FormParameters& form,
                                      const dpop::VerifiedDpopProof& proof, std::int64_t now) {
  if (context.id_tokens.empty()) {
    return Error{Code::kOAuthUnsupportedGrantType, "no OIDC issuer is configured"};
  }
  ZTM_ASSIGN_OR_RETURN(std::string_view subject_token, form.Required("subject_token"));
  ZTM_ASSIGN_OR_RETURN(std::string_view subject_token_type, form.Required("subject_token_type"));
  ZTM_ASSIGN_OR_RETURN(std::string_view device_id, form.Required("device_id"));
  if (subject_token_type != kIdTokenType) {
    return InvalidRequest("subject_token_type must be " + std::string(kIdTokenType));
  }
  if (auto requested = form.Get("requested_token_type");
      requested && *requested != kAccessTokenType) {
    return InvalidRequest("requested_token_type must be " + std::string(kAccessTokenType));
  }
  ZTM_ASSIGN_OR_RETURN(DeviceRecord device, ProvingDevice(context, device_id, proof));
  ZTM_ASSIGN_OR_RETURN(VerifiedIdToken id_token, context.id_tokens.Verify(subject_token, now));
  // Remembered until it expires: after that the issuer check refuses it anyway.
  const std::int64_t expires =
      std::max(id_token.expires_at(), now) + context.config.verification.clock_skew_seconds + 1;
  auto inserted = context.replay_cache.Insert("idt\x1f" + std::string(subject_token), expires, now);
  if (!inserted.ok()) {
    if (inserted.code() == Code::kRequestReplayed) {
      return InvalidGrant("this ID token was already exchanged");
    }
    return std::move(inserted).error();
  }
  return context.tokens.StartSession(id_token.ztm_subject(), device, std::string(kFederatedAcr),
                                     id_token.auth_time(), now);
}

Result<TokenGrant> PasswordGrant(const GatewayContext& context, const FormParameters& form,
                                 const dpop::VerifiedDpopProof& proof, std::int64_t now) {
  ZTM_ASSIGN_OR_RETURN(std::string_view username, form.Required("username"));
  ZTM_ASSIGN_OR_RETURN(std::string_view password, form.Required("password"));
  ZTM_ASSIGN_OR_RETURN(std::string_view device_id, form.Required("device_id"));
  if (username.size() > kMaxUsernameBytes) return InvalidGrant("invalid username or password");
  // Online guessing: failures are counted per username and per device (an IP limit alone
  // does not stop a botnet); past the limit no password is checked at all.
  const std::string user_key = "user\x1f" + std::string(username);
  const std::string device_key = "device\x1f" + std::string(device_id);
  if (!context.login_failures.WouldAllow(user_key) ||
      !context.login_failures.WouldAllow(device_key)) {
    return Error{Code::kRateLimited, "too many failed logins; retry later"};
  }
  auto failed = [&] {
    (void)context.login_failures.Allow(user_key);
    (void)context.login_failures.Allow(device_key);
    return InvalidGrant("invalid username or password");
  };

  // The device first: it costs a lookup, where the password costs an Argon2id computation.
  ZTM_ASSIGN_OR_RETURN(DeviceRecord device, ProvingDevice(context, device_id, proof));

  ZTM_ASSIGN_OR_RETURN(std::optional<UserRecord> user, context.store.FindUser(username));
  const Secret secret(AsBytes(password));
  if (!user) {
    // Same cost as a wrong password, so timing does not reveal which users exist.
    VerifyPasswordForUnknownUser();
    return failed();
  }
  if (!VerifyPassword(secret, user->password_hash)) return failed();
  return context.tokens.StartSession(user->username, device, std::string(kPasswordAcr), now, now);
}

http::Response GrantResponse(const GatewayContext& context, const TokenGrant& grant,
                             std::int64_t now, bool exchange) {
  boost::json::object body;
  body["access_token"] = grant.access_token;
  body["token_type"] = "DPoP";  // RFC 9449 §5
  body["expires_in"] = grant.expires_in;
  body["refresh_token"] = grant.refresh_token;
  if (exchange) body["issued_token_type"] = kAccessTokenType;  // RFC 8693 §2.2.1
  http::Response response = http::Response::Json(200, json::Serialize(body));
  response.headers.emplace_back("pragma", "no-cache");
  if (context.config.verification.require_dpop_nonce) {
    response.headers.emplace_back("dpop-nonce", context.nonces.Issue(now));
  }
  return response;
}

Result<FormParameters> ParseFormRequest(const http::Request& request) {
  const std::optional<std::string_view> content_type = request.Header("content-type");
  if (!content_type || !IsFormContentType(*content_type)) {
    return InvalidRequest("Content-Type must be application/x-www-form-urlencoded");
  }
  return FormParameters::Parse(request.body);
}

}  // namespace

http::Response HandleToken(const GatewayContext& context, const http::Request& request) {
  const std::int64_t now = context.clock.NowSeconds();
  auto fail = [&](const Error& error, std::string_view device_id) {
    if (IsInternalError(error.code)) {
      context.logger.Error(
          "token endpoint failed",
          {{"code", CodeName(error.code)}, {"detail", SanitizeDescription(error.message)}});
    } else {
      context.metrics.verification_failures->Increment({FailureReason(error.code)});
      context.AuditFailure(error.code, request.peer_address, device_id);
    }
    return OAuthErrorResponse(error, context.nonces.Issue(now));
  };
  auto form = ParseFormRequest(request);
  if (!form.ok()) return fail(form.error(), "");
  auto grant_type = form->Required("grant_type");
  if (!grant_type.ok()) return fail(grant_type.error(), "");
  if (*grant_type != kGrantPassword && *grant_type != kGrantRefreshToken &&
      *grant_type != kGrantTokenExchange) {
    return fail(Error{Code::kOAuthUnsupportedGrantType, "grant_type is not supported"}, "");
  }
  auto proof = CheckProof(context, request, now);
  if (!proof.ok()) return fail(proof.error(), "");

  Result<TokenGrant> grant = Error{Code::kInternal, "no grant"};
  if (*grant_type == kGrantPassword) {
    grant = PasswordGrant(context, *form, *proof, now);
  } else if (*grant_type == kGrantTokenExchange) {
    grant = TokenExchangeGrant(context, *form, *proof, now);
  } else {
    auto refresh_token = form->Required("refresh_token");
    if (!refresh_token.ok()) return fail(refresh_token.error(), "");
    grant = context.tokens.Refresh(*refresh_token, proof->thumbprint(), now);
  }
  if (!grant.ok()) return fail(grant.error(), form->Get("device_id").value_or(""));
  context.metrics.tokens_issued->Increment(
      {*grant_type == kGrantTokenExchange ? std::string_view("token_exchange") : *grant_type});
  return GrantResponse(context, *grant, now, *grant_type == kGrantTokenExchange);
}

http::Response HandleRevoke(const GatewayContext& context, const http::Request& request) {
  const std::int64_t now = context.clock.NowSeconds();
  auto form = ParseFormRequest(request);
  if (!form.ok()) return OAuthErrorResponse(form.error(), "");
  auto token = form->Required("token");
  if (!token.ok()) return OAuthErrorResponse(token.error(), "");
  auto revoked = context.tokens.RevokeByRefreshToken(*token, now);
  if (!revoked.ok()) {
    context.logger.Error("revocation failed", {{"code", CodeName(revoked.code())}});
    return OAuthErrorResponse(revoked.error(), "");
  }
  // RFC 7009 §2.2: 200 whether or not the token was valid; the body is ignored by clients.
  http::Response response = http::Response::Json(200, "{}");
  return response;
}

}  // namespace ztm::server
