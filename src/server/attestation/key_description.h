// Android Key Attestation KeyDescription (extension 1.3.6.1.4.1.11129.2.1.17 of the attested
// key's certificate): a strict DER parser over OpenSSL's ASN.1 primitives. It reads the fields
// the gateway's policy needs and skips every other AuthorizationList entry by its tag. Schema:
// https://source.android.com/docs/security/features/keystore/attestation#schema
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"

namespace ztm::server::android {

// The OID of the KeyDescription certificate extension.
inline constexpr char kKeyDescriptionOid[] = "1.3.6.1.4.1.11129.2.1.17";

// Largest KeyDescription accepted: real ones are under 2 KiB (a few hundred bytes of
// authorizations plus up to ~1 KiB of attestationApplicationId); 64 KiB bounds a hostile one.
inline constexpr std::size_t kMaxKeyDescriptionBytes = 64 * 1024;
// Most packages / signature digests accepted in an attestationApplicationId: Android lists every
// package sharing the app's UID (the system UID has a few dozen); 1024 bounds the work.
inline constexpr std::size_t kMaxApplicationIdEntries = 1024;

// SecurityLevel ::= ENUMERATED.
enum class SecurityLevel { kSoftware = 0, kTrustedEnvironment = 1, kStrongBox = 2 };
// VerifiedBootState ::= ENUMERATED.
enum class VerifiedBootState { kVerified = 0, kSelfSigned = 1, kUnverified = 2, kFailed = 3 };

// RootOfTrust ::= SEQUENCE (authorization tag [704]).
struct RootOfTrust {
  Bytes verified_boot_key;
  bool device_locked = false;
  VerifiedBootState verified_boot_state = VerifiedBootState::kFailed;
  std::optional<Bytes> verified_boot_hash;  // attestation version 3 and later
};

// AttestationPackageInfo ::= SEQUENCE { package_name OCTET STRING, version INTEGER }.
struct PackageInfo {
  std::string name;
  std::int64_t version = 0;
};

// AttestationApplicationId ::= SEQUENCE { package_infos SET OF AttestationPackageInfo,
// signature_digests SET OF OCTET STRING } (DER inside the [709] OCTET STRING).
struct AttestationApplicationId {
  std::vector<PackageInfo> packages;
  std::vector<Bytes> signature_digests;  // SHA-256 of each signing certificate
};

// The entries of one AuthorizationList the gateway's policy reads; others are skipped.
struct AuthorizationList {
  std::optional<RootOfTrust> root_of_trust;                            // [704]
  std::optional<std::int64_t> os_patch_level;                          // [706], YYYYMM
  std::optional<AttestationApplicationId> attestation_application_id;  // [709]
};

// KeyDescription ::= SEQUENCE.
struct KeyDescription {
  std::int64_t attestation_version = 0;
  SecurityLevel attestation_security_level = SecurityLevel::kSoftware;
  std::int64_t keymint_version = 0;  // keymasterVersion before KeyMint
  SecurityLevel keymint_security_level = SecurityLevel::kSoftware;
  Bytes attestation_challenge;
  Bytes unique_id;
  AuthorizationList software_enforced;
  AuthorizationList hardware_enforced;  // "teeEnforced" in older schemas
};

// Parses a DER KeyDescription (the extension's OCTET STRING contents). Strict: DER only (minimal
// lengths and integers, no indefinite lengths, BOOLEAN as 0x00/0xFF), no trailing bytes at any
// level, AuthorizationList tags strictly ascending (no duplicates), every element inside its
// parent's bounds. Fails with kAttestationInvalid. Safe on any input (fuzz entry point).
Result<KeyDescription> ParseKeyDescription(ByteView der);

// Parses the DER AttestationApplicationId carried in AuthorizationList tag [709]. Same rules and
// error as ParseKeyDescription.
Result<AttestationApplicationId> ParseAttestationApplicationId(ByteView der);

}  // namespace ztm::server::android
