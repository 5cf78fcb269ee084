// FileKeyStore: key files sealed with AES-256-GCM under a KEK (format in file_key_store.h).
#include "client/keystore/file_key_store.h"

#include <array>

#include "client/storage/private_files.h"
#include "core/crypto/crypto.h"

namespace ztm::client {
namespace {

constexpr std::array<std::uint8_t, 4> kMetadataMagic = {'Z', 'T', 'K', 'M'};
constexpr std::array<std::uint8_t, 4> kKeyFileMagic = {'Z', 'T', 'K', 'K'};
constexpr std::uint8_t kFormatVersion = 1;
// A random store id binds key files to their store: a key file copied from another store
// under the same KEK (a reused passphrase) fails to open.
constexpr std::size_t kStoreIdBytes = 16;
// Domain separation of the key check from key files under the same KEK.
constexpr std::string_view kKeyCheckLabel = "ztm key-store key check v1";

constexpr std::uint8_t kTypeSigning = 1;  // P-256 private scalar
constexpr std::uint8_t kTypeSealing = 2;  // AES-256-GCM key
constexpr std::uint8_t kFlagUserPresence = 0x01;
constexpr std::uint8_t kKnownFlags = kFlagUserPresence;

// Both key types are 32 bytes: a P-256 scalar and an AES-256 key.
constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kKeyHeaderBytes = 4 + 1 + 1 + 1;
constexpr std::size_t kKeyFileBytes =
    kKeyHeaderBytes + crypto::kAesGcmNonceBytes + kKeyBytes + crypto::kAesGcmTagBytes;
constexpr std::size_t kKeyCheckBytes = crypto::kAesGcmNonceBytes + crypto::kAesGcmTagBytes;
// The largest parameters any KekSource writes are 24 bytes; 1 KiB bounds what is read.
constexpr std::size_t kMaxKekParametersBytes = 1024;
constexpr std::size_t kMaxMetadataBytes =
    4 + 1 + 1 + kStoreIdBytes + 2 + kMaxKekParametersBytes + kKeyCheckBytes;
// Read bound for key files: a little above their fixed size, so an over-long file reaches the
// exact-length check and is reported as corrupt rather than read whole.
constexpr std::size_t kMaxKeyFileBytes = 256;

std::string KeyFileName(std::string_view alias) {
  return std::string(alias) + std::string(kKeyFileSuffix);
}

Bytes Concat(ByteView a, ByteView b) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// Associated data of a key file: its header, the store id and the alias.
Bytes KeyFileAad(ByteView header, ByteView store_id, std::string_view alias) {
  Bytes aad = Concat(header, store_id);
  const ByteView alias_bytes = AsBytes(alias);
  aad.insert(aad.end(), alias_bytes.begin(), alias_bytes.end());
  return aad;
}

struct Metadata {
  KekKind kind;
  Bytes store_id;
  Bytes parameters;
  Bytes authenticated;  // every byte before the key check
  Bytes key_check;
};

Bytes MetadataPrefix(KekKind kind, ByteView store_id, ByteView parameters) {
  Bytes out(kMetadataMagic.begin(), kMetadataMagic.end());
  out.push_back(kFormatVersion);
  out.push_back(static_cast<std::uint8_t>(kind));
  out.insert(out.end(), store_id.begin(), store_id.end());
  out.push_back(static_cast<std::uint8_t>(parameters.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(parameters.size()));
  out.insert(out.end(), parameters.begin(), parameters.end());
  return out;
}

Bytes KeyCheckAad(ByteView metadata_prefix) {
  return Concat(metadata_prefix, AsBytes(kKeyCheckLabel));
}

Result<Metadata> ParseMetadata(ByteView data) {
  const Error corrupt{Code::kVaultCorrupt, "key store metadata is malformed"};
  constexpr std::size_t kFixedBytes = 4 + 1 + 1 + kStoreIdBytes + 2;
  if (data.size() < kFixedBytes + kKeyCheckBytes) return corrupt;
  if (!std::equal(kMetadataMagic.begin(), kMetadataMagic.end(), data.begin())) return corrupt;
  if (data[4] != kFormatVersion) {
    return Error{Code::kVaultCorrupt, "key store metadata has an unsupported version"};
  }
  const std::uint8_t kind = data[5];
  if (kind != static_cast<std::uint8_t>(KekKind::kRaw) &&
      kind != static_cast<std::uint8_t>(KekKind::kPassphrase) &&
      kind != static_cast<std::uint8_t>(KekKind::kKernelKeyring)) {
    return corrupt;
  }
  const std::size_t parameters_length =
      (std::size_t{data[4 + 1 + 1 + kStoreIdBytes]} << 8) | data[4 + 1 + 1 + kStoreIdBytes + 1];
  if (parameters_length > kMaxKekParametersBytes ||
      data.size() != kFixedBytes + parameters_length + kKeyCheckBytes) {
    return corrupt;
  }
  Metadata metadata;
  metadata.kind = static_cast<KekKind>(kind);
  const ByteView store_id = data.subspan(6, kStoreIdBytes);
  metadata.store_id.assign(store_id.begin(), store_id.end());
  const ByteView parameters = data.subspan(kFixedBytes, parameters_length);
  metadata.parameters.assign(parameters.begin(), parameters.end());
  const ByteView authenticated = data.first(kFixedBytes + parameters_length);
  metadata.authenticated.assign(authenticated.begin(), authenticated.end());
  const ByteView check = data.subspan(kFixedBytes + parameters_length);
  metadata.key_check.assign(check.begin(), check.end());
  return metadata;
}

const char* KindName(KekKind kind) {
  switch (kind) {
    case KekKind::kRaw:
      return "a raw key";
    case KekKind::kPassphrase:
      return "a passphrase";
    case KekKind::kKernelKeyring:
      return "the kernel keyring";
  }
  return "an unknown source";
}

}  // namespace

struct FileKeyStore::KeyMaterial {
  Secret key;
  bool user_presence = false;
};

namespace {

// A signing key held unsealed by OpenSigningKey (see key_store.h).
class HeldSigningKey final : public crypto::Signer {
 public:
  HeldSigningKey(crypto::PrivateKeySigner signer, std::string alias, const Clock& clock,
                 std::int64_t expires_at,
                 std::shared_ptr<const std::atomic<std::uint64_t>> generation)
      : signer_(std::move(signer)),
        alias_(std::move(alias)),
        clock_(clock),
        expires_at_(expires_at),
        generation_(std::move(generation)),
        opened_generation_(generation_->load()) {}

