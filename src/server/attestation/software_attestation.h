// The `software` attestation format: the device signs the server's challenge with the key it
// registers. It proves possession of the key and freshness, nothing about the device or app
// (the key may live in a file, an emulator or an attacker's script), so it is for development,
// tests and desktop clients, and only where `attestation.allow_software` says so.
//
// Evidence: a JWS Compact Serialization (RFC 7515) signed by the registered key, ES256 for a
// P-256 key or EdDSA for an Ed25519 key, whose payload is the JSON object
// {"challenge":"<the challenge, as issued>"}. Other payload members and header members are
// ignored.
#pragma once

#include <memory>
#include <string_view>

#include "server/attestation/attestation_verifier.h"

namespace ztm::server {

inline constexpr std::string_view kSoftwareAttestationFormat = "software";

class SoftwareAttestationVerifier final : public AttestationVerifier {
 public:
  // `allowed`: attestation.allow_software. A disallowed verifier stays registered so that a
  // client using the format gets kAttestationFormatDisabled, not "unsupported format".
  static std::unique_ptr<SoftwareAttestationVerifier> Create(bool allowed);

  std::string_view format() const override { return kSoftwareAttestationFormat; }

  // Fails with kAttestationFormatDisabled when not allowed; kAttestationInvalid for a claimed
  // key that is not a public EC P-256 or Ed25519 key, evidence that is not a compact JWS with
  // the algorithm of that key, a payload without a string "challenge", or a challenge other
  // than `challenge`; kAttestationKeyMismatch when the signature does not verify under the
  // claimed key (the evidence was signed by another key, or altered).
  Result<AttestedDevice> Verify(std::string_view evidence, std::string_view challenge,
                                const jose::Jwk& claimed_key, std::int64_t now) const override;

 private:
  explicit SoftwareAttestationVerifier(bool allowed) : allowed_(allowed) {}
  const bool allowed_;
};

}  // namespace ztm::server
