#include "server/api/registration.h"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "core/jose/jwk.h"
#include "core/json.h"
#include "server/api/errors.h"
#include "server/api/form.h"

namespace ztm::server {
namespace {

// 128 random bits: device ids are not secret but must not collide or be guessable.
constexpr std::size_t kDeviceIdBytes = 16;

Error Invalid(std::string message) { return Error{Code::kOAuthInvalidRequest, std::move(message)}; }

Result<std::string> StringMember(const boost::json::object& object, std::string_view name) {
  auto value = json::GetString(object, name);
  if (!value.ok() || !value->has_value() || (*value)->empty()) {
    return Invalid("\"" + std::string(name) + "\" must be a non-empty string");
  }
  return std::move(**value);
}

Result<const boost::json::object*> ObjectMember(const boost::json::object& object,
                                                std::string_view name) {
  const boost::json::value* value = object.if_contains(name);
  if (value == nullptr || !value->is_object()) {
    return Invalid("\"" + std::string(name) + "\" must be a JSON object");
  }
  return &value->get_object();
}

Result<std::string> RegisterDevice(const GatewayContext& context, const http::Request& request) {
  const std::optional<std::string_view> content_type = request.Header("content-type");
  if (!content_type || !IsJsonContentType(*content_type)) {
    return Invalid("Content-Type must be application/json");
  }
  auto body = json::ParseObject(request.body);
  if (!body.ok()) return Invalid("body is not a JSON object: " + body.error().message);
  ZTM_ASSIGN_OR_RETURN(const boost::json::object* jwk_object, ObjectMember(*body, "public_jwk"));
  ZTM_ASSIGN_OR_RETURN(const boost::json::object* attestation, ObjectMember(*body, "attestation"));
  ZTM_ASSIGN_OR_RETURN(std::string challenge, StringMember(*body, "challenge"));
  ZTM_ASSIGN_OR_RETURN(std::string format, StringMember(*attestation, "format"));
  ZTM_ASSIGN_OR_RETURN(std::string evidence, StringMember(*attestation, "evidence"));

  auto public_key = jose::ParsePublicJwk(*jwk_object);
  if (!public_key.ok()) return Invalid("public_jwk: " + public_key.error().message);
  ZTM_ASSIGN_OR_RETURN(const AttestationVerifier* verifier, context.attestation.Find(format));

  // The challenge is consumed before any attestation work: no valid challenge, no work, and a
  // challenge answers one registration attempt whatever its outcome.
  const std::int64_t now = context.clock.NowSeconds();
  ZTM_ASSIGN_OR_RETURN(bool fresh, context.store.ConsumeChallenge(crypto::Sha256(challenge), now));
  if (!fresh) {
    return Error{Code::kChallengeInvalid, "challenge is unknown, expired or already used"};
  }
  ZTM_ASSIGN_OR_RETURN(AttestedDevice attested,
                       verifier->Verify(evidence, challenge, *public_key, now));

  DeviceRecord device;
  // Draw again when the id would start with '-' (1 in 64): operators pass ids to the `ztm`
  // command line, where a leading '-' reads as an option.
  do {
    device.device_id = Base64UrlEncode(crypto::RandomBytes(kDeviceIdBytes));
  } while (device.device_id.front() == '-');
  ZTM_ASSIGN_OR_RETURN(boost::json::object stored_jwk, attested.public_key().ToPublicObject());
  device.public_jwk = json::Serialize(stored_jwk);
  device.jkt = attested.public_key().Thumbprint();
  device.attestation_format = attested.format();
  device.registered_at = now;
  ZTM_RETURN_IF_ERROR(context.store.InsertDevice(device));
  context.Audit("device_registered", "", device.device_id,
                attested.details() + "; jkt=" + device.jkt);
  return device.device_id;
}

}  // namespace

http::Response HandleChallenge(const GatewayContext& context, const http::Request& /*request*/) {
  const std::string challenge = Base64UrlEncode(crypto::RandomBytes(kChallengeBytes));
  const std::int64_t ttl = context.config.attestation.challenge_ttl_seconds;
  auto stored =
      context.store.PutChallenge(crypto::Sha256(challenge), context.clock.NowSeconds() + ttl);
  if (!stored.ok()) {
    context.logger.Error("challenge not stored", {{"code", CodeName(stored.code())}});
    return RegistrationErrorResponse(stored.error());
  }
  boost::json::object body;
  body["challenge"] = challenge;
  body["expires_in"] = ttl;
  return http::Response::Json(200, json::Serialize(body));
}

http::Response HandleRegisterDevice(const GatewayContext& context, const http::Request& request) {
  auto registered = RegisterDevice(context, request);
  if (!registered.ok()) {
    if (IsInternalError(registered.code()) && registered.code() != Code::kStoreConflict) {
      context.logger.Error("device registration failed",
                           {{"code", CodeName(registered.code())},
                            {"detail", SanitizeDescription(registered.error().message)}});
    } else {
      context.AuditFailure(registered.code(), request.peer_address, "");
    }
    return RegistrationErrorResponse(registered.error());
  }
  boost::json::object body;
  body["device_id"] = *registered;
  return http::Response::Json(201, json::Serialize(body));
}

}  // namespace ztm::server
