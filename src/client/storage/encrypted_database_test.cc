#include "client/storage/encrypted_database.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cctype>
#include <filesystem>

#include "client/keystore/file_key_store.h"
#include "client/storage/storage_test_util.h"
#include "core/crypto/crypto.h"
#include "core/encoding.h"

namespace ztm::client {
namespace {

using testing::Contains;
using testing::ModeOf;
using testing::ReadRaw;
using testing::TemporaryDirectory;
using testing::WriteRaw;

class EncryptedDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto kek = std::move(RawKek::Create(Secret(Bytes(kKekBytes, 9)))).value();
    keys_ = std::move(FileKeyStore::Open(temp_.Sub("keys"), std::move(kek))).value();
    auto secure = SecureStore::Open(temp_.Sub("secure"), keys_);
    ASSERT_TRUE(secure.ok()) << secure.error().message;
    secure_ = std::move(secure).value();
  }
  std::unique_ptr<EncryptedDatabase> OpenDb() {
    auto db = EncryptedDatabase::Open(path_, *secure_);
    EXPECT_TRUE(db.ok()) << db.error().message;
    return db.ok() ? std::move(db).value() : nullptr;
  }

  TemporaryDirectory temp_;
  const std::string path_ = temp_.Sub("app.db");
  std::shared_ptr<KeyStore> keys_;
  std::unique_ptr<SecureStore> secure_;
};

TEST_F(EncryptedDatabaseTest, StoresAndQueriesWithBoundParameters) {
  auto db = OpenDb();
  ASSERT_TRUE(db->Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT, body BLOB, "
                       "score REAL, extra)")
                  .ok());
  const std::vector<SqlValue> row = {std::int64_t{1}, std::string("it's; DROP TABLE notes"),
                                     Bytes{0, 1, 2}, 2.5, nullptr};
  ASSERT_TRUE(db->Exec("INSERT INTO notes VALUES (?, ?, ?, ?, ?)", row).ok());
  auto rows = db->Query("SELECT id, title, body, score, extra FROM notes WHERE id = ?",
                        std::vector<SqlValue>{std::int64_t{1}});
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0], row);
}

TEST_F(EncryptedDatabaseTest, FileIsEncrypted0600AndReopens) {
  const std::string marker = "plaintext-marker-in-the-app-data";
  {
    auto db = OpenDb();
    ASSERT_TRUE(db->Exec("CREATE TABLE t (v TEXT)").ok());
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (?)", std::vector<SqlValue>{marker}).ok());
    EXPECT_EQ(ModeOf(path_), 0600u);
    EXPECT_EQ(ModeOf(path_ + "-wal"), 0600u);
  }
  const Bytes file = ReadRaw(path_);
  ASSERT_GE(file.size(), 16u);
  EXPECT_NE(AsString(ByteView(file).first(16)), std::string_view("SQLite format 3\0", 16));
  EXPECT_FALSE(Contains(file, AsBytes(marker)));
  auto db = OpenDb();
  auto rows = db->Query("SELECT v FROM t");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(std::get<std::string>((*rows)[0][0]), marker);
  // The key lives in the secure store, sealed; never in the clear next to the database.
  auto key = secure_->Get(kDefaultDatabaseKeyItem);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->size(), kDatabaseKeyBytes);
  for (const std::string& f : testing::FilesUnder(temp_.path())) {
    EXPECT_FALSE(Contains(ReadRaw(f), key->view())) << f;
    std::string hex = HexEncode(key->view());
    EXPECT_FALSE(Contains(ReadRaw(f), AsBytes(hex))) << f;
    for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_FALSE(Contains(ReadRaw(f), AsBytes(hex))) << f;
  }
}

TEST_F(EncryptedDatabaseTest, PlainSqliteFileIsAClearError) {
  sqlite3* plain = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &plain), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(plain, "CREATE TABLE t (v); INSERT INTO t VALUES (1)", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(plain);
  ::chmod(path_.c_str(), 0600);
  auto opened = EncryptedDatabase::Open(path_, *secure_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), Code::kDatabaseNotEncrypted);
  EXPECT_EQ(EncryptedDatabase::OpenWithKey(path_, crypto::RandomSecret(32), false).code(),
            Code::kDatabaseNotEncrypted);
  // Refused before a key was made for it.
  EXPECT_EQ(secure_->Get(kDefaultDatabaseKeyItem).code(), Code::kSecureItemNotFound);
}

TEST_F(EncryptedDatabaseTest, WrongKeyIsAClearError) {
  const Secret key = crypto::RandomSecret(32);
  {
    auto db = EncryptedDatabase::OpenWithKey(path_, key, /*create=*/true);
    ASSERT_TRUE(db.ok()) << db.error().message;
    ASSERT_TRUE((*db)->Exec("CREATE TABLE t (v)").ok());
  }
  auto wrong = EncryptedDatabase::OpenWithKey(path_, crypto::RandomSecret(32), false);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.code(), Code::kDatabaseKeyInvalid);
  EXPECT_TRUE(EncryptedDatabase::OpenWithKey(path_, key, false).ok());
}

