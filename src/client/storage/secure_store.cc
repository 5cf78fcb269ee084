// SecureStore: one AES-256-GCM sealed file per item, the item name as associated data.
#include "client/storage/secure_store.h"

#include <algorithm>

#include "client/storage/private_files.h"
#include "core/crypto/crypto.h"

namespace ztm::client {
namespace {

// Magic "ZTSI" and format version 1.
constexpr std::string_view kItemHeader("ZTSI\x01", 5);
constexpr std::size_t kSealOverheadBytes = crypto::kAesGcmNonceBytes + crypto::kAesGcmTagBytes;
constexpr std::size_t kMaxItemFileBytes =
    kItemHeader.size() + kSealOverheadBytes + kMaxSecureItemBytes;

std::string ItemFileName(std::string_view name) {
  return std::string(name) + std::string(kSecureItemSuffix);
}

// The header, then the name: binds each ciphertext to the one name it was stored under.
Bytes ItemAad(std::string_view name) {
  std::string aad(kItemHeader);
  aad += name;
  return ToBytes(aad);
}

Error Tampered(std::string_view name, std::string_view why) {
  return Error{Code::kSecureItemTampered,
               "secure item " + std::string(name) + ": " + std::string(why)};
}

Status RemoveItemFiles(const std::string& directory) {
  ZTM_ASSIGN_OR_RETURN(std::vector<std::string> names, ListPrivateFiles(directory, ""));
  for (const std::string& name : names) {
    if (name.ends_with(kSecureItemSuffix) || name.starts_with(".tmp-")) {
      ZTM_RETURN_IF_ERROR(RemovePrivateFile(directory, name));
    }
  }
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<SecureStore>> SecureStore::Open(std::string directory,
                                                       std::shared_ptr<KeyStore> keys,
                                                       std::string key_alias) {
  if (keys == nullptr) return Error{Code::kInvalidArgument, "no key store"};
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(key_alias));
  ZTM_RETURN_IF_ERROR(EnsurePrivateDirectory(directory, /*create=*/true));
  ZTM_ASSIGN_OR_RETURN(bool key_exists, keys->Exists(key_alias));
  if (!key_exists) {
    Status created = keys->CreateSealingKey(key_alias, KeyOptions{});
    if (created.ok()) {
      // A new key: existing items are ciphertext nobody can open again.
      ZTM_RETURN_IF_ERROR(RemoveItemFiles(directory));
    } else if (created.code() != Code::kKeyExists) {
      return std::move(created).error();
    }
    // kKeyExists: the key store said "no key" but has one (a platform keystore answering
    // wrongly while the device is locked, say): the items are still its, and are kept.
  }
  // Probe the key: a signing key under this alias must fail here, not at the first Put.
  Result<Bytes> probe = keys->Seal(key_alias, {}, AsBytes("ztm secure-store probe"));
  if (!probe.ok()) return std::move(probe).error();
  return std::unique_ptr<SecureStore>(
      new SecureStore(std::move(directory), std::move(keys), std::move(key_alias)));
}

Status SecureStore::CheckOpen() const {
  if (closed_) return Error{Code::kKeyStoreClosed, "the secure store was wiped"};
  return OkStatus();
}

Status SecureStore::Put(std::string_view name, ByteView value) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(name));
  if (value.size() > kMaxSecureItemBytes) {
    return Error{Code::kInputTooLarge, "a secure item holds at most 64 KiB"};
  }
  std::lock_guard lock(mutex_);
  ZTM_RETURN_IF_ERROR(CheckOpen());
  ZTM_ASSIGN_OR_RETURN(std::vector<std::string> items,
                       ListPrivateFiles(directory_, kSecureItemSuffix));
  const bool replacing = std::binary_search(items.begin(), items.end(), ItemFileName(name));
  if (!replacing && items.size() >= kMaxSecureItems) {
    return Error{Code::kSecureStoreFull, "the secure store holds at most 256 items"};
  }
  ZTM_ASSIGN_OR_RETURN(Bytes sealed, keys_->Seal(key_alias_, value, ItemAad(name)));
  Bytes file = ToBytes(kItemHeader);
  file.insert(file.end(), sealed.begin(), sealed.end());
  return WritePrivateFile(directory_, ItemFileName(name), file, WriteMode::kReplace);
}

Result<Secret> SecureStore::Get(std::string_view name) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(name));
  std::lock_guard lock(mutex_);
  ZTM_RETURN_IF_ERROR(CheckOpen());
  Result<std::optional<Bytes>> read =
      ReadPrivateFile(directory_, ItemFileName(name), kMaxItemFileBytes);
  if (!read.ok()) {
    if (read.code() == Code::kVaultCorrupt) return Tampered(name, "larger than any item");
    return std::move(read).error();
  }
  if (!read->has_value()) {
    return Error{Code::kSecureItemNotFound, "no secure item " + std::string(name)};
  }
  const Bytes& file = **read;
  if (file.size() < kItemHeader.size() + kSealOverheadBytes) return Tampered(name, "truncated");
  if (AsString(ByteView(file).first(kItemHeader.size())) != kItemHeader) {
    return Tampered(name, "bad header");
  }
  Result<Secret> opened =
      keys_->Open(key_alias_, ByteView(file).subspan(kItemHeader.size()), ItemAad(name));
  if (!opened.ok() && opened.code() == Code::kCryptoDecryptFailed) {
    return Tampered(name, "failed authentication (modified, swapped or sealed under another key)");
  }
  return opened;
}

Status SecureStore::Remove(std::string_view name) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(name));
  std::lock_guard lock(mutex_);
  ZTM_RETURN_IF_ERROR(CheckOpen());
  ZTM_ASSIGN_OR_RETURN(bool removed, RemovePrivateFile(directory_, ItemFileName(name)));
  if (!removed) return Error{Code::kSecureItemNotFound, "no secure item " + std::string(name)};
  return OkStatus();
}

Result<std::vector<std::string>> SecureStore::List() {
  std::lock_guard lock(mutex_);
  ZTM_RETURN_IF_ERROR(CheckOpen());
  ZTM_ASSIGN_OR_RETURN(std::vector<std::string> files,
                       ListPrivateFiles(directory_, kSecureItemSuffix));
  std::vector<std::string> names;
  for (std::string& file : files) {
    std::string name = file.substr(0, file.size() - kSecureItemSuffix.size());
    if (ValidateKeyAlias(name).ok()) names.push_back(std::move(name));
  }
  return names;
}

Status SecureStore::WipeAll() {
  std::lock_guard lock(mutex_);
  ZTM_RETURN_IF_ERROR(CheckOpen());
  closed_ = true;
  return Destroy(directory_, keys_.get(), key_alias_);
}

Status SecureStore::Destroy(const std::string& directory, KeyStore* keys,
                            std::string_view key_alias) {
  // The key first: once it is gone every item is dead ciphertext, even if removing the files
  // then fails.
  if (keys != nullptr) {
    Status deleted = keys->Delete(key_alias);
    if (!deleted.ok() && deleted.code() != Code::kKeyNotFound) return deleted;
  }
  ZTM_ASSIGN_OR_RETURN(bool exists, DirectoryToWipe(directory));
  if (!exists) return OkStatus();
  ZTM_RETURN_IF_ERROR(RemoveItemFiles(directory));
  return RemovePrivateDirectory(directory);
}

}  // namespace ztm::client
