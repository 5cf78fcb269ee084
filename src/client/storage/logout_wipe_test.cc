// The logout wipe, end to end over the three stores: afterwards no file under the app's data
// directory holds key material, tokens or app data, and nothing of the stores is left.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>

#include "client/keystore/file_key_store.h"
#include "client/storage/encrypted_database.h"
#include "client/storage/secure_store.h"
#include "client/storage/storage_test_util.h"
#include "core/crypto/crypto.h"
#include "core/encoding.h"

namespace ztm::client {
namespace {

using testing::Contains;
using testing::FilesUnder;
using testing::ReadRaw;
using testing::TemporaryDirectory;
using testing::WriteRaw;

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

class LogoutWipeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kek_ = crypto::RandomSecret(kKekBytes);
    keys_ =
        std::move(FileKeyStore::Open(keys_dir_, std::move(RawKek::Create(kek_)).value())).value();
    ASSERT_TRUE(keys_->CreateSigningKey("device", {}).ok());
    secure_ = std::move(SecureStore::Open(secure_dir_, keys_)).value();
    ASSERT_TRUE(secure_->Put("refresh_token", AsBytes(kRefreshToken)).ok());
    ASSERT_TRUE(secure_->Put("access_token", AsBytes(kAccessToken)).ok());
    db_ = std::move(EncryptedDatabase::Open(db_path_, *secure_)).value();
    ASSERT_TRUE(db_->Exec("CREATE TABLE t (v TEXT)").ok());
    ASSERT_TRUE(
        db_->Exec("INSERT INTO t VALUES (?)", std::vector<SqlValue>{std::string(kAppData)}).ok());
    // A crash between writing a temporary file and renaming it leaves a sealed copy behind.
    WriteRaw(keys_dir_ + "/.tmp-deadbeefdeadbeef", ReadRaw(keys_dir_ + "/device.key"));
    Collect();
  }

  // Every byte string that must not survive the wipe, read while the stores are intact.
  void Collect() {
    const Secret db_key = std::move(secure_->Get(kDefaultDatabaseKeyItem)).value();
    const std::string hex = HexEncode(db_key.view());
    secrets_ = {Bytes(kek_.view().begin(), kek_.view().end()),
                ToBytes(kRefreshToken),
                ToBytes(kAccessToken),
                ToBytes(kAppData),
                Bytes(db_key.view().begin(), db_key.view().end()),
                ToBytes(hex),
                ToBytes(Upper(hex)),
                DevicePrivateScalar()};
    // The sealed forms too: with them gone, no later leak of the KEK can recover anything.
    sealed_ = {ReadRaw(keys_dir_ + "/device.key"),
               ReadRaw(keys_dir_ + "/" + std::string(kDefaultSecureStoreKeyAlias) + ".key"),
               ReadRaw(secure_dir_ + "/refresh_token.item")};
    for (Bytes& sealed : sealed_) ASSERT_GT(sealed.size(), 32u);
  }

  // Unseals device.key with the known KEK, following the documented format, so the scan can
  // look for the private scalar itself.
  Bytes DevicePrivateScalar() {
    const Bytes meta = ReadRaw(keys_dir_ + "/keystore.meta");
    const Bytes file = ReadRaw(keys_dir_ + "/device.key");
    Bytes aad(file.begin(), file.begin() + 7);
    aad.insert(aad.end(), meta.begin() + 6, meta.begin() + 6 + 16);  // store id
    const ByteView alias = AsBytes("device");
    aad.insert(aad.end(), alias.begin(), alias.end());
    auto scalar = crypto::AesGcmOpenWithNonce(kek_.view(), ByteView(file).subspan(7), aad);
    EXPECT_TRUE(scalar.ok());
    if (!scalar.ok()) return Bytes(32, 0);
    auto key = crypto::PrivateKey::FromEcScalar(*scalar);
    EXPECT_EQ(key->public_key().ToSpkiDer(), keys_->SigningPublicKey("device")->ToSpkiDer());
    return std::move(scalar).value();
  }

  // Names every file under the data directory holding one of `needles`.
  std::vector<std::string> FilesContaining(const std::vector<Bytes>& needles) const {
    std::vector<std::string> found;
    for (const std::string& file : FilesUnder(temp_.path())) {
      const Bytes content = ReadRaw(file);
      for (const Bytes& needle : needles) {
        if (Contains(content, needle)) found.push_back(file);
      }
    }
    return found;
  }

  static constexpr std::string_view kRefreshToken = "rt.family-42.Zm9vYmFyYmF6cXV4";
  static constexpr std::string_view kAccessToken = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln";
  static constexpr std::string_view kAppData = "offline-record: account 1234 balance 99";

  TemporaryDirectory temp_;
  const std::string keys_dir_ = temp_.Sub("keys");
  const std::string secure_dir_ = temp_.Sub("secure");
  const std::string db_path_ = temp_.Sub("app.db");
  Secret kek_;
  std::shared_ptr<FileKeyStore> keys_;
  std::unique_ptr<SecureStore> secure_;
  std::unique_ptr<EncryptedDatabase> db_;
  std::vector<Bytes> secrets_;
  std::vector<Bytes> sealed_;
};

TEST_F(LogoutWipeTest, AtRestNoFileHoldsAnySecretInTheClear) {
  EXPECT_FALSE(FilesUnder(temp_.path()).empty());
  EXPECT_EQ(FilesContaining(secrets_), std::vector<std::string>{});
}

TEST_F(LogoutWipeTest, AfterWipeNoFileHoldsKeysTokensOrData) {
  ASSERT_TRUE(db_->Wipe().ok());
  ASSERT_TRUE(secure_->WipeAll().ok());
  ASSERT_TRUE(keys_->WipeAll().ok());
  EXPECT_EQ(FilesContaining(secrets_), std::vector<std::string>{});
  EXPECT_EQ(FilesContaining(sealed_), std::vector<std::string>{});
  EXPECT_EQ(FilesUnder(temp_.path()), std::vector<std::string>{});
  EXPECT_FALSE(std::filesystem::exists(keys_dir_));
  EXPECT_FALSE(std::filesystem::exists(secure_dir_));
}

TEST_F(LogoutWipeTest, DestroyWithoutUnlockingAlsoLeavesNothing) {
  // Logout when the passphrase is forgotten or the keyring key is gone: nothing is opened.
  db_.reset();
  secure_.reset();
  keys_.reset();
  ASSERT_TRUE(EncryptedDatabase::Destroy(db_path_, nullptr, kDefaultDatabaseKeyItem).ok());
  ASSERT_TRUE(SecureStore::Destroy(secure_dir_, nullptr, kDefaultSecureStoreKeyAlias).ok());
  ASSERT_TRUE(FileKeyStore::Destroy(keys_dir_, nullptr).ok());
  EXPECT_EQ(FilesContaining(secrets_), std::vector<std::string>{});
  EXPECT_EQ(FilesContaining(sealed_), std::vector<std::string>{});
  EXPECT_EQ(FilesUnder(temp_.path()), std::vector<std::string>{});
}

}  // namespace
}  // namespace ztm::client