  crypto::SignatureAlgorithm algorithm() const override { return signer_.algorithm(); }
  const crypto::PublicKey& public_key() const override { return signer_.public_key(); }

 private:
  Result<Bytes> SignMessage(ByteView message) const override {
    if (generation_->load() != opened_generation_) {
      return Error{Code::kKeyNotFound,
                   "key " + alias_ + ": the store changed (a key deleted or the store wiped)"};
    }
    if (clock_.NowSeconds() >= expires_at_) {
      return Error{Code::kSigningKeyHandleExpired, "signing key " + alias_ + " was held too long"};
    }
    return signer_.Sign(message);
  }

  const crypto::PrivateKeySigner signer_;
  const std::string alias_;
  const Clock& clock_;
  const std::int64_t expires_at_;
  const std::shared_ptr<const std::atomic<std::uint64_t>> generation_;
  const std::uint64_t opened_generation_;
};

}  // namespace

FileKeyStore::FileKeyStore(std::string directory, std::unique_ptr<KekSource> source, Secret kek,
                           Bytes store_id, FileKeyStoreOptions options)
    : directory_(std::move(directory)),
      source_(std::move(source)),
      store_id_(std::move(store_id)),
      options_(std::move(options)),
      kek_(std::move(kek)) {}

Result<std::unique_ptr<FileKeyStore>> FileKeyStore::Open(std::string directory,
                                                         std::unique_ptr<KekSource> kek,
                                                         FileKeyStoreOptions options) {
  if (kek == nullptr) return Error{Code::kInvalidArgument, "no key-encryption key source"};
  ZTM_RETURN_IF_ERROR(EnsurePrivateDirectory(directory, options.create_if_missing));
  ZTM_ASSIGN_OR_RETURN(std::optional<Bytes> existing,
                       ReadPrivateFile(directory, kKeyStoreMetadataFile, kMaxMetadataBytes));
  if (!existing.has_value()) {
    ZTM_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                         ListPrivateFiles(directory, kKeyFileSuffix));
    if (!keys.empty()) {
      return Error{Code::kVaultCorrupt, "key store metadata is missing but key files exist"};
    }
    if (!options.create_if_missing) {
      return Error{Code::kInvalidArgument, "no key store in " + directory};
    }
    ZTM_ASSIGN_OR_RETURN(Bytes parameters, kek->NewParameters());
    if (parameters.size() > kMaxKekParametersBytes) {
      return Error{Code::kInternal, "key-encryption key parameters too large"};
    }
    ZTM_ASSIGN_OR_RETURN(Secret key, kek->Unlock(parameters));
    const Bytes prefix =
        MetadataPrefix(kek->kind(), crypto::RandomBytes(kStoreIdBytes), parameters);
    ZTM_ASSIGN_OR_RETURN(Bytes check,
                         crypto::AesGcmSealRandomNonce(key.view(), {}, KeyCheckAad(prefix)));
    Status written = WritePrivateFile(directory, kKeyStoreMetadataFile, Concat(prefix, check),
                                      WriteMode::kCreateNew);
    // Another process created the store at the same moment: open theirs.
    if (!written.ok() && written.code() != Code::kKeyExists) return std::move(written).error();
    ZTM_ASSIGN_OR_RETURN(existing,
                         ReadPrivateFile(directory, kKeyStoreMetadataFile, kMaxMetadataBytes));
    if (!existing.has_value()) return Error{Code::kInternal, "key store metadata vanished"};
  }
  ZTM_ASSIGN_OR_RETURN(Metadata metadata, ParseMetadata(*existing));
  if (metadata.kind != kek->kind()) {
    return Error{Code::kKekInvalid, std::string("this key store is unlocked with ") +
                                        KindName(metadata.kind) + ", not " + KindName(kek->kind())};
  }
  ZTM_ASSIGN_OR_RETURN(Secret key, kek->Unlock(metadata.parameters));
  if (key.size() != kKekBytes) return Error{Code::kInternal, "key-encryption key is not 32 bytes"};
  auto checked = crypto::AesGcmOpenWithNonce(key.view(), metadata.key_check,
                                             KeyCheckAad(metadata.authenticated));
  if (!checked.ok()) {
    return Error{Code::kKekInvalid,
                 "wrong passphrase or key-encryption key (or the metadata was modified)"};
  }
  return std::unique_ptr<FileKeyStore>(
      new FileKeyStore(std::move(directory), std::move(kek), std::move(key),
                       std::move(metadata.store_id), std::move(options)));
}

Status FileKeyStore::CheckOpen() const {
  if (closed_) return Error{Code::kKeyStoreClosed, "the key store was wiped"};
  return OkStatus();
}

Status FileKeyStore::CreateKey(std::string_view alias, std::uint8_t type, const KeyOptions& options,
                               const Secret& key) {
  const Bytes header = {kKeyFileMagic[0],
                        kKeyFileMagic[1],
                        kKeyFileMagic[2],
                        kKeyFileMagic[3],
                        kFormatVersion,
                        type,
                        static_cast<std::uint8_t>(options.user_presence ? kFlagUserPresence : 0)};
  ZTM_ASSIGN_OR_RETURN(
      Bytes sealed,
      crypto::AesGcmSealRandomNonce(kek_.view(), key.view(), KeyFileAad(header, store_id_, alias)));
  Status written = WritePrivateFile(directory_, KeyFileName(alias), Concat(header, sealed),
                                    WriteMode::kCreateNew);
  if (!written.ok() && written.code() == Code::kKeyExists) {
    return Error{Code::kKeyExists, "a key with alias " + std::string(alias) + " exists"};
  }
  return written;
}

Result<FileKeyStore::KeyMaterial> FileKeyStore::Load(std::string_view alias,
                                                     std::uint8_t expected_type,
                                                     bool check_presence) {
  ZTM_ASSIGN_OR_RETURN(std::optional<Bytes> file,
                       ReadPrivateFile(directory_, KeyFileName(alias), kMaxKeyFileBytes));
  if (!file.has_value()) {
    return Error{Code::kKeyNotFound, "no key with alias " + std::string(alias)};
  }
  const Bytes& data = *file;
  const std::string corrupt_prefix = "key " + std::string(alias) + ": ";
  if (data.size() != kKeyFileBytes ||
      !std::equal(kKeyFileMagic.begin(), kKeyFileMagic.end(), data.begin())) {
    return Error{Code::kVaultCorrupt, corrupt_prefix + "malformed or truncated key file"};
  }
  if (data[4] != kFormatVersion) {
    return Error{Code::kVaultCorrupt, corrupt_prefix + "unsupported key file version"};
  }
  const ByteView header = ByteView(data).first(kKeyHeaderBytes);
  auto opened = crypto::AesGcmOpenWithNonce(kek_.view(), ByteView(data).subspan(kKeyHeaderBytes),
                                            KeyFileAad(header, store_id_, alias));
  if (!opened.ok()) {
    return Error{Code::kVaultCorrupt,
                 corrupt_prefix +
                     "key file failed authentication (modified, renamed or from "
                     "another store)"};
  }
  KeyMaterial material{Secret(std::move(opened).value()), (data[6] & kFlagUserPresence) != 0};
  // Authenticated above, so these bytes are the ones CreateKey wrote.
  const std::uint8_t type = data[5];
  const std::uint8_t flags = data[6];
  if ((type != kTypeSigning && type != kTypeSealing) || (flags & ~kKnownFlags) != 0 ||
      material.key.size() != kKeyBytes) {
    return Error{Code::kVaultCorrupt, corrupt_prefix + "unknown key type or flags"};
  }
  if (type != expected_type) {
    return Error{Code::kCryptoKeyTypeMismatch,
                 "key " + std::string(alias) +
                     (type == kTypeSigning ? " is a signing key" : " is a sealing key")};
  }
  if (check_presence && (flags & kFlagUserPresence) != 0) {
    if (!options_.user_presence_prompt) {
      return Error{Code::kUserPresenceRequired,
                   "key " + std::string(alias) + " needs user presence and no prompt is set"};
    }
    Status confirmed = options_.user_presence_prompt(alias);
    if (!confirmed.ok()) {
      return Error{Code::kUserPresenceRequired, "user presence not confirmed for key " +
                                                    std::string(alias) + ": " +
                                                    confirmed.error().message};
    }
  }
  return material;
}

Result<crypto::PublicKey> FileKeyStore::CreateSigningKey(std::string_view alias,
                                                         const KeyOptions& options) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(alias));
  std::lock_guard lock(mutex_);
  ZTM_RETURN_IF_ERROR(CheckOpen());
  ZTM_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                       crypto::PrivateKey::Generate(crypto::KeyType::kEcP256));
  ZTM_RETURN_IF_ERROR(CreateKey(alias, kTypeSigning, options, key.RawPrivate()));
  return key.public_key();
}

