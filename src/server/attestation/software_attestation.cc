#include "server/attestation/software_attestation.h"

#include <boost/json/object.hpp>

#include "core/bytes.h"
#include "core/jose/jws.h"
#include "core/json.h"

namespace ztm::server {
namespace {

Error Invalid(std::string message) {
  return Error{Code::kAttestationInvalid, "software attestation: " + std::move(message)};
}

}  // namespace

std::unique_ptr<SoftwareAttestationVerifier> SoftwareAttestationVerifier::Create(bool allowed) {
  return std::unique_ptr<SoftwareAttestationVerifier>(new SoftwareAttestationVerifier(allowed));
}

Result<AttestedDevice> SoftwareAttestationVerifier::Verify(std::string_view evidence,
                                                           std::string_view challenge,
                                                           const jose::Jwk& claimed_key,
                                                           std::int64_t /*now*/) const {
  if (!allowed_) {
    return Error{Code::kAttestationFormatDisabled,
                 "attestation format \"software\" is not allowed by this gateway "
                 "(attestation.allow_software is false)"};
  }
  if (claimed_key.is_private() || claimed_key.public_key() == nullptr) {
    return Invalid("the device key must be a public EC P-256 or Ed25519 key");
  }
  // The algorithm follows from the registered key, never from the evidence's header.
  const jose::JwsAlgorithm algorithm = claimed_key.key_type() == jose::JwkKeyType::kEcP256
                                           ? jose::JwsAlgorithm::kEs256
                                           : jose::JwsAlgorithm::kEdDsa;
  auto verifier = jose::JwsVerifier::Create({algorithm}, claimed_key);
  if (!verifier.ok()) return Invalid("the device key cannot verify signatures");
  auto jws = verifier->Verify(evidence);
  if (!jws.ok()) {
    if (jws.code() == Code::kJwsSignatureInvalid) {
      return Error{Code::kAttestationKeyMismatch,
                   "software attestation: evidence is not signed by the registered key"};
    }
    return Invalid("evidence is not a valid JWS: " + jws.error().message);
  }
  auto payload = json::ParseObject(jws->payload_text());
  if (!payload.ok()) return Invalid("payload is not a JSON object");
  auto signed_challenge = json::GetString(*payload, "challenge");
  if (!signed_challenge.ok() || !signed_challenge->has_value()) {
    return Invalid("payload has no \"challenge\" string");
  }
  if (!ConstantTimeEqual(**signed_challenge, challenge)) {
    return Invalid("evidence answers another challenge");
  }
  return Attested(claimed_key, std::string(kSoftwareAttestationFormat),
                  claimed_key.key_type() == jose::JwkKeyType::kEcP256 ? "software key, P-256"
                                                                      : "software key, Ed25519");
}

}  // namespace ztm::server