TEST_F(EncryptedDatabaseTest, ReplacedKeyItemIsAClearError) {
  {
    auto db = OpenDb();
    ASSERT_TRUE(db->Exec("CREATE TABLE t (v)").ok());
  }
  ASSERT_TRUE(secure_->Put(kDefaultDatabaseKeyItem, crypto::RandomSecret(32)).ok());
  EXPECT_EQ(EncryptedDatabase::Open(path_, *secure_).code(), Code::kDatabaseKeyInvalid);
}

TEST_F(EncryptedDatabaseTest, DatabaseWhoseKeyIsGoneIsNotReinitialised) {
  {
    auto db = OpenDb();
    ASSERT_TRUE(db->Exec("CREATE TABLE t (v)").ok());
  }
  const Bytes before = ReadRaw(path_);
  ASSERT_TRUE(secure_->Remove(kDefaultDatabaseKeyItem).ok());
  EXPECT_EQ(EncryptedDatabase::Open(path_, *secure_).code(), Code::kDatabaseKeyInvalid);
  EXPECT_EQ(ReadRaw(path_), before);
}

TEST_F(EncryptedDatabaseTest, TamperedKeyItemIsReported) {
  { OpenDb(); }
  const std::string item = temp_.Sub("secure/ztm.database-key.item");
  Bytes sealed = ReadRaw(item);
  sealed.back() ^= 1;
  WriteRaw(item, sealed);
  EXPECT_EQ(EncryptedDatabase::Open(path_, *secure_).code(), Code::kSecureItemTampered);
}

TEST_F(EncryptedDatabaseTest, GarbageFileIsKeyInvalid) {
  WriteRaw(path_, crypto::RandomBytes(4096));
  EXPECT_EQ(EncryptedDatabase::OpenWithKey(path_, crypto::RandomSecret(32), false).code(),
            Code::kDatabaseKeyInvalid);
}

TEST_F(EncryptedDatabaseTest, ReadableOrSymlinkedFileIsRefused) {
  { OpenDb(); }
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  EXPECT_EQ(EncryptedDatabase::Open(path_, *secure_).code(), Code::kKeyStoreInsecure);
  ASSERT_EQ(::chmod(path_.c_str(), 0600), 0);
  const std::string link = temp_.Sub("link.db");
  ASSERT_EQ(::symlink(path_.c_str(), link.c_str()), 0);
  EXPECT_EQ(EncryptedDatabase::Open(link, *secure_).code(), Code::kKeyStoreInsecure);
}

TEST_F(EncryptedDatabaseTest, StatementRulesAreEnforced) {
  auto db = OpenDb();
  ASSERT_TRUE(db->Exec("CREATE TABLE t (v INTEGER NOT NULL)").ok());
  EXPECT_EQ(db->Exec("CREATE TABLE t2 (v); DROP TABLE t").code(), Code::kDatabaseQueryFailed);
  EXPECT_TRUE(db->Query("SELECT * FROM t")->empty());  // t survived
  EXPECT_EQ(db->Exec("INSERT INTO t VALUES (?)").code(), Code::kDatabaseQueryFailed);
  EXPECT_EQ(db->Exec("INSERT INTO t VALUES (1)", std::vector<SqlValue>{std::int64_t{1}}).code(),
            Code::kDatabaseQueryFailed);
  EXPECT_EQ(db->Exec("INSERT INTO t VALUES (?)", std::vector<SqlValue>{nullptr}).code(),
            Code::kDatabaseQueryFailed);
  EXPECT_EQ(db->Exec("SELEC 1").code(), Code::kDatabaseQueryFailed);
  EXPECT_EQ(db->Exec("").code(), Code::kDatabaseQueryFailed);
  EXPECT_TRUE(db->Exec("INSERT INTO t VALUES (1);").ok());
}

TEST_F(EncryptedDatabaseTest, QueryRowsAreBounded) {
  auto db = OpenDb();
  auto rows = db->Query(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) SELECT i FROM n",
      std::vector<SqlValue>{std::int64_t{kMaxQueryRows}});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), kMaxQueryRows);
  EXPECT_EQ(db->Query("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                      "SELECT i FROM n",
                      std::vector<SqlValue>{std::int64_t{kMaxQueryRows + 1}})
                .code(),
            Code::kInputTooLarge);
}

TEST_F(EncryptedDatabaseTest, WipeDeletesFilesAndKey) {
  auto db = OpenDb();
  ASSERT_TRUE(db->Exec("CREATE TABLE t (v)").ok());
  ASSERT_TRUE(db->Wipe().ok());
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    EXPECT_FALSE(std::filesystem::exists(path_ + suffix)) << suffix;
  }
  EXPECT_EQ(secure_->Get(kDefaultDatabaseKeyItem).code(), Code::kSecureItemNotFound);
  EXPECT_EQ(db->Exec("SELECT 1").code(), Code::kKeyStoreClosed);
  // A new open after a wipe starts a fresh, empty database under a fresh key.
  auto fresh = OpenDb();
  EXPECT_TRUE(fresh->Query("SELECT name FROM sqlite_master")->empty());
}

}  // namespace
}  // namespace ztm::client
