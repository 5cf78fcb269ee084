// The C ABI's attestation callback (ztm_options_set_attestation_provider) as the C++
// ztm::AttestationProvider. The callback is foreign code: what it hands back through
// ztm_attestation_set is checked there, a status it returns is mapped back to a Code, and an
// exception or an answer without evidence fails the registration instead of being trusted.
#pragma once

#include <cstddef>
#include <string>

#include "ztm/client.h"
#include "ztm/ztm.h"

// What one callback invocation produced; filled only by ztm_attestation_set.
struct ztm_attestation_out {
  std::string format;
  std::string evidence;
  bool set = false;
};

namespace ztm::client {

// The bounds of ztm.h, as named constants for the C++ side.
// A format is a short token naming a gateway verifier ("apple-appattest").
inline constexpr std::size_t kMaxAttestationFormatBytes = ZTM_ATTESTATION_MAX_FORMAT_BYTES;
// An App Attest attestation object is ~5 KB (~7 KB in base64), an Android Key Attestation
// chain a few KB: 64 KiB holds any of them and keeps a runaway callback from bloating the
// registration request.
inline constexpr std::size_t kMaxAttestationEvidenceBytes = ZTM_ATTESTATION_MAX_EVIDENCE_BYTES;

// The message of a registration failed by the callback's own non-OK status.
inline constexpr char kAttestationProviderFailed[] = "the platform attestation provider failed";

// MakeCallbackAttestationProvider wraps `callback` (not NULL) and takes `ctx`: the provider
// and all its copies share one owner that calls `release(ctx)` (if not NULL) once, when the
// last copy is destroyed. The provider fails with the Code of the callback's status
// (CodeOf) and kAttestationProviderFailed, with kInvalidArgument if the callback answered
// ZTM_OK without calling ztm_attestation_set, and with kInternal if it threw.
AttestationProvider MakeCallbackAttestationProvider(ztm_attestation_callback callback, void* ctx,
                                                    void (*release)(void* ctx));

}  // namespace ztm::client
