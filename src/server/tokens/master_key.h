// The gateway's master key: 32 random bytes in a file of their own, from which every other
// gateway secret is sealed or derived (token-signing keys are sealed with it; the refresh-token
// successor key and the DPoP nonce key are HKDF outputs of it). Whoever reads this file can
// mint tokens, so it must be readable by the gateway's user only.
#pragma once

#include <cstddef>
#include <string>

#include "core/bytes.h"
#include "core/error.h"

namespace ztm::server {

// AES-256 needs 32 bytes, and 256 bits is also HKDF-SHA-256's full strength.
inline constexpr std::size_t kMasterKeyBytes = 32;

// Reads the master key at `path`. Fails with kMasterKeyInvalid if the file is missing, not a
// regular file, readable or writable by group or others (mode & 077), or not exactly
// kMasterKeyBytes long. The error names the path and the reason, never the content.
Result<Secret> LoadMasterKey(const std::string& path);

// Like LoadMasterKey, but first creates the file with kMasterKeyBytes from the CSPRNG and mode
// 0600 if it does not exist (O_EXCL: a concurrent creator makes one of the two read the
// other's key rather than overwrite it).
Result<Secret> LoadOrCreateMasterKey(const std::string& path);

}  // namespace ztm::server
