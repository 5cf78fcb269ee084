// SecureStore: a small key-value store for secrets (refresh token, device id, the encrypted
// database's key). Each item is one file in a private directory, sealed with AES-256-GCM
// under a non-exportable sealing key held by a KeyStore, with the item's name in the
// associated data: a modified, truncated or swapped item (one item's file copied over
// another's) fails authentication and is reported as kSecureItemTampered, never returned.
//
// Item file "<name>.item": "ZTSI" | version 1 | nonce 12 | ciphertext | tag 16; the
// associated data is the 5-byte header followed by the name.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "client/keystore/key_store.h"
#include "core/bytes.h"
#include "core/error.h"

namespace ztm::client {

// The KeyStore alias of the secure store's sealing key unless the caller names another.
inline constexpr std::string_view kDefaultSecureStoreKeyAlias = "ztm.secure-store";
// Items are tokens, identifiers and keys: a JWT refresh token is a few KiB. 64 KiB leaves
// ample room and bounds what one Get reads into memory.
inline constexpr std::size_t kMaxSecureItemBytes = 64 * 1024;
// A session keeps a handful of items; 256 bounds the directory an attacker-controlled caller
// could fill and what WipeAll must walk.
inline constexpr std::size_t kMaxSecureItems = 256;
inline constexpr std::string_view kSecureItemSuffix = ".item";

class SecureStore {
 public:
  // Open opens (creating if needed, mode 0700) the store in `directory`, sealing with the key
  // `key_alias` of `keys`, which it creates if missing. Items sealed under a key that no
  // longer exists can never be opened again; Open removes them. Fails with kKeyAliasInvalid,
  // kKeyStoreInsecure, kCryptoKeyTypeMismatch (`key_alias` is a signing key) or kInternal.
  static Result<std::unique_ptr<SecureStore>> Open(
      std::string directory, std::shared_ptr<KeyStore> keys,
      std::string key_alias = std::string(kDefaultSecureStoreKeyAlias));

  // Put stores `value` under `name`, replacing an existing item atomically. Fails with
  // kKeyAliasInvalid (names follow the alias rule), kInputTooLarge (over
  // kMaxSecureItemBytes), kSecureStoreFull (a new item beyond kMaxSecureItems),
  // kKeyStoreClosed after WipeAll, or the KeyStore's error.
  Status Put(std::string_view name, ByteView value);
  Status Put(std::string_view name, const Secret& value) { return Put(name, value.view()); }

  // Get returns the value stored under `name`. Fails with kSecureItemNotFound if there is
  // none, kSecureItemTampered if the item is malformed, truncated, was modified or swapped,
  // or was sealed under another key; kKeyStoreInsecure if its file is too open.
  Result<Secret> Get(std::string_view name);

  // Remove deletes the item `name`. Fails with kSecureItemNotFound if there is none.
  Status Remove(std::string_view name);

  // Names of the stored items, sorted.
  Result<std::vector<std::string>> List();

  // WipeAll deletes every item, the sealing key and the directory, and closes the store.
  // Deleting the sealing key is what makes the items unrecoverable (see FileKeyStore::WipeAll
  // on why overwriting files is not the point).
  Status WipeAll();

  // Destroy removes the store in `directory` without opening it, and the key `key_alias`
  // from `keys` if `keys` is not null. Missing pieces are not errors.
  static Status Destroy(const std::string& directory, KeyStore* keys, std::string_view key_alias);

 private:
  SecureStore(std::string directory, std::shared_ptr<KeyStore> keys, std::string key_alias)
      : directory_(std::move(directory)),
        keys_(std::move(keys)),
        key_alias_(std::move(key_alias)) {}
  Status CheckOpen() const;

  const std::string directory_;
  const std::shared_ptr<KeyStore> keys_;
  const std::string key_alias_;
  // Makes the item-count check and the write one step, and orders WipeAll.
  std::mutex mutex_;
  bool closed_ = false;
};

}  // namespace ztm::client