Result<crypto::PublicKey> FileKeyStore::SigningPublicKey(std::string_view alias) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(alias));
  std::lock_guard lock(mutex_);
  ZTM_RETURN_IF_ERROR(CheckOpen());
  // The public key is not secret and needs no presence.
  ZTM_ASSIGN_OR_RETURN(KeyMaterial material, Load(alias, kTypeSigning, /*check_presence=*/false));
  ZTM_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                       crypto::PrivateKey::FromEcScalar(material.key.view()));
  return key.public_key();
}

Result<Bytes> FileKeyStore::Sign(std::string_view alias, ByteView message) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(alias));
  std::lock_guard lock(mutex_);
  ZTM_RETURN_IF_ERROR(CheckOpen());
  ZTM_ASSIGN_OR_RETURN(KeyMaterial material, Load(alias, kTypeSigning, /*check_presence=*/true));
  ZTM_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                       crypto::PrivateKey::FromEcScalar(material.key.view()));
  return key.Sign(crypto::SignatureAlgorithm::kEcdsaP256Sha256Raw, message);
}

Result<std::shared_ptr<const crypto::Signer>> FileKeyStore::OpenSigningKey(
    std::string_view alias, const Clock& clock, std::int64_t hold_seconds) {
  ZTM_RETURN_IF_ERROR(ValidateSigningKeyHold(hold_seconds));
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(alias));
  std::lock_guard lock(mutex_);
  ZTM_RETURN_IF_ERROR(CheckOpen());
  ZTM_ASSIGN_OR_RETURN(KeyMaterial material, Load(alias, kTypeSigning, /*check_presence=*/false));
  if (material.user_presence) {
    return Error{Code::kUserPresenceRequired,
                 "key " + std::string(alias) + " needs user presence for every use: not held"};
  }
  ZTM_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                       crypto::PrivateKey::FromEcScalar(material.key.view()));
  ZTM_ASSIGN_OR_RETURN(crypto::PrivateKeySigner signer,
                       crypto::PrivateKeySigner::Create(
                           std::move(key), crypto::SignatureAlgorithm::kEcdsaP256Sha256Raw));
  return std::shared_ptr<const crypto::Signer>(
      std::make_shared<const HeldSigningKey>(std::move(signer), std::string(alias), clock,
                                             clock.NowSeconds() + hold_seconds, generation_));
}

