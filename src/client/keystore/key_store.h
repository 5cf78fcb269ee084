// KeyStore: the device's keys, used by alias and never exported. A P-256 signing key signs
// DPoP proofs and RFC 9421 request signatures; an AES-256-GCM sealing key seals the secure
// store's items. The interface is deliberately small so a platform keystore (iOS Keychain /
// Secure Enclave, Android Keystore) can implement it through a handful of C callbacks: both
// have exactly these two key kinds, non-exportable, with an optional user-presence gate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/crypto/keys.h"
#include "core/error.h"

namespace ztm::client {

// An alias has 1 to kMaxKeyAliasBytes characters from [A-Za-z0-9._-] and does not start
// with '.': it becomes a file name in FileKeyStore (so no '/', no "..", no hidden files) and
// an identifier in platform keystores, whose own charset limits are about this strict.
inline constexpr std::size_t kMaxKeyAliasBytes = 64;

// Checks `alias` against the rule above. Fails with kKeyAliasInvalid. Also used for
// SecureStore item names.
Status ValidateKeyAlias(std::string_view alias);

// Checks an OpenSigningKey hold time: 1 to kMaxSigningKeyHoldSeconds. Fails with
// kInvalidArgument.
Status ValidateSigningKeyHold(std::int64_t hold_seconds);

// The longest OpenSigningKey keeps a signing key unsealed in memory. An access token lives
// minutes and a session signs in bursts; an hour covers that, while a key held "forever"
// would make the sealed key file pointless against anyone who can read the process memory.
inline constexpr std::int64_t kMaxSigningKeyHoldSeconds = 3600;

struct KeyOptions {
  // Every use of the key needs the user to be present (biometry or device passcode on a
  // platform keystore; the store's UserPresencePrompt in FileKeyStore). Step-up flows use
  // such a key so that a token alone, without the user, cannot sign.
  bool user_presence = false;
};

// Holds non-exportable keys by alias. Implementations are thread-safe. No method returns
// private or symmetric key material; a key lives and dies inside the store.
class KeyStore {
 public:
  virtual ~KeyStore() = default;

  // CreateSigningKey generates a P-256 key under `alias` and returns its public key. Fails
  // with kKeyAliasInvalid, or kKeyExists if any key has this alias (a key is never silently
  // replaced: that would orphan the device's registration).
  virtual Result<crypto::PublicKey> CreateSigningKey(std::string_view alias,
                                                     const KeyOptions& options) = 0;

  // SigningPublicKey returns the public key of the signing key `alias`. Fails with
  // kKeyNotFound, or kCryptoKeyTypeMismatch for a sealing key.
  virtual Result<crypto::PublicKey> SigningPublicKey(std::string_view alias) = 0;

  // Sign signs `message` with the signing key `alias` (ECDSA P-256 SHA-256) and returns the
  // signature as R || S, 32 bytes each (the JOSE ES256 and RFC 9421 ecdsa-p256-sha256 form).
  // Fails with kKeyNotFound, kCryptoKeyTypeMismatch, or kUserPresenceRequired if the key is
  // gated and presence was not confirmed.
  virtual Result<Bytes> Sign(std::string_view alias, ByteView message) = 0;

  // OpenSigningKey returns a Signer (ES256, R || S) of the signing key `alias` that may keep
  // the key ready in memory, so repeated signatures skip unsealing it each time, until the
  // signer is destroyed or `hold_seconds` have passed on `clock`; its Sign then fails with
  // kSigningKeyHandleExpired (open the key again). A held key stops signing too once any key
  // of the store is deleted or the store is wiped. It is the analogue of a platform keystore
  // operation handle (an Android Keystore operation, a SecKeyRef). Fails with
  // kInvalidArgument unless 1 <= hold_seconds <= kMaxSigningKeyHoldSeconds, and like Sign.
  // A store that holds keys refuses a key that needs user presence (kUserPresenceRequired):
  // holding it would turn a check per use into a check per open.
  //
  // The default implementation holds nothing: its signer calls Sign(alias) for every
  // signature, which is what a platform keystore, whose keys never leave it, does anyway.
  // WARNING: that signer calls this store, which must outlive it; `clock` must outlive the
  // returned signer whatever the store.
  virtual Result<std::shared_ptr<const crypto::Signer>> OpenSigningKey(std::string_view alias,
                                                                       const Clock& clock,
                                                                       std::int64_t hold_seconds);

  // CreateSealingKey generates an AES-256-GCM key under `alias`. Fails like CreateSigningKey.
  virtual Status CreateSealingKey(std::string_view alias, const KeyOptions& options) = 0;

  // Seal encrypts `plaintext` under the sealing key `alias`, authenticating `associated_data`,
  // and returns nonce || ciphertext || tag (12 + n + 16 bytes; a fresh random nonce each
  // call). Fails with kKeyNotFound, kCryptoKeyTypeMismatch or kUserPresenceRequired.
  virtual Result<Bytes> Seal(std::string_view alias, ByteView plaintext,
                             ByteView associated_data) = 0;

  // Open reverses Seal. Fails with kCryptoDecryptFailed if `sealed` or `associated_data` was
  // changed, truncated or sealed under another key (no plaintext is returned then), and
  // like Seal otherwise.
  virtual Result<Secret> Open(std::string_view alias, ByteView sealed,
                              ByteView associated_data) = 0;

  // Delete destroys the key `alias`. Fails with kKeyNotFound if there is none.
  virtual Status Delete(std::string_view alias) = 0;

  // Exists reports whether a key (of either kind) has `alias`. Fails with kKeyAliasInvalid.
  virtual Result<bool> Exists(std::string_view alias) = 0;
};

}  // namespace ztm::client
