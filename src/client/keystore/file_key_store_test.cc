#include "client/keystore/file_key_store.h"

#include <gtest/gtest.h>
#include <keyutils.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "client/storage/storage_test_util.h"
#include "core/crypto/crypto.h"

namespace ztm::client {
namespace {

using testing::ModeOf;
using testing::ReadRaw;
using testing::TemporaryDirectory;
using testing::WriteRaw;

constexpr std::size_t kKeyHeaderBytes = 7;  // magic 4, version, type, flags

std::unique_ptr<KekSource> Raw(std::uint8_t fill) {
  return std::move(RawKek::Create(Secret(Bytes(kKekBytes, fill)))).value();
}

std::unique_ptr<KekSource> Passphrase(std::string_view passphrase) {
  // The floor cost keeps the tests quick; the bounds themselves are tested below.
  return std::move(PassphraseKek::Create(Secret(AsBytes(passphrase)), kMinArgon2Cost)).value();
}

class FileKeyStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<FileKeyStore> OpenStore(std::unique_ptr<KekSource> kek,
                                          FileKeyStoreOptions options = {}) {
    auto store = FileKeyStore::Open(dir_, std::move(kek), std::move(options));
    EXPECT_TRUE(store.ok()) << store.error().message;
    return store.ok() ? std::move(store).value() : nullptr;
  }
  std::string KeyPath(const std::string& alias) const { return dir_ + "/" + alias + ".key"; }

  TemporaryDirectory temp_;
  const std::string dir_ = temp_.Sub("keys");
};

TEST_F(FileKeyStoreTest, SignaturesVerifyWithTheReturnedPublicKey) {
  auto store = OpenStore(Raw(1));
  auto created = store->CreateSigningKey("device", {});
  ASSERT_TRUE(created.ok()) << created.error().message;
  const Bytes message = ToBytes("GET /accounts");
  auto signature = store->Sign("device", message);
  ASSERT_TRUE(signature.ok()) << signature.error().message;
  EXPECT_EQ(signature->size(), 64u);  // ES256 R || S
  EXPECT_TRUE(
      created->Verify(crypto::SignatureAlgorithm::kEcdsaP256Sha256Raw, message, *signature).ok());
  auto again = store->SigningPublicKey("device");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ToSpkiDer(), created->ToSpkiDer());
}

TEST_F(FileKeyStoreTest, DirectoryIs0700AndFilesAre0600) {
  auto store = OpenStore(Raw(1));
  ASSERT_TRUE(store->CreateSigningKey("device", {}).ok());
  EXPECT_EQ(ModeOf(dir_), 0700u);
  EXPECT_EQ(ModeOf(dir_ + "/keystore.meta"), 0600u);
  EXPECT_EQ(ModeOf(KeyPath("device")), 0600u);
}

TEST_F(FileKeyStoreTest, ExistingAliasIsNeverReplaced) {
  auto store = OpenStore(Raw(1));
  auto first = store->CreateSigningKey("device", {});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(store->CreateSigningKey("device", {}).code(), Code::kKeyExists);
  EXPECT_EQ(store->CreateSealingKey("device", {}).code(), Code::kKeyExists);
  EXPECT_EQ(store->SigningPublicKey("device")->ToSpkiDer(), first->ToSpkiDer());
}

TEST_F(FileKeyStoreTest, SealOpenRoundTripAndAssociatedDataIsBound) {
  auto store = OpenStore(Raw(1));
  ASSERT_TRUE(store->CreateSealingKey("wrap", {}).ok());
  auto sealed = store->Seal("wrap", AsBytes("refresh-token"), AsBytes("item-a"));
  ASSERT_TRUE(sealed.ok());
  auto opened = store->Open("wrap", *sealed, AsBytes("item-a"));
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(AsString(opened->view()), "refresh-token");
  EXPECT_EQ(store->Open("wrap", *sealed, AsBytes("item-b")).code(), Code::kCryptoDecryptFailed);
  Bytes truncated(sealed->begin(), sealed->end() - 1);
  EXPECT_EQ(store->Open("wrap", truncated, AsBytes("item-a")).code(), Code::kCryptoDecryptFailed);
}

