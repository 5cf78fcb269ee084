// Password hashing for the gateway's own user store (grant_type=password, `ztm users add`):
// Argon2id through libsodium, with a bound on how many hashes run at once (each one holds
// tens of MiB) and a constant-cost path for unknown users so that response time does not
// reveal which usernames exist.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace ztm::server {

// NIST SP 800-63B §5.1.1.2: memorized secrets are at least 8 characters. Counted in Unicode
// code points (UTF-8 continuation bytes are not counted), so "pässwörd" has 8.
inline constexpr std::size_t kMinPasswordCharacters = 8;
// NIST SP 800-63B §5.1.1.2 asks verifiers to accept at least 64 characters; 1024 bytes is
// well past any passphrase and bounds the work an unauthenticated client can ask for.
inline constexpr std::size_t kMaxPasswordBytes = 1024;
// Each Argon2id computation holds kPasswordMemoryBytes; at most this many run at once, so 64
// parallel logins on a small box queue instead of allocating 4 GiB (4 × 64 MiB = 256 MiB).
inline constexpr int kMaxConcurrentPasswordHashes = 4;

// The Argon2id cost of new hashes: libsodium's INTERACTIVE level, t = 2 passes over 64 MiB
// (p = 1), above OWASP's Argon2id minimum of m = 19 MiB, t = 2, p = 1. Stored hashes carry
// their own parameters, so raising these later re-hashes nothing and breaks nothing.
inline constexpr unsigned long long kPasswordOpsLimit = 2;
inline constexpr std::size_t kPasswordMemoryBytes = 64u * 1024 * 1024;

// Checks the password policy: at least kMinPasswordCharacters, at most kMaxPasswordBytes,
// no NUL byte. Fails with kInvalidArgument (too short, NUL) or kInputTooLarge.
Status CheckPasswordPolicy(const Secret& password);

// HashPassword returns the libsodium encoded Argon2id string ("$argon2id$v=19$m=65536,t=2,
// p=1$<salt>$<hash>") of `password`, with a fresh random salt. Fails as CheckPasswordPolicy
// does, or with kInternal if the hash cannot be computed (out of memory). Blocks while
// kMaxConcurrentPasswordHashes other hashes are running.
Result<std::string> HashPassword(const Secret& password);

// VerifyPassword returns true if `password` matches `encoded_hash` (constant time in the
// comparison, libsodium's). Returns false for a password outside the policy bounds and for an
// encoded hash that is not Argon2id or asks for more than kMaxVerifyMemoryBytes or
// kMaxVerifyOpsLimit (a hash is data read from a file: it must not make a login allocate
// gigabytes). Blocks like HashPassword.
[[nodiscard]] bool VerifyPassword(const Secret& password, std::string_view encoded_hash);

// VerifyPasswordForUnknownUser spends the time VerifyPassword would (one Argon2id
// computation with the current parameters, against a fixed dummy hash, through the same
// concurrency bound), so a login for a username that does not exist takes as long as one with
// a wrong password. Call it instead of returning early.
void VerifyPasswordForUnknownUser();

// Bounds on the parameters of an encoded hash VerifyPassword accepts: 4× the memory and 8×
// the passes of new hashes, so parameters can be raised later, but a planted hash cannot ask a
// login for gigabytes or minutes.
inline constexpr std::size_t kMaxVerifyMemoryBytes = 4 * kPasswordMemoryBytes;
inline constexpr unsigned long long kMaxVerifyOpsLimit = 8 * kPasswordOpsLimit;

// PeakConcurrentPasswordHashes returns the largest number of Argon2id computations that ran at
// the same time in this process (never above kMaxConcurrentPasswordHashes); for tests and
// metrics.
int PeakConcurrentPasswordHashes();

}  // namespace ztm::server
