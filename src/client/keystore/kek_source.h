// Key-encryption-key sources for FileKeyStore: where the 256-bit key that seals the key files
// comes from. A passphrase (Argon2id), the Linux kernel keyring, or raw bytes a caller holds.
// Whatever the source, FileKeyStore records its kind and parameters in the store's metadata
// with a key-check value, so a wrong passphrase or a wrong key fails at open with kKekInvalid
// instead of surfacing later as "corrupt" key files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/bytes.h"
#include "core/error.h"

namespace ztm::client {

// AES-256 key-encryption key.
inline constexpr std::size_t kKekBytes = 32;

enum class KekKind : std::uint8_t {
  kRaw = 1,
  kPassphrase = 2,
  kKernelKeyring = 3,
};

// A source of the key-encryption key. FileKeyStore calls NewParameters once, when it creates
// a store, records the returned parameters (they are not secret) and passes them to Unlock on
// every later open.
class KekSource {
 public:
  virtual ~KekSource() = default;
  virtual KekKind kind() const = 0;
  // NewParameters prepares the source for a new store and returns the parameters to record
  // (a passphrase source: a fresh salt and the Argon2id cost; the others: nothing).
  virtual Result<Bytes> NewParameters() = 0;
  // Unlock returns the KEK for a store whose metadata recorded `parameters`. Fails with
  // kVaultCorrupt for parameters this source did not write, kKekUnavailable if the key
  // cannot be obtained.
  virtual Result<Secret> Unlock(ByteView parameters) = 0;
  // Forget destroys whatever the source keeps outside the store (the kernel keyring entry),
  // as part of wiping the store. A source that keeps nothing succeeds.
  virtual Status Forget() = 0;
};

// RawKek: a key the caller already holds (a platform wrapper, tests). Fails at Create with
// kInvalidArgument unless the key is kKekBytes long.
class RawKek final : public KekSource {
 public:
  static Result<std::unique_ptr<RawKek>> Create(Secret key);
  KekKind kind() const override { return KekKind::kRaw; }
  Result<Bytes> NewParameters() override { return Bytes(); }
  Result<Secret> Unlock(ByteView parameters) override;
  Status Forget() override { return OkStatus(); }

 private:
  explicit RawKek(Secret key) : key_(std::move(key)) {}
  Secret key_;
};

// The Argon2id cost of a passphrase KEK.
struct Argon2Cost {
  std::uint32_t passes;      // opslimit (t)
  std::uint32_t memory_kib;  // memlimit in KiB (m)
};

// OWASP's Argon2id minimum (m = 19 MiB, t = 2, p = 1): nothing weaker is written or read, so
// metadata edited to a trivial cost is refused rather than making the passphrase cheap to guess.
inline constexpr Argon2Cost kMinArgon2Cost{2, 19 * 1024};
// Parameters read from a file must not make an open allocate gigabytes or run for minutes:
// 1 GiB and 16 passes are far above any cost a phone can afford per unlock.
inline constexpr Argon2Cost kMaxArgon2Cost{16, 1024 * 1024};
// libsodium's INTERACTIVE level (t = 2, m = 64 MiB), the gateway's password cost too: about
// 0.1 s on a laptop core, paid once per open (FileKeyStore keeps the KEK while it is open).
inline constexpr Argon2Cost kDefaultArgon2Cost{2, 64 * 1024};

// NIST SP 800-63B §5.1.1.2: memorized secrets are at least 8 characters (counted here in
// bytes); 1024 bytes is far past any passphrase and bounds the Argon2id input.
inline constexpr std::size_t kMinPassphraseBytes = 8;
inline constexpr std::size_t kMaxPassphraseBytes = 1024;

// Salt length: libsodium's crypto_pwhash_SALTBYTES (128 bits, RFC 9106 §3.1 recommends 16).
inline constexpr std::size_t kArgon2SaltBytes = 16;

// PassphraseKek derives the KEK from a passphrase with Argon2id (RFC 9106, libsodium
// crypto_pwhash) under a random salt recorded in the store's metadata with the cost.
class PassphraseKek final : public KekSource {
 public:
  // Create fails with kInvalidArgument for a passphrase outside [kMinPassphraseBytes,
  // kMaxPassphraseBytes] or containing NUL, or a `cost` outside [kMinArgon2Cost,
  // kMaxArgon2Cost]. `cost` applies to new stores; an existing store uses its recorded cost.
  static Result<std::unique_ptr<PassphraseKek>> Create(Secret passphrase,
                                                       Argon2Cost cost = kDefaultArgon2Cost);
  KekKind kind() const override { return KekKind::kPassphrase; }
  Result<Bytes> NewParameters() override;
  // Fails with kVaultCorrupt if the recorded cost is outside the bounds, kInternal if
  // Argon2id cannot run (out of memory).
  Result<Secret> Unlock(ByteView parameters) override;
  Status Forget() override { return OkStatus(); }

 private:
  PassphraseKek(Secret passphrase, Argon2Cost cost)
      : passphrase_(std::move(passphrase)), cost_(cost) {}
  Secret passphrase_;
  Argon2Cost cost_;
};

// Which kernel keyring holds the KEK. kUser lives while the user has a process (and not
// across a reboot); kSession lives while the login session does.
enum class KernelKeyring { kUser, kSession };

// KernelKeyringKek keeps a random 32-byte KEK in the Linux kernel keyring (keyutils, key type
// "user") under `description`: it never touches the disk, and other users cannot read it.
// WARNING: the kernel keyring does not survive a reboot; a store under this KEK becomes
// unreadable then (kKekUnavailable) and must be re-enrolled. Use it for session-bound keys.
class KernelKeyringKek final : public KekSource {
 public:
  // Create fails with kInvalidArgument for an empty description or one longer than
  // kMaxKeyringDescriptionBytes.
  static Result<std::unique_ptr<KernelKeyringKek>> Create(std::string description,
                                                          KernelKeyring keyring);
  KekKind kind() const override { return KekKind::kKernelKeyring; }
  // Adds a fresh random key unless one with this description exists (then reuses it: adding
  // would replace it, destroying whatever it protects). Fails with kKekUnavailable if the
  // kernel refuses (no keyring support, seccomp in a container, quota).
  Result<Bytes> NewParameters() override;
  // Fails with kKekUnavailable if the key is gone (reboot, logout, Forget).
  Result<Secret> Unlock(ByteView parameters) override;
  // Unlinks the key from the keyring; a key already gone is not an error.
  Status Forget() override;

  // A description is a key name the kernel shows in /proc/keys; 256 bytes bounds it well
  // below the kernel's 4096-byte limit.
  static constexpr std::size_t kMaxKeyringDescriptionBytes = 256;

 private:
  KernelKeyringKek(std::string description, KernelKeyring keyring)
      : description_(std::move(description)), keyring_(keyring) {}
  std::string description_;
  KernelKeyring keyring_;
};

}  // namespace ztm::client