TEST_F(FileKeyStoreTest, KeyTypesAreNotInterchangeable) {
  auto store = OpenStore(Raw(1));
  ASSERT_TRUE(store->CreateSigningKey("sign", {}).ok());
  ASSERT_TRUE(store->CreateSealingKey("seal", {}).ok());
  EXPECT_EQ(store->Sign("seal", AsBytes("m")).code(), Code::kCryptoKeyTypeMismatch);
  EXPECT_EQ(store->SigningPublicKey("seal").code(), Code::kCryptoKeyTypeMismatch);
  EXPECT_EQ(store->Seal("sign", AsBytes("m"), {}).code(), Code::kCryptoKeyTypeMismatch);
  EXPECT_EQ(store->Open("sign", Bytes(40), {}).code(), Code::kCryptoKeyTypeMismatch);
}

TEST_F(FileKeyStoreTest, AliasesAreValidated) {
  auto store = OpenStore(Raw(1));
  for (std::string alias : {"", ".hidden", "..", "../escape", "a/b", "sp ace", "nul\0x",
                            "caf\xc3\xa9", "keystore.meta\n"}) {
    if (alias == "nul") alias = std::string("nul\0x", 5);
    EXPECT_EQ(store->CreateSigningKey(alias, {}).code(), Code::kKeyAliasInvalid) << alias;
    EXPECT_EQ(store->Exists(alias).code(), Code::kKeyAliasInvalid) << alias;
  }
  EXPECT_EQ(store->CreateSealingKey(std::string(65, 'a'), {}).code(), Code::kKeyAliasInvalid);
  EXPECT_TRUE(store->CreateSealingKey(std::string(64, 'a'), {}).ok());
  EXPECT_TRUE(store->CreateSealingKey("ztm.device-key_1", {}).ok());
}

TEST_F(FileKeyStoreTest, DeleteDestroysTheKey) {
  auto store = OpenStore(Raw(1));
  ASSERT_TRUE(store->CreateSigningKey("device", {}).ok());
  EXPECT_TRUE(*store->Exists("device"));
  ASSERT_TRUE(store->Delete("device").ok());
  EXPECT_FALSE(*store->Exists("device"));
  EXPECT_EQ(store->Sign("device", AsBytes("m")).code(), Code::kKeyNotFound);
  EXPECT_EQ(store->SigningPublicKey("device").code(), Code::kKeyNotFound);
  EXPECT_EQ(store->Delete("device").code(), Code::kKeyNotFound);
  EXPECT_FALSE(std::filesystem::exists(KeyPath("device")));
}

TEST_F(FileKeyStoreTest, ReopensWithTheSameKekAndRefusesAnother) {
  Bytes spki;
  {
    auto store = OpenStore(Raw(1));
    spki = store->CreateSigningKey("device", {})->ToSpkiDer();
  }
  auto reopened = OpenStore(Raw(1));
  EXPECT_EQ(reopened->SigningPublicKey("device")->ToSpkiDer(), spki);
  auto wrong = FileKeyStore::Open(dir_, Raw(2));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.code(), Code::kKekInvalid);
}

