// Device attestation: evidence that a device key was created by (and lives in) a genuine device
// and app, checked once at registration. Each evidence format (ztm's `software` format here;
// Apple App Attest, Android Key Attestation and Play Integrity later) is one AttestationVerifier
// behind the same interface, found by its format name in an AttestationRegistry.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/crypto/keys.h"
#include "core/error.h"
#include "core/jose/jwk.h"

namespace ztm::server {

// What a verifier established about a device. Only verifiers construct one (through
// AttestationVerifier::Attested), so holding one means a verifier accepted the evidence.
class AttestedDevice {
 public:
  // The device key the evidence attests: the key the device registers.
  const jose::Jwk& public_key() const { return public_key_; }
  // The format name, e.g. "software".
  const std::string& format() const { return format_; }
  // A short human-readable summary for the audit log (never secret), e.g. the app id.
  const std::string& details() const { return details_; }

 private:
  friend class AttestationVerifier;
  AttestedDevice(jose::Jwk public_key, std::string format, std::string details)
      : public_key_(std::move(public_key)),
        format_(std::move(format)),
        details_(std::move(details)) {}
  jose::Jwk public_key_;
  std::string format_;
  std::string details_;
};

// Checks one evidence format. Implementations are immutable and thread-safe.
class AttestationVerifier {
 public:
  virtual ~AttestationVerifier() = default;

  // The format name clients send in "attestation"."format".
  virtual std::string_view format() const = 0;

  // Checks `evidence` (the format's encoding, as sent) against the server `challenge` the
  // client answered (already consumed from the challenge store by the caller) and the public
  // key the client claims (`claimed_key`). Succeeds only if the evidence proves that key and
  // is bound to this challenge. Fails with kAttestationFormatDisabled (the format is not
  // allowed by configuration), kAttestationInvalid (malformed evidence, bad signature, wrong
  // challenge) or kAttestationKeyMismatch (the evidence attests another key).
  virtual Result<AttestedDevice> Verify(std::string_view evidence, std::string_view challenge,
                                        const jose::Jwk& claimed_key, std::int64_t now) const = 0;

 protected:
  static AttestedDevice Attested(jose::Jwk key, std::string format, std::string details) {
    return AttestedDevice(std::move(key), std::move(format), std::move(details));
  }
};

// The verifiers the gateway knows, by format name. Immutable once built; thread-safe to read.
class AttestationRegistry {
 public:
  // Adds `verifier` under its format name. Fails with kInvalidArgument for a duplicate name.
  Status Add(std::unique_ptr<AttestationVerifier> verifier);

  // The verifier for `format`, or kAttestationFormatUnsupported.
  Result<const AttestationVerifier*> Find(std::string_view format) const;

 private:
  std::map<std::string, std::unique_ptr<AttestationVerifier>, std::less<>> verifiers_;
};

}  // namespace ztm::server
