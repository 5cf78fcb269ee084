// The `apple-appattest` attestation format: Apple App Attest (DeviceCheck framework). A key the
// device's Secure Enclave generated is certified by Apple ("credCert", chaining to the Apple App
// Attestation Root CA) for one app (team ID + bundle ID) and one server challenge; later
// requests carry assertions signed by that key with a counter that only grows.
//
// Verification follows Apple's "Validating apps that connect to your server" (attestation
// steps 1–9, assertion steps 1–6), offline, against the configured root.
//
// Wire encoding (registration): the evidence is the attestation object, CBOR
// {"fmt": "apple-appattest", "attStmt": {"x5c": [credCert, intermediates...], "receipt": bstr},
// "authData": bstr}, encoded in standard base64 with padding (RFC 4648 §4). The challenge is
// the gateway's challenge string: the app passes its UTF-8 bytes as the client data, so
// clientDataHash = SHA-256(challenge). The claimed key is the credCert's P-256 key as a JWK.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/crypto/keys.h"
#include "core/jose/jwk.h"
#include "server/attestation/attestation_verifier.h"

namespace ztm::server {

inline constexpr std::string_view kAppAttestFormat = "apple-appattest";

// Largest attestation object accepted: a real one (two certificates and a receipt) is about
// 5–6 KB; 32 KiB leaves room for longer chains and receipts without letting a client make the
// gateway decode megabytes.
inline constexpr std::size_t kMaxAppAttestObjectBytes = 32 * 1024;
// Largest assertion accepted: a DER signature (≤ 72 bytes) and 37 bytes of authenticator data
// in a two-entry map are about 130 bytes.
inline constexpr std::size_t kMaxAppAttestAssertionBytes = 1024;

struct AppAttestOptions {
  // The trust anchor, PEM: the Apple App Attestation Root CA (or a test root).
  std::string root_pem;
  // The app's 10-character Apple team ID and its bundle ID; App ID = team_id + "." + bundle_id.
  std::string team_id;
  std::string bundle_id;
  // Also accept keys from the development environment (AAGUID "appattestdevelop"). Production
  // keys (AAGUID "appattest" followed by seven zero bytes) are always accepted.
  bool allow_development = false;
};

// An assertion that verified: only AppAttestVerifier::VerifyAssertion creates one.
class VerifiedAppAttestAssertion {
 public:
  // The assertion's counter; the caller stores it as the device's new counter.
  std::uint32_t counter() const { return counter_; }

 private:
  friend class AppAttestVerifier;
  explicit VerifiedAppAttestAssertion(std::uint32_t counter) : counter_(counter) {}
  std::uint32_t counter_;
};

// Verifies App Attest attestations (registration) and assertions (later requests) for one app.
// Immutable and thread-safe.
class AppAttestVerifier final : public AttestationVerifier {
 public:
  // Builds a verifier. Fails with kInvalidArgument if root_pem is not exactly one PEM
  // certificate, team_id is not 10 upper-case letters or digits, or bundle_id is empty, longer
  // than 255 characters or holds characters other than letters, digits, '.' and '-'.
  static Result<std::unique_ptr<AppAttestVerifier>> Create(const AppAttestOptions& options);

  std::string_view format() const override { return kAppAttestFormat; }

  // Verifies the base64 attestation object `evidence` for `challenge` at unix time `now`
  // (seconds), and that it attests `claimed_key`. Fails with kAttestationInvalid (malformed or
  // non-strict encoding, chain not valid to the root at `now`, nonce, App ID, counter, AAGUID
  // or key id mismatch) or kAttestationKeyMismatch (a valid attestation of another key).
  // The AttestedDevice's key is the credCert's key; its details name the environment and key id.
  Result<AttestedDevice> Verify(std::string_view evidence, std::string_view challenge,
                                const jose::Jwk& claimed_key, std::int64_t now) const override;

  // Verifies an assertion (the CBOR map {"signature": bstr, "authenticatorData": bstr}, raw
  // bytes) over `client_data` (the exact bytes the app hashed) with the device's stored key
  // and the last counter stored for it. Fails with kAttestationInvalid (malformed, bad
  // signature, other App ID) or kAttestationCounterNotIncreasing when the signature is valid
  // but the counter is not above `stored_counter`: a replayed assertion or a cloned key, which
  // the caller must treat as a security event.
  Result<VerifiedAppAttestAssertion> VerifyAssertion(ByteView assertion_cbor, ByteView client_data,
                                                     const jose::Jwk& stored_public_key,
                                                     std::uint32_t stored_counter) const;

  ~AppAttestVerifier() override;

 private:
  struct Trust;
  AppAttestVerifier(std::shared_ptr<const Trust> trust, Bytes rp_id_hash, bool allow_development,
                    std::string app_id);

  std::shared_ptr<const Trust> trust_;  // the root certificate, as OpenSSL wants it
  const Bytes rp_id_hash_;              // SHA-256(App ID)
  const bool allow_development_;
  const std::string app_id_;
};

}  // namespace ztm::server
