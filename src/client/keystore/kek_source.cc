// Key-encryption-key sources: raw, Argon2id passphrase (libsodium), Linux kernel keyring
// (libkeyutils).
#include "client/keystore/kek_source.h"

#include <keyutils.h>
#include <sodium.h>

#include <cerrno>
#include <cstring>

#include "core/crypto/crypto.h"

namespace ztm::client {
namespace {

// Passphrase parameters: salt || passes (u32 big-endian) || memory KiB (u32 big-endian).
constexpr std::size_t kPassphraseParametersBytes = kArgon2SaltBytes + 4 + 4;

void PutU32(Bytes& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(value >> shift));
}

std::uint32_t GetU32(ByteView in) {
  return (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16) | (std::uint32_t{in[2]} << 8) |
         std::uint32_t{in[3]};
}

bool CostInBounds(const Argon2Cost& cost) {
  return cost.passes >= kMinArgon2Cost.passes && cost.passes <= kMaxArgon2Cost.passes &&
         cost.memory_kib >= kMinArgon2Cost.memory_kib &&
         cost.memory_kib <= kMaxArgon2Cost.memory_kib;
}

key_serial_t KeyringId(KernelKeyring keyring) {
  return keyring == KernelKeyring::kUser ? KEY_SPEC_USER_KEYRING : KEY_SPEC_SESSION_KEYRING;
}

Error KeyringError(std::string_view what) {
  return Error{Code::kKekUnavailable,
               "kernel keyring: " + std::string(what) + ": " + std::strerror(errno)};
}

}  // namespace

Result<std::unique_ptr<RawKek>> RawKek::Create(Secret key) {
  if (key.size() != kKekBytes) {
    return Error{Code::kInvalidArgument, "a raw key-encryption key is 32 bytes"};
  }
  return std::unique_ptr<RawKek>(new RawKek(std::move(key)));
}

Result<Secret> RawKek::Unlock(ByteView parameters) {
  if (!parameters.empty()) {
    return Error{Code::kVaultCorrupt, "key store metadata: unexpected raw-key parameters"};
  }
  return key_;
}

Result<std::unique_ptr<PassphraseKek>> PassphraseKek::Create(Secret passphrase, Argon2Cost cost) {
  if (passphrase.size() < kMinPassphraseBytes) {
    return Error{Code::kInvalidArgument, "a passphrase has at least 8 bytes"};
  }
  if (passphrase.size() > kMaxPassphraseBytes) {
    return Error{Code::kInvalidArgument, "a passphrase has at most 1024 bytes"};
  }
  for (std::uint8_t byte : passphrase.view()) {
    if (byte == 0) return Error{Code::kInvalidArgument, "a passphrase cannot contain NUL"};
  }
  if (!CostInBounds(cost)) {
    return Error{Code::kInvalidArgument, "Argon2id cost outside the allowed bounds"};
  }
  return std::unique_ptr<PassphraseKek>(new PassphraseKek(std::move(passphrase), cost));
}

Result<Bytes> PassphraseKek::NewParameters() {
  Bytes parameters = crypto::RandomBytes(kArgon2SaltBytes);
  PutU32(parameters, cost_.passes);
  PutU32(parameters, cost_.memory_kib);
  return parameters;
}

Result<Secret> PassphraseKek::Unlock(ByteView parameters) {
  if (parameters.size() != kPassphraseParametersBytes) {
    return Error{Code::kVaultCorrupt, "key store metadata: malformed passphrase parameters"};
  }
  const Argon2Cost recorded{GetU32(parameters.subspan(kArgon2SaltBytes, 4)),
                            GetU32(parameters.subspan(kArgon2SaltBytes + 4, 4))};
  if (!CostInBounds(recorded)) {
    return Error{Code::kVaultCorrupt, "key store metadata: Argon2id cost outside the bounds"};
  }
  static_assert(kArgon2SaltBytes == crypto_pwhash_SALTBYTES);
  if (sodium_init() < 0) return Error{Code::kInternal, "libsodium cannot initialise"};
  Bytes kek(kKekBytes);
  // RFC 9106 Argon2id, p = 1 (libsodium's only choice).
  const int rc = crypto_pwhash(
      kek.data(), kek.size(), reinterpret_cast<const char*>(passphrase_.data()), passphrase_.size(),
      parameters.data(), recorded.passes, static_cast<std::size_t>(recorded.memory_kib) * 1024,
      crypto_pwhash_ALG_ARGON2ID13);
  Secret result(std::move(kek));
  if (rc != 0) return Error{Code::kInternal, "Argon2id failed (out of memory?)"};
  return result;
}

Result<std::unique_ptr<KernelKeyringKek>> KernelKeyringKek::Create(std::string description,
                                                                   KernelKeyring keyring) {
  if (description.empty() || description.size() > kMaxKeyringDescriptionBytes) {
    return Error{Code::kInvalidArgument, "a keyring description has 1 to 256 bytes"};
  }
  if (description.find('\0') != std::string::npos) {
    return Error{Code::kInvalidArgument, "a keyring description cannot contain NUL"};
  }
  return std::unique_ptr<KernelKeyringKek>(new KernelKeyringKek(std::move(description), keyring));
}

Result<Bytes> KernelKeyringKek::NewParameters() {
  const key_serial_t keyring = KeyringId(keyring_);
  if (keyctl_search(keyring, "user", description_.c_str(), 0) >= 0) return Bytes();
  Secret kek = crypto::RandomSecret(kKekBytes);
  if (add_key("user", description_.c_str(), kek.data(), kek.size(), keyring) < 0) {
    return KeyringError("cannot add the key");
  }
  return Bytes();
}

Result<Secret> KernelKeyringKek::Unlock(ByteView parameters) {
  if (!parameters.empty()) {
    return Error{Code::kVaultCorrupt, "key store metadata: unexpected keyring parameters"};
  }
  const long key = keyctl_search(KeyringId(keyring_), "user", description_.c_str(), 0);
  if (key < 0) return KeyringError("no key-encryption key (reboot or logout?)");
  // One byte more than a KEK, so a key of another size is seen rather than cut.
  Bytes buffer(kKekBytes + 1);
  const long length = keyctl_read(static_cast<key_serial_t>(key),
                                  reinterpret_cast<char*>(buffer.data()), buffer.size());
  Secret guard(std::move(buffer));
  if (length < 0) return KeyringError("cannot read the key");
  if (static_cast<std::size_t>(length) != kKekBytes) {
    return Error{Code::kKekUnavailable, "kernel keyring: the key is not 32 bytes"};
  }
  return Secret(guard.view().first(kKekBytes));
}

Status KernelKeyringKek::Forget() {
  const key_serial_t keyring = KeyringId(keyring_);
  const long key = keyctl_search(keyring, "user", description_.c_str(), 0);
  if (key < 0) return OkStatus();
  // Invalidate, not just unlink: the key dies now even if another keyring links it.
  if (keyctl_invalidate(static_cast<key_serial_t>(key)) < 0 &&
      keyctl_unlink(static_cast<key_serial_t>(key), keyring) < 0) {
    return KeyringError("cannot remove the key");
  }
  return OkStatus();
}

}  // namespace ztm::client
