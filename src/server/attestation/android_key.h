// The `android-key` attestation format: Android Key Attestation. The device sends the
// certificate chain of its attested key; the gateway checks that the chain ends in a configured
// Google hardware attestation root, that no certificate is revoked, and that the leaf's
// KeyDescription extension binds the key to this server challenge, to hardware-backed storage, to
// a verified and locked device and to the configured app.
// https://developer.android.com/privacy-and-security/security-key-attestation
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/x509.h>

#include "server/attestation/attestation_verifier.h"
#include "server/attestation/key_description.h"

namespace ztm::server {

inline constexpr std::string_view kAndroidKeyFormat = "android-key";

// Largest evidence document accepted: a 5-certificate RKP chain with an RSA-4096 root is about
// 8 KiB of base64; 64 KiB leaves room for longer chains and bounds a hostile one.
inline constexpr std::size_t kMaxAndroidKeyEvidenceBytes = 64 * 1024;
// Most certificates in "x5c": real chains have 3 (factory, older) to 5 (RKP); 10 bounds the
// path-building work.
inline constexpr std::size_t kMaxAndroidKeyChainLength = 10;

// Policy for the android-key format. Every check is on: there is no way to skip one.
struct AndroidKeyOptions {
  // One or more PEM certificates (concatenated): Google's hardware attestation roots. A chain is
  // trusted when its last certificate carries the public key of one of them (Google re-issued
  // its RSA root with other dates; the key is the anchor, not the certificate).
  std::string roots_pem;
  // Serial numbers (lowercase hex, no leading zeros) of revoked or suspended attestation
  // certificates, e.g. from ParseRevocationStatusList.
  std::set<std::string> revoked_serials;
  // The weakest accepted attestation and KeyMint security level: kTrustedEnvironment accepts TEE
  // and StrongBox, kStrongBox only StrongBox. kSoftware is refused by Create.
  android::SecurityLevel required_security_level = android::SecurityLevel::kTrustedEnvironment;
  // The app's package name, as in attestationApplicationId.
  std::string package_name;
  // SHA-256 digests (hex) of the app's signing certificates; the attested app must be signed by
  // at least one of them.
  std::vector<std::string> signing_cert_digests;
  // Minimum hardware-enforced osPatchLevel, YYYYMM (e.g. 202401). 0 sets no minimum, and the
  // entry may then be absent (keys attested by Keymaster 2 and earlier have none).
  std::int64_t min_os_patch_level = 0;
};

// Reads Google's attestation status list ({"entries": {"<serial hex>": {"status": ...}}}) and
// returns every listed serial (REVOKED and SUSPENDED alike), normalised to lowercase hex without
// leading zeros. Fails with kInvalidArgument for a malformed document.
Result<std::set<std::string>> ParseRevocationStatusList(std::string_view json);

// Verifies Android Key Attestation evidence: JSON {"x5c": [base64 DER leaf, ..., root]}.
// Immutable and thread-safe. Accepts only if the chain is valid at `now` up to a configured
// root, no certificate is revoked, and the leaf's KeyDescription has attestationChallenge equal
// to the challenge, attestation and KeyMint security level at least the required one, a
// hardware-enforced RootOfTrust with verifiedBootState Verified and deviceLocked true, a
// hardware-enforced osPatchLevel at least the minimum, and an attestationApplicationId naming the
// package with a matching signing-certificate digest. The leaf's public key must be the claimed
// device key (kAttestationKeyMismatch otherwise); every other failure is kAttestationInvalid.
class AndroidKeyVerifier final : public AttestationVerifier {
 public:
  // Validates `options` (at least one root certificate, a non-hardware security level refused,
  // a package name, at least one 32-byte hex digest). Fails with kInvalidArgument.
  static Result<std::unique_ptr<AndroidKeyVerifier>> Create(AndroidKeyOptions options);

  std::string_view format() const override { return kAndroidKeyFormat; }

  Result<AttestedDevice> Verify(std::string_view evidence, std::string_view challenge,
                                const jose::Jwk& claimed_key, std::int64_t now) const override;

 private:
  AndroidKeyVerifier() = default;

  std::vector<std::shared_ptr<X509>> roots_;
  std::set<std::string> revoked_serials_;
  android::SecurityLevel required_security_level_ = android::SecurityLevel::kTrustedEnvironment;
  std::string package_name_;
  std::vector<Bytes> signing_cert_digests_;
  std::int64_t min_os_patch_level_ = 0;
};

}  // namespace ztm::server
