#include "client/storage/secure_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "client/keystore/file_key_store.h"
#include "client/storage/storage_test_util.h"

namespace ztm::client {
namespace {

using testing::Contains;
using testing::ModeOf;
using testing::ReadRaw;
using testing::TemporaryDirectory;
using testing::WriteRaw;

class SecureStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto kek = std::move(RawKek::Create(Secret(Bytes(kKekBytes, 7)))).value();
    auto keys = FileKeyStore::Open(temp_.Sub("keys"), std::move(kek));
    ASSERT_TRUE(keys.ok()) << keys.error().message;
    keys_ = std::move(keys).value();
    auto store = SecureStore::Open(dir_, keys_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
  }
  std::string ItemPath(const std::string& name) const { return dir_ + "/" + name + ".item"; }

  TemporaryDirectory temp_;
  const std::string dir_ = temp_.Sub("secure");
  std::shared_ptr<KeyStore> keys_;
  std::unique_ptr<SecureStore> store_;
};

TEST_F(SecureStoreTest, PutGetRoundTripAndReplace) {
  ASSERT_TRUE(store_->Put("refresh_token", AsBytes("rt-1")).ok());
  auto value = store_->Get("refresh_token");
  ASSERT_TRUE(value.ok()) << value.error().message;
  EXPECT_EQ(AsString(value->view()), "rt-1");
  ASSERT_TRUE(store_->Put("refresh_token", Secret(AsBytes("rt-2"))).ok());
  EXPECT_EQ(AsString(store_->Get("refresh_token")->view()), "rt-2");
  ASSERT_TRUE(store_->Put("empty", ByteView()).ok());
  EXPECT_TRUE(store_->Get("empty")->empty());
  EXPECT_EQ(*store_->List(), (std::vector<std::string>{"empty", "refresh_token"}));
}

TEST_F(SecureStoreTest, FilesAreOwnerOnlyAndHoldNoPlaintext) {
  const std::string token = "eyJhbGciOiJFUzI1NiJ9.refresh-token-plaintext";
  ASSERT_TRUE(store_->Put("refresh_token", AsBytes(token)).ok());
  EXPECT_EQ(ModeOf(dir_), 0700u);
  EXPECT_EQ(ModeOf(ItemPath("refresh_token")), 0600u);
  EXPECT_FALSE(Contains(ReadRaw(ItemPath("refresh_token")), AsBytes(token)));
}

TEST_F(SecureStoreTest, NotFoundIsDistinctFromTampered) {
  EXPECT_EQ(store_->Get("device_id").code(), Code::kSecureItemNotFound);
  EXPECT_EQ(store_->Remove("device_id").code(), Code::kSecureItemNotFound);
  ASSERT_TRUE(store_->Put("device_id", AsBytes("d-1")).ok());
  ASSERT_TRUE(store_->Remove("device_id").ok());
  EXPECT_EQ(store_->Get("device_id").code(), Code::kSecureItemNotFound);
}

TEST_F(SecureStoreTest, SwappedItemsAreDetectedThroughTheName) {
  ASSERT_TRUE(store_->Put("refresh_token", AsBytes("secret-refresh")).ok());
  ASSERT_TRUE(store_->Put("device_id", AsBytes("public-device-id")).ok());
  const Bytes refresh = ReadRaw(ItemPath("refresh_token"));
  const Bytes device = ReadRaw(ItemPath("device_id"));
  WriteRaw(ItemPath("refresh_token"), device);
  WriteRaw(ItemPath("device_id"), refresh);
  EXPECT_EQ(store_->Get("refresh_token").code(), Code::kSecureItemTampered);
  EXPECT_EQ(store_->Get("device_id").code(), Code::kSecureItemTampered);
}

TEST_F(SecureStoreTest, EveryModifiedByteIsDetected) {
  ASSERT_TRUE(store_->Put("refresh_token", AsBytes("secret-refresh")).ok());
  const Bytes original = ReadRaw(ItemPath("refresh_token"));
  for (std::size_t i = 0; i < original.size(); ++i) {
    Bytes flipped = original;
    flipped[i] ^= 0x80;
    WriteRaw(ItemPath("refresh_token"), flipped);
    EXPECT_EQ(store_->Get("refresh_token").code(), Code::kSecureItemTampered) << "byte " << i;
  }
}

TEST_F(SecureStoreTest, TruncatedOrOversizedItemsAreDetected) {
  ASSERT_TRUE(store_->Put("refresh_token", AsBytes("secret-refresh")).ok());
  const Bytes original = ReadRaw(ItemPath("refresh_token"));
  for (std::size_t length :
       {std::size_t{0}, std::size_t{3}, std::size_t{5}, std::size_t{5 + 27}, original.size() - 1}) {
    WriteRaw(ItemPath("refresh_token"), ByteView(original).first(length));
    EXPECT_EQ(store_->Get("refresh_token").code(), Code::kSecureItemTampered) << length;
  }
  WriteRaw(ItemPath("refresh_token"), Bytes(kMaxSecureItemBytes + 1024, 'A'));
  EXPECT_EQ(store_->Get("refresh_token").code(), Code::kSecureItemTampered);
}

TEST_F(SecureStoreTest, ItemUnderAnotherKeyIsTamperedNotData) {
  ASSERT_TRUE(store_->Put("refresh_token", AsBytes("secret-refresh")).ok());
  // Replace the sealing key: same alias, new key material.
  ASSERT_TRUE(keys_->Delete(kDefaultSecureStoreKeyAlias).ok());
  ASSERT_TRUE(keys_->CreateSealingKey(kDefaultSecureStoreKeyAlias, {}).ok());
  EXPECT_EQ(store_->Get("refresh_token").code(), Code::kSecureItemTampered);
}

TEST_F(SecureStoreTest, ItemFromAnotherStoreIsTampered) {
  TemporaryDirectory other_temp;
  auto other_keys = std::shared_ptr<KeyStore>(
      std::move(FileKeyStore::Open(other_temp.Sub("keys"),
                                   std::move(RawKek::Create(Secret(Bytes(32, 7)))).value()))
          .value());
  auto other = std::move(SecureStore::Open(other_temp.Sub("secure"), other_keys)).value();
  ASSERT_TRUE(other->Put("refresh_token", AsBytes("attacker-token")).ok());
  WriteRaw(ItemPath("refresh_token"), ReadRaw(other_temp.Sub("secure/refresh_token.item")));
  EXPECT_EQ(store_->Get("refresh_token").code(), Code::kSecureItemTampered);
}

TEST_F(SecureStoreTest, OpenDropsItemsWhoseKeyIsGone) {
  ASSERT_TRUE(store_->Put("refresh_token", AsBytes("secret-refresh")).ok());
  store_.reset();
  ASSERT_TRUE(keys_->Delete(kDefaultSecureStoreKeyAlias).ok());
  auto reopened = SecureStore::Open(dir_, keys_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->Get("refresh_token").code(), Code::kSecureItemNotFound);
  EXPECT_FALSE(std::filesystem::exists(ItemPath("refresh_token")));
}

TEST_F(SecureStoreTest, ReadableItemFileIsRefused) {
  ASSERT_TRUE(store_->Put("refresh_token", AsBytes("secret-refresh")).ok());
  ASSERT_EQ(::chmod(ItemPath("refresh_token").c_str(), 0644), 0);
  EXPECT_EQ(store_->Get("refresh_token").code(), Code::kKeyStoreInsecure);
}

TEST_F(SecureStoreTest, SizeAndNameBounds) {
  EXPECT_TRUE(store_->Put("big", Bytes(kMaxSecureItemBytes, 'x')).ok());
  EXPECT_EQ(store_->Get("big")->size(), kMaxSecureItemBytes);
  EXPECT_EQ(store_->Put("too_big", Bytes(kMaxSecureItemBytes + 1, 'x')).code(),
            Code::kInputTooLarge);
  for (const std::string& name :
       std::vector<std::string>{"", "../x", ".x", "a/b", std::string(65, 'n')}) {
    EXPECT_EQ(store_->Put(name, AsBytes("v")).code(), Code::kKeyAliasInvalid) << name;
    EXPECT_EQ(store_->Get(name).code(), Code::kKeyAliasInvalid) << name;
  }
}

TEST_F(SecureStoreTest, ItemCountIsBounded) {
  for (std::size_t i = 0; i < kMaxSecureItems; ++i) {
    ASSERT_TRUE(store_->Put("item" + std::to_string(i), AsBytes("v")).ok()) << i;
  }
  EXPECT_EQ(store_->Put("one_more", AsBytes("v")).code(), Code::kSecureStoreFull);
  EXPECT_TRUE(store_->Put("item0", AsBytes("replaced")).ok());
  ASSERT_TRUE(store_->Remove("item1").ok());
  EXPECT_TRUE(store_->Put("one_more", AsBytes("v")).ok());
}

TEST_F(SecureStoreTest, SigningKeyAliasIsRefused) {
  ASSERT_TRUE(keys_->CreateSigningKey("device", {}).ok());
  EXPECT_EQ(SecureStore::Open(temp_.Sub("other"), keys_, "device").code(),
            Code::kCryptoKeyTypeMismatch);
}

TEST_F(SecureStoreTest, WipeAllDeletesItemsKeyAndDirectory) {
  ASSERT_TRUE(store_->Put("refresh_token", AsBytes("secret-refresh")).ok());
  ASSERT_TRUE(store_->WipeAll().ok());
  EXPECT_FALSE(std::filesystem::exists(dir_));
  EXPECT_FALSE(*keys_->Exists(kDefaultSecureStoreKeyAlias));
  EXPECT_EQ(store_->Get("refresh_token").code(), Code::kKeyStoreClosed);
  EXPECT_EQ(store_->Put("refresh_token", AsBytes("x")).code(), Code::kKeyStoreClosed);
}

TEST_F(SecureStoreTest, DestroyWithoutOpening) {
  ASSERT_TRUE(store_->Put("refresh_token", AsBytes("secret-refresh")).ok());
  store_.reset();
  ASSERT_TRUE(SecureStore::Destroy(dir_, keys_.get(), kDefaultSecureStoreKeyAlias).ok());
  EXPECT_FALSE(std::filesystem::exists(dir_));
  EXPECT_FALSE(*keys_->Exists(kDefaultSecureStoreKeyAlias));
  EXPECT_TRUE(SecureStore::Destroy(dir_, keys_.get(), kDefaultSecureStoreKeyAlias).ok());
}

TEST_F(SecureStoreTest, DestroyDoesNotFollowASymlinkedDirectory) {
  ASSERT_TRUE(store_->Put("refresh_token", AsBytes("secret-refresh")).ok());
  const std::string link = temp_.Sub("link");
  ASSERT_EQ(::symlink(dir_.c_str(), link.c_str()), 0);
  EXPECT_EQ(SecureStore::Destroy(link, nullptr, kDefaultSecureStoreKeyAlias).code(),
            Code::kKeyStoreInsecure);
  EXPECT_TRUE(std::filesystem::exists(ItemPath("refresh_token")));
}

}  // namespace
}  // namespace ztm::client

