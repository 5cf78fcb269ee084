// FileKeyStore: the Linux software KeyStore. One file per key in a private directory, each
// sealed with AES-256-GCM under a key-encryption key (KEK) from a KekSource. Platforms with a
// hardware-backed keystore supply their own KeyStore through the C ABI instead.
//
// On-disk layout of `directory` (0700, every file 0600; see private_files.h):
//   keystore.meta  "ZTKM" | version 1 | KEK kind | store id (16) | parameter length (u16 BE) |
//                  KEK parameters | key check (nonce 12 | tag 16)
//   <alias>.key    "ZTKK" | version 1 | key type | flags | nonce 12 | key 32 | tag 16
// The key check is an AES-256-GCM tag over an empty plaintext with the metadata as associated
// data: a wrong passphrase or KEK fails there, clearly, and the metadata cannot be edited.
// Each key file authenticates its header, the store id and its alias as associated data, so a
// key file renamed to another alias, copied from another store, or whose type or
// user-presence flag was flipped fails to open (kVaultCorrupt).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "client/keystore/kek_source.h"
#include "client/keystore/key_store.h"

namespace ztm::client {

// Asks the user to confirm presence (for example re-entering a PIN) before a key created with
// KeyOptions::user_presence is used. Returns OK if confirmed. The prompt runs on the calling
// thread with the store's lock held: it must not call back into the store.
using UserPresencePrompt = std::function<Status(std::string_view alias)>;

struct FileKeyStoreOptions {
  // Create the directory and the store's metadata if they do not exist.
  bool create_if_missing = true;
  // Consulted for keys that need user presence; without one, such keys cannot be used.
  // WARNING: in a software keystore this gate is enforced by this library, not by hardware:
  // code running in the app's process with the KEK can bypass it.
  UserPresencePrompt user_presence_prompt;
};

// The file names FileKeyStore writes.
inline constexpr std::string_view kKeyStoreMetadataFile = "keystore.meta";
inline constexpr std::string_view kKeyFileSuffix = ".key";

class FileKeyStore final : public KeyStore {
 public:
  // Open opens the store in `directory`, creating it if allowed, and checks `kek` against the
  // recorded key check. Fails with kKeyStoreInsecure (directory or file too open, a symlink,
  // another owner), kKekInvalid (wrong passphrase or KEK, or a KEK of another kind than the
  // store was created with), kKekUnavailable, kVaultCorrupt (metadata malformed, or key
  // files without metadata) or kInternal.
  static Result<std::unique_ptr<FileKeyStore>> Open(std::string directory,
                                                    std::unique_ptr<KekSource> kek,
                                                    FileKeyStoreOptions options = {});

  // Every KeyStore method also fails with kVaultCorrupt if the key file is malformed,
  // truncated or fails authentication, and with kKeyStoreClosed after WipeAll.
  Result<crypto::PublicKey> CreateSigningKey(std::string_view alias,
                                             const KeyOptions& options) override;
  Result<crypto::PublicKey> SigningPublicKey(std::string_view alias) override;
  Result<Bytes> Sign(std::string_view alias, ByteView message) override;
  // Unseals the key once and keeps it (an OpenSSL key) in the returned signer, which does not
  // need this store to outlive it.
  Result<std::shared_ptr<const crypto::Signer>> OpenSigningKey(std::string_view alias,
                                                               const Clock& clock,
                                                               std::int64_t hold_seconds) override;
  Status CreateSealingKey(std::string_view alias, const KeyOptions& options) override;
  Result<Bytes> Seal(std::string_view alias, ByteView plaintext, ByteView associated_data) override;
  Result<Secret> Open(std::string_view alias, ByteView sealed, ByteView associated_data) override;
  Status Delete(std::string_view alias) override;
  Result<bool> Exists(std::string_view alias) override;

  // WipeAll destroys every key, the metadata, the KEK source's outside state (the keyring
  // entry) and the directory, and closes this store (later calls fail with kKeyStoreClosed).
  // What makes the keys unrecoverable is that the key files and the KEK are gone, not any
  // overwriting: on flash and copy-on-write filesystems an overwrite lands elsewhere anyway.
  Status WipeAll();

  // Destroy removes the store in `directory` without unlocking it (a forgotten passphrase
  // must not prevent logout): the key files, the metadata, the directory, and `kek`'s outside
  // state if `kek` is not null. A missing directory is not an error.
  static Status Destroy(const std::string& directory, KekSource* kek);

 private:
  struct KeyMaterial;

  FileKeyStore(std::string directory, std::unique_ptr<KekSource> source, Secret kek, Bytes store_id,
               FileKeyStoreOptions options);

  Status CreateKey(std::string_view alias, std::uint8_t type, const KeyOptions& options,
                   const Secret& key);
  // Loads and unseals the key `alias`, checks its type and the user-presence gate.
  Result<KeyMaterial> Load(std::string_view alias, std::uint8_t expected_type, bool check_presence);
  Status CheckOpen() const;

  const std::string directory_;
  const std::unique_ptr<KekSource> source_;
  const Bytes store_id_;
  const FileKeyStoreOptions options_;
  // Serialises file operations and WipeAll; kek_ is wiped (emptied) by WipeAll.
  mutable std::mutex mutex_;
  Secret kek_;
  bool closed_ = false;
  // Bumped by Delete and WipeAll; a key held by OpenSigningKey signs only while it is
  // unchanged, so a deleted key or a wiped store cannot keep signing from memory.
  const std::shared_ptr<std::atomic<std::uint64_t>> generation_ =
      std::make_shared<std::atomic<std::uint64_t>>(0);
};

}  // namespace ztm::client