Status FileKeyStore::CreateSealingKey(std::string_view alias, const KeyOptions& options) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(alias));
  std::lock_guard lock(mutex_);
  ZTM_RETURN_IF_ERROR(CheckOpen());
  return CreateKey(alias, kTypeSealing, options, crypto::RandomSecret(kKeyBytes));
}

Result<Bytes> FileKeyStore::Seal(std::string_view alias, ByteView plaintext,
                                 ByteView associated_data) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(alias));
  std::lock_guard lock(mutex_);
  ZTM_RETURN_IF_ERROR(CheckOpen());
  ZTM_ASSIGN_OR_RETURN(KeyMaterial material, Load(alias, kTypeSealing, /*check_presence=*/true));
  return crypto::AesGcmSealRandomNonce(material.key.view(), plaintext, associated_data);
}

Result<Secret> FileKeyStore::Open(std::string_view alias, ByteView sealed,
                                  ByteView associated_data) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(alias));
  std::lock_guard lock(mutex_);
  ZTM_RETURN_IF_ERROR(CheckOpen());
  ZTM_ASSIGN_OR_RETURN(KeyMaterial material, Load(alias, kTypeSealing, /*check_presence=*/true));
  ZTM_ASSIGN_OR_RETURN(Bytes plaintext,
                       crypto::AesGcmOpenWithNonce(material.key.view(), sealed, associated_data));
  return Secret(std::move(plaintext));
}