namespace ztm::client {
namespace {

// A key store that wrongly says "no key" (a platform keystore while the device is locked),
// delegating everything else.
class LyingExistsKeyStore final : public KeyStore {
 public:
  explicit LyingExistsKeyStore(std::shared_ptr<KeyStore> inner) : inner_(std::move(inner)) {}
  Result<crypto::PublicKey> CreateSigningKey(std::string_view alias,
                                             const KeyOptions& options) override {
    return inner_->CreateSigningKey(alias, options);
  }
  Result<crypto::PublicKey> SigningPublicKey(std::string_view alias) override {
    return inner_->SigningPublicKey(alias);
  }
  Result<Bytes> Sign(std::string_view alias, ByteView message) override {
    return inner_->Sign(alias, message);
  }
  Status CreateSealingKey(std::string_view alias, const KeyOptions& options) override {
    return inner_->CreateSealingKey(alias, options);
  }
  Result<Bytes> Seal(std::string_view alias, ByteView plaintext, ByteView aad) override {
    return inner_->Seal(alias, plaintext, aad);
  }
  Result<Secret> Open(std::string_view alias, ByteView sealed, ByteView aad) override {
    return inner_->Open(alias, sealed, aad);
  }
  Status Delete(std::string_view alias) override { return inner_->Delete(alias); }
  Result<bool> Exists(std::string_view) override { return false; }

 private:
  std::shared_ptr<KeyStore> inner_;
};

TEST_F(SecureStoreTest, ItemsSurviveAKeyStoreThatWronglySaysNoKey) {
  ASSERT_TRUE(store_->Put("refresh_token", AsBytes("rt-1")).ok());
  store_.reset();
  auto reopened = SecureStore::Open(dir_, std::make_shared<LyingExistsKeyStore>(keys_));
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  auto value = (*reopened)->Get("refresh_token");
  ASSERT_TRUE(value.ok()) << value.error().message;
  EXPECT_EQ(AsString(value->view()), "rt-1");
}

}  // namespace
}  // namespace ztm::client