TEST_F(FileKeyStoreTest, PassphraseUnlocksAndAWrongOneIsAClearError) {
  Bytes spki;
  {
    auto store = OpenStore(Passphrase("correct horse battery"));
    spki = store->CreateSigningKey("device", {})->ToSpkiDer();
  }
  auto reopened = OpenStore(Passphrase("correct horse battery"));
  EXPECT_EQ(reopened->SigningPublicKey("device")->ToSpkiDer(), spki);
  auto wrong = FileKeyStore::Open(dir_, Passphrase("correct horse battery!"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.code(), Code::kKekInvalid);
  // A store made with a passphrase is not opened with a raw key (or the other way round).
  EXPECT_EQ(FileKeyStore::Open(dir_, Raw(1)).code(), Code::kKekInvalid);
}

TEST_F(FileKeyStoreTest, PassphraseAndCostBoundsAreEnforced) {
  EXPECT_EQ(PassphraseKek::Create(Secret(AsBytes("short"))).code(), Code::kInvalidArgument);
  EXPECT_EQ(PassphraseKek::Create(Secret(Bytes(kMaxPassphraseBytes + 1, 'p'))).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(PassphraseKek::Create(Secret(ToBytes(std::string("pass\0word", 9)))).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(PassphraseKek::Create(Secret(AsBytes("long enough")), Argon2Cost{1, 19 * 1024}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(PassphraseKek::Create(Secret(AsBytes("long enough")), Argon2Cost{2, 8}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(PassphraseKek::Create(Secret(AsBytes("long enough")),
                                  Argon2Cost{2, kMaxArgon2Cost.memory_kib + 1})
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(RawKek::Create(Secret(Bytes(31))).code(), Code::kInvalidArgument);
}

// Metadata layout: magic 4 | version | kind | store id 16 | length 2 | parameters | check.
constexpr std::size_t kParametersOffset = 4 + 1 + 1 + 16 + 2;

TEST_F(FileKeyStoreTest, MetadataWithATrivialArgon2CostIsRefused) {
  OpenStore(Passphrase("correct horse battery"));
  Bytes meta = ReadRaw(dir_ + "/keystore.meta");
  // Memory KiB is the last u32 of the 24 parameter bytes: set it to 8 KiB.
  const std::size_t memory = kParametersOffset + 16 + 4;
  meta[memory] = 0, meta[memory + 1] = 0, meta[memory + 2] = 0, meta[memory + 3] = 8;
  WriteRaw(dir_ + "/keystore.meta", meta);
  EXPECT_EQ(FileKeyStore::Open(dir_, Passphrase("correct horse battery")).code(),
            Code::kVaultCorrupt);
}

TEST_F(FileKeyStoreTest, ModifiedMetadataFailsTheKeyCheck) {
  OpenStore(Passphrase("correct horse battery"));
  Bytes meta = ReadRaw(dir_ + "/keystore.meta");
  meta[kParametersOffset] ^= 1;  // a salt bit: another KEK
  WriteRaw(dir_ + "/keystore.meta", meta);
  EXPECT_EQ(FileKeyStore::Open(dir_, Passphrase("correct horse battery")).code(),
            Code::kKekInvalid);
}

TEST_F(FileKeyStoreTest, MalformedMetadataIsCorrupt) {
  OpenStore(Raw(1));
  const Bytes meta = ReadRaw(dir_ + "/keystore.meta");
  for (std::size_t length : {std::size_t{0}, std::size_t{4}, meta.size() - 1}) {
    WriteRaw(dir_ + "/keystore.meta", ByteView(meta).first(length));
    EXPECT_EQ(FileKeyStore::Open(dir_, Raw(1)).code(), Code::kVaultCorrupt) << length;
  }
  Bytes longer = meta;
  longer.push_back(0);
  WriteRaw(dir_ + "/keystore.meta", longer);
  EXPECT_EQ(FileKeyStore::Open(dir_, Raw(1)).code(), Code::kVaultCorrupt);
  Bytes version = meta;
  version[4] = 2;
  WriteRaw(dir_ + "/keystore.meta", version);
  EXPECT_EQ(FileKeyStore::Open(dir_, Raw(1)).code(), Code::kVaultCorrupt);
}

TEST_F(FileKeyStoreTest, KeyFilesWithoutMetadataAreNotSilentlyReinitialised) {
  {
    auto store = OpenStore(Raw(1));
    ASSERT_TRUE(store->CreateSigningKey("device", {}).ok());
  }
  ASSERT_EQ(::unlink((dir_ + "/keystore.meta").c_str()), 0);
  EXPECT_EQ(FileKeyStore::Open(dir_, Raw(1)).code(), Code::kVaultCorrupt);
}

TEST_F(FileKeyStoreTest, TamperedOrTruncatedKeyFileIsDetected) {
  auto store = OpenStore(Raw(1));
  ASSERT_TRUE(store->CreateSigningKey("device", {}).ok());
  const Bytes original = ReadRaw(KeyPath("device"));
  ASSERT_EQ(original.size(), kKeyHeaderBytes + 12 + 32 + 16);
  for (std::size_t i = 0; i < original.size(); ++i) {
    Bytes flipped = original;
    flipped[i] ^= 0x01;
    WriteRaw(KeyPath("device"), flipped);
    EXPECT_EQ(store->Sign("device", AsBytes("m")).code(), Code::kVaultCorrupt) << "byte " << i;
  }
  for (std::size_t length : {std::size_t{0}, std::size_t{7}, original.size() - 1}) {
    WriteRaw(KeyPath("device"), ByteView(original).first(length));
    EXPECT_EQ(store->Sign("device", AsBytes("m")).code(), Code::kVaultCorrupt) << length;
  }
  WriteRaw(KeyPath("device"), Bytes(4096, 'A'));
  EXPECT_EQ(store->Sign("device", AsBytes("m")).code(), Code::kVaultCorrupt);
  WriteRaw(KeyPath("device"), original);
  EXPECT_TRUE(store->Sign("device", AsBytes("m")).ok());
}

TEST_F(FileKeyStoreTest, SwappedOrRenamedKeyFilesAreDetected) {
  auto store = OpenStore(Raw(1));
  ASSERT_TRUE(store->CreateSigningKey("alice", {}).ok());
  ASSERT_TRUE(store->CreateSigningKey("bob", {}).ok());
  // Copy alice's key over bob's: bob must not silently become alice.
  WriteRaw(KeyPath("bob"), ReadRaw(KeyPath("alice")));
  EXPECT_EQ(store->Sign("bob", AsBytes("m")).code(), Code::kVaultCorrupt);
  // Rename alice's key to a fresh alias.
  std::filesystem::rename(KeyPath("alice"), KeyPath("carol"));
  EXPECT_EQ(store->SigningPublicKey("carol").code(), Code::kVaultCorrupt);
}

TEST_F(FileKeyStoreTest, KeyFileFromAnotherStoreUnderTheSameKekIsRejected) {
  TemporaryDirectory other_temp;
  const std::string other_dir = other_temp.Sub("keys");
  auto other = std::move(FileKeyStore::Open(other_dir, Raw(1))).value();
  ASSERT_TRUE(other->CreateSigningKey("device", {}).ok());
  auto store = OpenStore(Raw(1));
  WriteRaw(KeyPath("device"), ReadRaw(other_dir + "/device.key"));
  EXPECT_EQ(store->Sign("device", AsBytes("m")).code(), Code::kVaultCorrupt);
}

TEST_F(FileKeyStoreTest, UserPresenceFlagCannotBeStrippedFromTheFile) {
  auto store = OpenStore(Raw(1));
  ASSERT_TRUE(store->CreateSigningKey("step-up", KeyOptions{.user_presence = true}).ok());
  Bytes file = ReadRaw(KeyPath("step-up"));
  ASSERT_EQ(file[6], 0x01);
  file[6] = 0x00;
  WriteRaw(KeyPath("step-up"), file);
  EXPECT_EQ(store->Sign("step-up", AsBytes("m")).code(), Code::kVaultCorrupt);
}

TEST_F(FileKeyStoreTest, UserPresenceGatesUseButNotThePublicKey) {
  int prompts = 0;
  bool approve = false;
  FileKeyStoreOptions options;
  options.user_presence_prompt = [&](std::string_view alias) -> Status {
    ++prompts;
    EXPECT_TRUE(alias == "step-up" || alias == "gated-seal") << alias;
    if (!approve) return Error{Code::kUserPresenceRequired, "user cancelled"};
    return OkStatus();
  };
  auto store = OpenStore(Raw(1), options);
  ASSERT_TRUE(store->CreateSigningKey("step-up", KeyOptions{.user_presence = true}).ok());
  ASSERT_TRUE(store->CreateSigningKey("plain", {}).ok());
  EXPECT_EQ(store->Sign("step-up", AsBytes("m")).code(), Code::kUserPresenceRequired);
  EXPECT_EQ(prompts, 1);
  approve = true;
  EXPECT_TRUE(store->Sign("step-up", AsBytes("m")).ok());
  EXPECT_EQ(prompts, 2);
  EXPECT_TRUE(store->SigningPublicKey("step-up").ok());
  EXPECT_TRUE(store->Sign("plain", AsBytes("m")).ok());
  EXPECT_EQ(prompts, 2);

  ASSERT_TRUE(store->CreateSealingKey("gated-seal", KeyOptions{.user_presence = true}).ok());
  approve = false;
  EXPECT_EQ(store->Seal("gated-seal", AsBytes("x"), {}).code(), Code::kUserPresenceRequired);
}

TEST_F(FileKeyStoreTest, UserPresenceKeyWithoutAPromptCannotBeUsed) {
  auto store = OpenStore(Raw(1));
  ASSERT_TRUE(store->CreateSigningKey("step-up", KeyOptions{.user_presence = true}).ok());
  EXPECT_EQ(store->Sign("step-up", AsBytes("m")).code(), Code::kUserPresenceRequired);
}

TEST_F(FileKeyStoreTest, GroupOrWorldAccessibleDirectoryIsRefused) {
  OpenStore(Raw(1));
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  EXPECT_EQ(FileKeyStore::Open(dir_, Raw(1)).code(), Code::kKeyStoreInsecure);
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
  EXPECT_TRUE(FileKeyStore::Open(dir_, Raw(1)).ok());
}

TEST_F(FileKeyStoreTest, SymlinkedDirectoryIsRefused) {
  OpenStore(Raw(1));
  const std::string link = temp_.Sub("link");
  ASSERT_EQ(::symlink(dir_.c_str(), link.c_str()), 0);
  EXPECT_EQ(FileKeyStore::Open(link, Raw(1)).code(), Code::kKeyStoreInsecure);
}

TEST_F(FileKeyStoreTest, ReadableKeyFileOrSymlinkIsRefused) {
  auto store = OpenStore(Raw(1));
  ASSERT_TRUE(store->CreateSigningKey("device", {}).ok());
  ASSERT_EQ(::chmod(KeyPath("device").c_str(), 0644), 0);
  EXPECT_EQ(store->Sign("device", AsBytes("m")).code(), Code::kKeyStoreInsecure);
  ASSERT_EQ(::chmod(KeyPath("device").c_str(), 0600), 0);
  ASSERT_EQ(::chmod((dir_ + "/keystore.meta").c_str(), 0640), 0);
  EXPECT_EQ(FileKeyStore::Open(dir_, Raw(1)).code(), Code::kKeyStoreInsecure);
  ASSERT_EQ(::chmod((dir_ + "/keystore.meta").c_str(), 0600), 0);
  std::filesystem::rename(KeyPath("device"), temp_.Sub("elsewhere.key"));
  ASSERT_EQ(::symlink(temp_.Sub("elsewhere.key").c_str(), KeyPath("device").c_str()), 0);
  EXPECT_EQ(store->Sign("device", AsBytes("m")).code(), Code::kKeyStoreInsecure);
}

TEST_F(FileKeyStoreTest, WipeAllRemovesEverythingAndClosesTheStore) {
  auto store = OpenStore(Raw(1));
  ASSERT_TRUE(store->CreateSigningKey("device", {}).ok());
  ASSERT_TRUE(store->CreateSealingKey("wrap", {}).ok());
  ASSERT_TRUE(store->WipeAll().ok());
  EXPECT_FALSE(std::filesystem::exists(dir_));
  EXPECT_EQ(store->Sign("device", AsBytes("m")).code(), Code::kKeyStoreClosed);
  EXPECT_EQ(store->CreateSigningKey("device", {}).code(), Code::kKeyStoreClosed);
  EXPECT_EQ(store->WipeAll().code(), Code::kKeyStoreClosed);
}

TEST_F(FileKeyStoreTest, DestroyNeedsNoPassphrase) {
  {
    auto store = OpenStore(Passphrase("correct horse battery"));
    ASSERT_TRUE(store->CreateSigningKey("device", {}).ok());
  }
  ASSERT_TRUE(FileKeyStore::Destroy(dir_, nullptr).ok());
  EXPECT_FALSE(std::filesystem::exists(dir_));
  EXPECT_TRUE(FileKeyStore::Destroy(dir_, nullptr).ok());  // nothing left: still fine
}

TEST_F(FileKeyStoreTest, DestroyDoesNotFollowASymlinkButWipesALoosenedStore) {
  {
    auto store = OpenStore(Raw(1));
    ASSERT_TRUE(store->CreateSigningKey("device", {}).ok());
  }
  const std::string link = temp_.Sub("link");
  ASSERT_EQ(::symlink(dir_.c_str(), link.c_str()), 0);
  EXPECT_EQ(FileKeyStore::Destroy(link, nullptr).code(), Code::kKeyStoreInsecure);
  EXPECT_TRUE(std::filesystem::exists(KeyPath("device")));
  // A store someone made readable is refused for use, but must still be wipeable.
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  EXPECT_TRUE(FileKeyStore::Destroy(dir_, nullptr).ok());
  EXPECT_FALSE(std::filesystem::exists(dir_));
}

// The kernel keyring is tried for real; only a kernel or sandbox that refuses keyctl skips.
class KernelKeyringKekTest : public FileKeyStoreTest {
 protected:
  void SetUp() override {
    description_ = "ztm-test-" + std::to_string(::getpid()) + "-" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name();
    const key_serial_t probe =
        add_key("user", (description_ + "-probe").c_str(), "x", 1, KEY_SPEC_USER_KEYRING);
    if (probe < 0) {
      GTEST_SKIP() << "the kernel keyring is not available here: add_key: " << std::strerror(errno);
    }
    keyctl_invalidate(probe);
  }
  void TearDown() override {
    const long key = keyctl_search(KEY_SPEC_USER_KEYRING, "user", description_.c_str(), 0);
    if (key >= 0) keyctl_invalidate(static_cast<key_serial_t>(key));
  }
  std::unique_ptr<KekSource> Keyring() {
    return std::move(KernelKeyringKek::Create(description_, KernelKeyring::kUser)).value();
  }
  bool KeyInKeyring() const {
    return keyctl_search(KEY_SPEC_USER_KEYRING, "user", description_.c_str(), 0) >= 0;
  }
  std::string description_;
};

TEST_F(KernelKeyringKekTest, KeysSurviveReopeningWhileTheKeyringKeyLives) {
  Bytes spki;
  {
    auto store = OpenStore(Keyring());
    spki = store->CreateSigningKey("device", {})->ToSpkiDer();
  }
  EXPECT_TRUE(KeyInKeyring());
  auto reopened = OpenStore(Keyring());
  EXPECT_EQ(reopened->SigningPublicKey("device")->ToSpkiDer(), spki);
}

TEST_F(KernelKeyringKekTest, LostKeyringKeyIsKekUnavailable) {
  OpenStore(Keyring());
  ASSERT_TRUE(Keyring()->Forget().ok());
  EXPECT_FALSE(KeyInKeyring());
  EXPECT_EQ(FileKeyStore::Open(dir_, Keyring()).code(), Code::kKekUnavailable);
}

TEST_F(KernelKeyringKekTest, AnotherKeyUnderTheDescriptionIsKekInvalid) {
  OpenStore(Keyring());
  ASSERT_TRUE(Keyring()->Forget().ok());
  ASSERT_TRUE(Keyring()->NewParameters().ok());  // a fresh random key, same description
  EXPECT_EQ(FileKeyStore::Open(dir_, Keyring()).code(), Code::kKekInvalid);
}

TEST_F(KernelKeyringKekTest, WipeAllRemovesTheKeyringKey) {
  auto store = OpenStore(Keyring());
  ASSERT_TRUE(store->CreateSigningKey("device", {}).ok());
  ASSERT_TRUE(store->WipeAll().ok());
  EXPECT_FALSE(KeyInKeyring());
  EXPECT_FALSE(std::filesystem::exists(dir_));
}

TEST(KernelKeyringKekCreate, DescriptionIsBounded) {
  EXPECT_EQ(KernelKeyringKek::Create("", KernelKeyring::kUser).code(), Code::kInvalidArgument);
  EXPECT_EQ(KernelKeyringKek::Create(std::string(257, 'd'), KernelKeyring::kUser).code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace ztm::client