Status FileKeyStore::Delete(std::string_view alias) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(alias));
  std::lock_guard lock(mutex_);
  ZTM_RETURN_IF_ERROR(CheckOpen());
  generation_->fetch_add(1);  // before the file goes: no held key outlives a failed delete
  ZTM_ASSIGN_OR_RETURN(bool removed, RemovePrivateFile(directory_, KeyFileName(alias)));
  if (!removed) return Error{Code::kKeyNotFound, "no key with alias " + std::string(alias)};
  return OkStatus();
}

Result<bool> FileKeyStore::Exists(std::string_view alias) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(alias));
  std::lock_guard lock(mutex_);
  ZTM_RETURN_IF_ERROR(CheckOpen());
  ZTM_ASSIGN_OR_RETURN(std::optional<Bytes> file,
                       ReadPrivateFile(directory_, KeyFileName(alias), kMaxKeyFileBytes));
  return file.has_value();
}

Status FileKeyStore::WipeAll() {
  std::lock_guard lock(mutex_);
  ZTM_RETURN_IF_ERROR(CheckOpen());
  closed_ = true;
  generation_->fetch_add(1);
  kek_ = Secret();
  return Destroy(directory_, source_.get());
}

Status FileKeyStore::Destroy(const std::string& directory, KekSource* kek) {
  // Keys first, the KEK last: if this stops half-way, what remains is still sealed.
  ZTM_ASSIGN_OR_RETURN(bool exists, DirectoryToWipe(directory));
  if (exists) {
    ZTM_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                         ListPrivateFiles(directory, kKeyFileSuffix));
    for (const std::string& name : keys) {
      ZTM_RETURN_IF_ERROR(RemovePrivateFile(directory, name));
    }
    // Leftover temporary files of an interrupted write may hold a sealed key too.
    ZTM_ASSIGN_OR_RETURN(std::vector<std::string> all, ListPrivateFiles(directory, ""));
    for (const std::string& name : all) {
      if (name.starts_with(".tmp-")) ZTM_RETURN_IF_ERROR(RemovePrivateFile(directory, name));
    }
    ZTM_RETURN_IF_ERROR(RemovePrivateFile(directory, kKeyStoreMetadataFile));
  }
  if (kek != nullptr) ZTM_RETURN_IF_ERROR(kek->Forget());
  return exists ? RemovePrivateDirectory(directory) : OkStatus();
}

}  // namespace ztm::client
