// SqliteStore against real SQLite files in a temporary directory: every method and its
// failure paths, concurrent claims from many threads (and two connections), restarts, and
// files that must be refused without being modified.
#include "server/store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "core/crypto/crypto.h"

namespace ztm::server {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::int64_t kDay = 86'400;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteAll(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

Bytes HashOf(std::string_view token) { return crypto::Sha256(token); }

// Runs `sql` on `path` through a raw connection (what an operator with the sqlite3 shell can
// do); returns the SQLite result code.
int RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close_v2(db);
  return rc;
}

std::int64_t RawCount(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::int64_t count = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      count = sqlite3_column_int64(statement, 0);
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close_v2(db);
  return count;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ztm-store-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/gateway.db";
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  SqliteStore& Store() {
    if (!store_) {
      auto opened = SqliteStore::Open(path_);
      if (!opened.ok()) {
        ADD_FAILURE() << opened.error().message;
        std::abort();
      }
      store_ = std::move(opened).value();
    }
    return *store_;
  }
  void Close() { store_.reset(); }

  DeviceRecord Device(const std::string& id) {
    return DeviceRecord{id,          R"({"kty":"EC","crv":"P-256","x":"x","y":"y"})",
                        "jkt-" + id, "software",
                        kNow,        std::nullopt};
  }
  TokenFamily Family(const std::string& id, const std::string& device_id) {
    TokenFamily family;
    family.family_id = id;
    family.subject = "alice";
    family.device_id = device_id;
    family.jkt = "jkt-" + device_id;
    family.acr = "pwd";
    family.auth_time = kNow;
    family.created_at = kNow;
    family.expires_at = kNow + 14 * kDay;
    return family;
  }
  // A device "d1" with family "f1" whose first refresh token is "t0".
  void SeedFamily() {
    ASSERT_TRUE(Store().InsertDevice(Device("d1")).ok());
    ASSERT_TRUE(Store().CreateFamily(Family("f1", "d1"), HashOf("t0")).ok());
  }
  RefreshOutcome Claim(const std::string& presented, const std::string& successor, std::int64_t now,
                       RefreshGrace grace = {}) {
    auto claim = Store().ClaimRefreshToken(HashOf(presented), HashOf(successor), now, grace);
    EXPECT_TRUE(claim.ok()) << claim.error().message;
    return claim.ok() ? claim->outcome : RefreshOutcome::kUnknown;
  }

  std::string dir_;
  std::string path_;
  std::unique_ptr<SqliteStore> store_;
};

// ---- opening -------------------------------------------------------------------------------

TEST_F(SqliteStoreTest, CreatesTheFileWithMode0600AndWal) {
  umask(022);
  Store();
  ASSERT_TRUE(Store().AddUser({"alice", "$argon2id$x", kNow}).ok());
  struct stat info;
  ASSERT_EQ(stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  // SQLite gives the WAL file the database's mode.
  ASSERT_EQ(stat((path_ + "-wal").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(RawCount(path_, "PRAGMA application_id"), kStoreApplicationId);
  EXPECT_EQ(RawCount(path_, "PRAGMA user_version"), kStoreSchemaVersion);
}

TEST_F(SqliteStoreTest, ReopeningKeepsEverything) {
  SeedFamily();
  ASSERT_TRUE(Store().AddUser({"alice", "$argon2id$hash", kNow}).ok());
  ASSERT_TRUE(
      Store().RotateSigningKey({"k1", Bytes{1, 2, 3}, R"({"kid":"k1"})", kNow, {}}, kNow).ok());
  ASSERT_TRUE(Store().AppendAudit({0, kNow, "device_registered", "alice", "d1", "software"}).ok());
  ASSERT_EQ(Claim("t0", "t1", kNow + 10), RefreshOutcome::kRotated);
  Close();

  auto device = Store().FindDevice("d1");
  ASSERT_TRUE(device.ok());
  ASSERT_TRUE(device->has_value());
  EXPECT_EQ((*device)->jkt, "jkt-d1");
  auto user = Store().FindUser("alice");
  ASSERT_TRUE(user.ok() && user->has_value());
  EXPECT_EQ((*user)->password_hash, "$argon2id$hash");
  auto keys = Store().ListSigningKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].sealed_private_key, (Bytes{1, 2, 3}));
  auto audit = Store().TailAudit(10);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].type, "device_registered");
  // The family and its rotation state survived: t0 is used, t1 is current.
  EXPECT_EQ(Claim("t1", "t2", kNow + 20), RefreshOutcome::kRotated);
  EXPECT_EQ(Claim("t0", "t1", kNow + 30), RefreshOutcome::kReused);
}

TEST_F(SqliteStoreTest, AnEmptyExistingFileIsInitialised) {
  WriteAll(path_, "");
  chmod(path_.c_str(), 0600);
  ASSERT_TRUE(Store().AddUser({"alice", "$argon2id$x", kNow}).ok());
}

TEST_F(SqliteStoreTest, MustExistRefusesAMissingFileAndCreatesNothing) {
  auto opened = SqliteStore::Open(path_, StoreOpenMode::kMustExist);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), Code::kStoreUnavailable);
  EXPECT_EQ(opened.error().message, "store: " + path_ + " does not exist");
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(SqliteStoreTest, EmptyPathIsInvalid) {
  auto opened = SqliteStore::Open("");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), Code::kInvalidArgument);
}

TEST_F(SqliteStoreTest, RefusesATextFileAndLeavesItUnchanged) {
  const std::string content = "this is not a database, it is a shopping list\n";
  WriteAll(path_, content);
  chmod(path_.c_str(), 0600);
  auto opened = SqliteStore::Open(path_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), Code::kStoreUnavailable);
  EXPECT_EQ(opened.error().message,
            "store: " + path_ + " is not a ztm-gateway database (not an SQLite file)");
  EXPECT_EQ(ReadAll(path_), content);
}

TEST_F(SqliteStoreTest, RefusesAGarbledDatabaseAndLeavesItUnchanged) {
  SeedFamily();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(
        Store().AppendAudit({0, kNow, "token_issued", "alice", "d1", std::string(500, 'x')}).ok());
  }
  Close();  // the last connection checkpoints the WAL into the file
  std::string bytes = ReadAll(path_);
  ASSERT_GT(bytes.size(), 8u * 4096);
  // Overwrite everything after the first page (schema page intact: ids and version still read).
  for (std::size_t i = 4096; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131 + 7);
  WriteAll(path_, bytes);
  auto opened = SqliteStore::Open(path_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), Code::kStoreUnavailable);
  EXPECT_EQ(opened.error().message.rfind("store: database is corrupt (", 0), 0u)
      << opened.error().message;
  EXPECT_EQ(ReadAll(path_), bytes);
}

TEST_F(SqliteStoreTest, RefusesATruncatedDatabaseAndLeavesItUnchanged) {
  SeedFamily();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(
        Store().AppendAudit({0, kNow, "token_issued", "alice", "d1", std::string(500, 'x')}).ok());
  }
  Close();
  std::string bytes = ReadAll(path_);
  ASSERT_GT(bytes.size(), 8u * 4096);
  bytes.resize(bytes.size() / 2);
  WriteAll(path_, bytes);
  auto opened = SqliteStore::Open(path_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), Code::kStoreUnavailable);
  EXPECT_EQ(opened.error().message.rfind("store: database is corrupt (", 0), 0u)
      << opened.error().message;
  EXPECT_EQ(ReadAll(path_), bytes);
}

TEST_F(SqliteStoreTest, RefusesAnotherApplicationsDatabase) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE contacts(name TEXT); INSERT INTO contacts VALUES('x')",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  chmod(path_.c_str(), 0600);
  const std::string before = ReadAll(path_);
  auto opened = SqliteStore::Open(path_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), Code::kStoreUnavailable);
  EXPECT_EQ(opened.error().message, "store: " + path_ + " is not a ztm-gateway database");
  EXPECT_EQ(ReadAll(path_), before);

  // Another application id, even with no tables at all.
  ASSERT_EQ(RawExec(path_, "DROP TABLE contacts; PRAGMA application_id = 1234"), SQLITE_OK);
  opened = SqliteStore::Open(path_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().message, "store: " + path_ + " is not a ztm-gateway database");
}

TEST_F(SqliteStoreTest, RefusesAnUnknownSchemaVersion) {
  Store();
  Close();
  ASSERT_EQ(RawExec(path_, "PRAGMA user_version = 99"), SQLITE_OK);
  auto opened = SqliteStore::Open(path_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), Code::kStoreUnavailable);
  EXPECT_EQ(opened.error().message,
            "store: " + path_ + " has schema version 99; this build reads version 2");
}

TEST_F(SqliteStoreTest, RefusesAGroupOrWorldWritableFile) {
  Store();
  Close();
  for (mode_t mode : {0620, 0602, 0666}) {
    ASSERT_EQ(chmod(path_.c_str(), mode), 0);
    auto opened = SqliteStore::Open(path_);
    ASSERT_FALSE(opened.ok()) << std::oct << mode;
    EXPECT_EQ(opened.code(), Code::kStoreUnavailable);
    EXPECT_EQ(opened.error().message,
              "store: " + path_ + " is group- or world-writable (chmod 600 it)");
  }
  // Readable by the group is the operator's choice (backups); writable is not.
  ASSERT_EQ(chmod(path_.c_str(), 0640), 0);
  EXPECT_TRUE(SqliteStore::Open(path_).ok());
}

TEST_F(SqliteStoreTest, RefusesADirectory) {
  auto opened = SqliteStore::Open(dir_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().message, "store: " + dir_ + " is not a regular file");
}

// ---- challenges ----------------------------------------------------------------------------

TEST_F(SqliteStoreTest, ChallengeIsSingleUse) {
  ASSERT_TRUE(Store().PutChallenge(HashOf("c1"), kNow + 120).ok());
  auto first = Store().ConsumeChallenge(HashOf("c1"), kNow);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(*first);
  auto second = Store().ConsumeChallenge(HashOf("c1"), kNow);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);
}

TEST_F(SqliteStoreTest, UnknownChallengeIsFalse) {
  auto consumed = Store().ConsumeChallenge(HashOf("never issued"), kNow);
  ASSERT_TRUE(consumed.ok());
  EXPECT_FALSE(*consumed);
}

TEST_F(SqliteStoreTest, ExpiredChallengeIsFalseAndGone) {
  ASSERT_TRUE(Store().PutChallenge(HashOf("c1"), kNow + 120).ok());
  auto at_expiry = Store().ConsumeChallenge(HashOf("c1"), kNow + 120);
  ASSERT_TRUE(at_expiry.ok());
  EXPECT_FALSE(*at_expiry);
  // Consuming it deleted it, so a clock that jumps back does not revive it.
  auto again = Store().ConsumeChallenge(HashOf("c1"), kNow);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
}

TEST_F(SqliteStoreTest, DuplicateChallengeConflicts) {
  ASSERT_TRUE(Store().PutChallenge(HashOf("c1"), kNow + 120).ok());
  auto status = Store().PutChallenge(HashOf("c1"), kNow + 120);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), Code::kStoreConflict);
}

TEST_F(SqliteStoreTest, ChallengeHashMustBeSha256Sized) {
  // A caller passing the challenge itself instead of its hash is refused, not stored.
  auto put = Store().PutChallenge(AsBytes("the raw challenge"), kNow + 120);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.code(), Code::kInvalidArgument);
  auto consume = Store().ConsumeChallenge(Bytes(31, 0), kNow);
  ASSERT_FALSE(consume.ok());
  EXPECT_EQ(consume.code(), Code::kInvalidArgument);
}

TEST_F(SqliteStoreTest, PutChallengePurgesLongExpiredOnes) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Store().PutChallenge(HashOf("old" + std::to_string(i)), kNow).ok());
  }
  ASSERT_TRUE(Store().PutChallenge(HashOf("recent"), kNow + 1000).ok());
  // Made long after the others expired (more than the longest TTL later): they are purged.
  ASSERT_TRUE(Store().PutChallenge(HashOf("new"), kNow + kMaxChallengeTtlSeconds + 1).ok());
  EXPECT_EQ(RawCount(path_, "SELECT count(*) FROM challenges"), 2);
}

TEST_F(SqliteStoreTest, ThirtyTwoThreadsConsumeOneChallengeExactlyOnce) {
  ASSERT_TRUE(Store().PutChallenge(HashOf("c1"), kNow + 120).ok());
  std::atomic<int> winners{0}, errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&] {
      auto consumed = Store().ConsumeChallenge(HashOf("c1"), kNow);
      if (!consumed.ok())
        ++errors;
      else if (*consumed)
        ++winners;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(errors.load(), 0);
}

// ---- devices -------------------------------------------------------------------------------

TEST_F(SqliteStoreTest, InsertAndFindDevice) {
  ASSERT_TRUE(Store().InsertDevice(Device("d1")).ok());
  auto found = Store().FindDevice("d1");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->device_id, "d1");
  EXPECT_EQ((*found)->jkt, "jkt-d1");
  EXPECT_EQ((*found)->public_jwk, Device("d1").public_jwk);
  EXPECT_EQ((*found)->attestation_format, "software");
  EXPECT_EQ((*found)->registered_at, kNow);
  EXPECT_FALSE((*found)->revoked_at.has_value());
  auto missing = Store().FindDevice("d2");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(SqliteStoreTest, DuplicateDeviceIdOrKeyConflicts) {
  ASSERT_TRUE(Store().InsertDevice(Device("d1")).ok());
  auto same_id = Store().InsertDevice(Device("d1"));
  ASSERT_FALSE(same_id.ok());
  EXPECT_EQ(same_id.code(), Code::kStoreConflict);
  DeviceRecord same_key = Device("d2");
  same_key.jkt = "jkt-d1";
  auto status = Store().InsertDevice(same_key);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), Code::kStoreConflict);
}

TEST_F(SqliteStoreTest, DeviceFieldsAreBounded) {
  DeviceRecord device = Device("d1");
  device.public_jwk = std::string(kMaxStoredJsonBytes + 1, 'x');
  auto status = Store().InsertDevice(device);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), Code::kInputTooLarge);
  device = Device("d1");
  device.jkt.clear();
  status = Store().InsertDevice(device);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
}

TEST_F(SqliteStoreTest, ListDevicesOldestFirst) {
  DeviceRecord later = Device("b");
  later.registered_at = kNow + 5;
  ASSERT_TRUE(Store().InsertDevice(later).ok());
  ASSERT_TRUE(Store().InsertDevice(Device("a")).ok());
  auto devices = Store().ListDevices();
  ASSERT_TRUE(devices.ok());
  ASSERT_EQ(devices->size(), 2u);
  EXPECT_EQ((*devices)[0].device_id, "a");
  EXPECT_EQ((*devices)[1].device_id, "b");
}

TEST_F(SqliteStoreTest, RevokeDeviceIsIdempotentAndRevokesItsFamilies) {
  SeedFamily();
  ASSERT_TRUE(Store().CreateFamily(Family("f2", "d1"), HashOf("u0")).ok());
  ASSERT_TRUE(Store().RevokeFamily("f2", kNow + 1, "logout").ok());
  ASSERT_TRUE(Store().InsertDevice(Device("d2")).ok());
  ASSERT_TRUE(Store().CreateFamily(Family("f3", "d2"), HashOf("v0")).ok());

  ASSERT_TRUE(Store().RevokeDevice("d1", kNow + 10).ok());
  ASSERT_TRUE(Store().RevokeDevice("d1", kNow + 20).ok());
  auto device = Store().FindDevice("d1");
  ASSERT_TRUE(device.ok() && device->has_value());
  EXPECT_EQ((*device)->revoked_at, kNow + 10);

  auto f1 = Store().FindFamilyByToken(HashOf("t0"));
  ASSERT_TRUE(f1.ok() && f1->has_value());
  EXPECT_EQ((*f1)->revoked_at, kNow + 10);
  EXPECT_EQ((*f1)->revoked_reason, "device_revoked");
  // A family revoked earlier keeps its time and reason.
  auto f2 = Store().FindFamilyByToken(HashOf("u0"));
  ASSERT_TRUE(f2.ok() && f2->has_value());
  EXPECT_EQ((*f2)->revoked_at, kNow + 1);
  EXPECT_EQ((*f2)->revoked_reason, "logout");
  // Another device's family is untouched.
  auto f3 = Store().FindFamilyByToken(HashOf("v0"));
  ASSERT_TRUE(f3.ok() && f3->has_value());
  EXPECT_FALSE((*f3)->revoked_at.has_value());

  EXPECT_EQ(Claim("t0", "t1", kNow + 30), RefreshOutcome::kFamilyRevoked);
}

TEST_F(SqliteStoreTest, RevokeUnknownDeviceIsNotFound) {
  auto status = Store().RevokeDevice("nope", kNow);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), Code::kStoreNotFound);
}

// ---- users ---------------------------------------------------------------------------------

TEST_F(SqliteStoreTest, UsersAddFindListRemove) {
  ASSERT_TRUE(Store().AddUser({"bob", "$argon2id$b", kNow + 1}).ok());
  ASSERT_TRUE(Store().AddUser({"alice", "$argon2id$a", kNow}).ok());
  auto found = Store().FindUser("alice");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->password_hash, "$argon2id$a");
  EXPECT_EQ((*found)->created_at, kNow);
  auto users = Store().ListUsers();
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].username, "alice");
  EXPECT_EQ((*users)[1].username, "bob");
  ASSERT_TRUE(Store().RemoveUser("alice").ok());
  auto gone = Store().FindUser("alice");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

TEST_F(SqliteStoreTest, AddingAUserTwiceConflicts) {
  ASSERT_TRUE(Store().AddUser({"alice", "$argon2id$a", kNow}).ok());
  auto status = Store().AddUser({"alice", "$argon2id$other", kNow});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), Code::kStoreConflict);
  EXPECT_EQ(status.error().message, "store: user already exists");
  EXPECT_EQ((*Store().FindUser("alice"))->password_hash, "$argon2id$a");
}

TEST_F(SqliteStoreTest, RemovingAnUnknownUserIsNotFound) {
  auto status = Store().RemoveUser("nobody");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), Code::kStoreNotFound);
}

// ---- token families ------------------------------------------------------------------------

TEST_F(SqliteStoreTest, CreateFamilyNeedsALiveDevice) {
  auto missing = Store().CreateFamily(Family("f1", "nope"), HashOf("t0"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), Code::kStoreNotFound);
  ASSERT_TRUE(Store().InsertDevice(Device("d1")).ok());
  ASSERT_TRUE(Store().RevokeDevice("d1", kNow).ok());
  auto revoked = Store().CreateFamily(Family("f1", "d1"), HashOf("t0"));
  ASSERT_FALSE(revoked.ok());
  EXPECT_EQ(revoked.code(), Code::kStoreConflict);
  // Nothing was left behind by the failed attempts.
  EXPECT_EQ(RawCount(path_, "SELECT count(*) FROM token_families"), 0);
  EXPECT_EQ(RawCount(path_, "SELECT count(*) FROM refresh_tokens"), 0);
}

TEST_F(SqliteStoreTest, CreateFamilyConflictsAreAtomic) {
  SeedFamily();
  auto same_id = Store().CreateFamily(Family("f1", "d1"), HashOf("other"));
  ASSERT_FALSE(same_id.ok());
  EXPECT_EQ(same_id.code(), Code::kStoreConflict);
  auto same_token = Store().CreateFamily(Family("f2", "d1"), HashOf("t0"));
  ASSERT_FALSE(same_token.ok());
  EXPECT_EQ(same_token.code(), Code::kStoreConflict);
  // f2's row was rolled back with its token.
  EXPECT_EQ(RawCount(path_, "SELECT count(*) FROM token_families"), 1);
  TokenFamily backwards = Family("f3", "d1");
  backwards.expires_at = backwards.created_at;
  auto status = Store().CreateFamily(backwards, HashOf("w0"));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
}

TEST_F(SqliteStoreTest, TokenHashesMustBeSha256Sized) {
  SeedFamily();
  auto claim = Store().ClaimRefreshToken(AsBytes("raw-token"), HashOf("t1"), kNow, {});
  ASSERT_FALSE(claim.ok());
  EXPECT_EQ(claim.code(), Code::kInvalidArgument);
  auto create = Store().CreateFamily(Family("f2", "d1"), AsBytes("raw-token"));
  ASSERT_FALSE(create.ok());
  EXPECT_EQ(create.code(), Code::kInvalidArgument);
}

TEST_F(SqliteStoreTest, UnknownRefreshTokenIsUnknown) {
  SeedFamily();
  auto claim = Store().ClaimRefreshToken(HashOf("nope"), HashOf("x"), kNow, {});
  ASSERT_TRUE(claim.ok());
  EXPECT_EQ(claim->outcome, RefreshOutcome::kUnknown);
  EXPECT_FALSE(claim->family.has_value());
}

TEST_F(SqliteStoreTest, RotationChainAndFindFamilyByToken) {
  SeedFamily();
  auto claim = Store().ClaimRefreshToken(HashOf("t0"), HashOf("t1"), kNow + 1, {});
  ASSERT_TRUE(claim.ok());
  EXPECT_EQ(claim->outcome, RefreshOutcome::kRotated);
  ASSERT_TRUE(claim->family.has_value());
  EXPECT_EQ(claim->family->family_id, "f1");
  EXPECT_EQ(claim->family->subject, "alice");
  EXPECT_EQ(claim->family->jkt, "jkt-d1");
  EXPECT_EQ(Claim("t1", "t2", kNow + 2), RefreshOutcome::kRotated);
  EXPECT_EQ(Claim("t2", "t3", kNow + 3), RefreshOutcome::kRotated);
  EXPECT_EQ(RawCount(path_, "SELECT generation FROM refresh_tokens WHERE used_at IS NULL"), 3);
  for (const char* token : {"t0", "t1", "t3"}) {
    auto family = Store().FindFamilyByToken(HashOf(token));
    ASSERT_TRUE(family.ok() && family->has_value()) << token;
    EXPECT_EQ((*family)->family_id, "f1");
  }
  auto none = Store().FindFamilyByToken(HashOf("t4"));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_F(SqliteStoreTest, ReuseRevokesTheFamilyAndTheLegitimateHolderToo) {
  SeedFamily();
  ASSERT_EQ(Claim("t0", "t1", kNow + 1), RefreshOutcome::kRotated);
  auto reuse = Store().ClaimRefreshToken(HashOf("t0"), HashOf("t1"), kNow + 2, {});
  ASSERT_TRUE(reuse.ok());
  EXPECT_EQ(reuse->outcome, RefreshOutcome::kReused);
  EXPECT_EQ(reuse->family->revoked_at, kNow + 2);
  EXPECT_EQ(reuse->family->revoked_reason, "reuse");
  // The holder of the current token is locked out as well (RFC 9700 §4.14.2).
  EXPECT_EQ(Claim("t1", "t2", kNow + 3), RefreshOutcome::kFamilyRevoked);
  // Presenting the used token again is still reuse; the first revocation stays.
  auto again = Store().ClaimRefreshToken(HashOf("t0"), HashOf("t1"), kNow + 4, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, RefreshOutcome::kReused);
  EXPECT_EQ(again->family->revoked_at, kNow + 2);
}

TEST_F(SqliteStoreTest, ExpiredFamily) {
  SeedFamily();
  const std::int64_t expiry = kNow + 14 * kDay;
  EXPECT_EQ(Claim("t0", "t1", expiry - 1), RefreshOutcome::kRotated);
  auto claim = Store().ClaimRefreshToken(HashOf("t1"), HashOf("t2"), expiry, {});
  ASSERT_TRUE(claim.ok());
  EXPECT_EQ(claim->outcome, RefreshOutcome::kExpired);
  EXPECT_EQ(claim->family->expires_at, expiry);
  // Nothing was claimed: t1 is still unused.
  EXPECT_EQ(RawCount(path_, "SELECT count(*) FROM refresh_tokens WHERE used_at IS NULL"), 1);
}

TEST_F(SqliteStoreTest, GraceRetriesAreBoundedByCount) {
  SeedFamily();
  const RefreshGrace grace{5, 2};
  EXPECT_EQ(Claim("t0", "t1", kNow, grace), RefreshOutcome::kRotated);
  EXPECT_EQ(Claim("t0", "t1", kNow + 1, grace), RefreshOutcome::kGraceRetry);
  EXPECT_EQ(Claim("t0", "t1", kNow + 2, grace), RefreshOutcome::kGraceRetry);
  EXPECT_EQ(Claim("t0", "t1", kNow + 3, grace), RefreshOutcome::kReused);
  // The grace retries inserted nothing: one successor only.
  EXPECT_EQ(RawCount(path_, "SELECT count(*) FROM refresh_tokens"), 2);
}

TEST_F(SqliteStoreTest, GraceRetriesAreBoundedByTime) {
  SeedFamily();
  const RefreshGrace grace{5, 2};
  EXPECT_EQ(Claim("t0", "t1", kNow, grace), RefreshOutcome::kRotated);
  EXPECT_EQ(Claim("t0", "t1", kNow + 5, grace), RefreshOutcome::kGraceRetry);
  EXPECT_EQ(Claim("t0", "t1", kNow + 6, grace), RefreshOutcome::kReused);
}

TEST_F(SqliteStoreTest, GraceRetryAfterTheSuccessorWasUsedIsReuse) {
  SeedFamily();
  const RefreshGrace grace{5, 2};
  EXPECT_EQ(Claim("t0", "t1", kNow, grace), RefreshOutcome::kRotated);
  EXPECT_EQ(Claim("t1", "t2", kNow + 1, grace), RefreshOutcome::kRotated);
  EXPECT_EQ(Claim("t0", "t1", kNow + 2, grace), RefreshOutcome::kReused);
  EXPECT_EQ(Claim("t2", "t3", kNow + 3, grace), RefreshOutcome::kFamilyRevoked);
}

TEST_F(SqliteStoreTest, ZeroGraceSecondsMeansNoGrace) {
  SeedFamily();
  EXPECT_EQ(Claim("t0", "t1", kNow, {0, 5}), RefreshOutcome::kRotated);
  EXPECT_EQ(Claim("t0", "t1", kNow, {0, 5}), RefreshOutcome::kReused);
}

TEST_F(SqliteStoreTest, GraceRetryWithADifferentSuccessorFailsAndChangesNothing) {
  SeedFamily();
  const RefreshGrace grace{5, 2};
  EXPECT_EQ(Claim("t0", "t1", kNow, grace), RefreshOutcome::kRotated);
  auto claim = Store().ClaimRefreshToken(HashOf("t0"), HashOf("other"), kNow + 1, grace);
  ASSERT_FALSE(claim.ok());
  EXPECT_EQ(claim.code(), Code::kInvalidArgument);
  EXPECT_EQ(RawCount(path_, "SELECT grace_uses FROM refresh_tokens WHERE generation = 0"), 0);
  EXPECT_EQ(Claim("t0", "t1", kNow + 1, grace), RefreshOutcome::kGraceRetry);
}

TEST_F(SqliteStoreTest, RevokeFamilyIsIdempotentAndUnknownIsNotFound) {
  SeedFamily();
  ASSERT_TRUE(Store().RevokeFamily("f1", kNow + 1, "logout").ok());
  ASSERT_TRUE(Store().RevokeFamily("f1", kNow + 2, "admin").ok());
  auto family = Store().FindFamilyByToken(HashOf("t0"));
  ASSERT_TRUE(family.ok() && family->has_value());
  EXPECT_EQ((*family)->revoked_at, kNow + 1);
  EXPECT_EQ((*family)->revoked_reason, "logout");
  EXPECT_EQ(Claim("t0", "t1", kNow + 3), RefreshOutcome::kFamilyRevoked);
  auto status = Store().RevokeFamily("nope", kNow, "logout");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), Code::kStoreNotFound);
}

// Claims `token` from `threads` threads at once, spread over `stores`; counts the outcomes.
std::map<RefreshOutcome, int> ClaimConcurrently(const std::vector<SqliteStore*>& stores,
                                                int threads, RefreshGrace grace) {
  std::map<RefreshOutcome, int> outcomes;
  std::mutex outcomes_mutex;
  std::atomic<int> ready{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&, i] {
      ++ready;
      while (ready.load() < threads) std::this_thread::yield();
      auto claim = stores[static_cast<std::size_t>(i) % stores.size()]->ClaimRefreshToken(
          HashOf("t0"), HashOf("t1"), kNow + 1, grace);
      std::lock_guard lock(outcomes_mutex);
      if (!claim.ok()) {
        ADD_FAILURE() << claim.error().message;
        return;
      }
      ++outcomes[claim->outcome];
    });
  }
  for (auto& worker : workers) worker.join();
  return outcomes;
}

TEST_F(SqliteStoreTest, SixtyFourConcurrentClaimsWithoutGrace) {
  SeedFamily();
  auto outcomes = ClaimConcurrently({&Store()}, 64, {0, 0});
  EXPECT_EQ(outcomes[RefreshOutcome::kRotated], 1);
  EXPECT_EQ(outcomes[RefreshOutcome::kReused], 63);
  EXPECT_EQ(outcomes.size(), 2u);
  auto family = Store().FindFamilyByToken(HashOf("t0"));
  ASSERT_TRUE(family.ok() && family->has_value());
  EXPECT_EQ((*family)->revoked_reason, "reuse");
  EXPECT_EQ(RawCount(path_, "SELECT count(*) FROM refresh_tokens"), 2);
}

TEST_F(SqliteStoreTest, SixtyFourConcurrentClaimsWithGrace) {
  SeedFamily();
  auto outcomes = ClaimConcurrently({&Store()}, 64, {5, 2});
  EXPECT_EQ(outcomes[RefreshOutcome::kRotated], 1);
  EXPECT_EQ(outcomes[RefreshOutcome::kGraceRetry], 2);
  EXPECT_EQ(outcomes[RefreshOutcome::kReused], 61);
  EXPECT_EQ(outcomes.size(), 3u);
}

TEST_F(SqliteStoreTest, SixtyFourConcurrentClaimsAcrossTwoConnections) {
  // Two connections to one file (two gateway processes, or the gateway and `ztm`): the
  // BEGIN IMMEDIATE transaction, not the in-process mutex, is what makes this hold.
  SeedFamily();
  auto second = SqliteStore::Open(path_);
  ASSERT_TRUE(second.ok()) << second.error().message;
  auto outcomes = ClaimConcurrently({&Store(), second->get()}, 64, {0, 0});
  EXPECT_EQ(outcomes[RefreshOutcome::kRotated], 1);
  EXPECT_EQ(outcomes[RefreshOutcome::kReused], 63);
}

// ---- pruning -------------------------------------------------------------------------------

TEST_F(SqliteStoreTest, PruneDeletesExpiredChallengesOnly) {
  ASSERT_TRUE(Store().PutChallenge(HashOf("expired"), kNow).ok());
  ASSERT_TRUE(Store().PutChallenge(HashOf("live"), kNow + 1).ok());
  auto counts = Store().PruneExpired(kNow);
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  EXPECT_EQ(counts->challenges, 1);
  EXPECT_EQ(RawCount(path_, "SELECT count(*) FROM challenges"), 1);
  auto live = Store().ConsumeChallenge(HashOf("live"), kNow);
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(*live);
}

TEST_F(SqliteStoreTest, PruneKeepsALiveFamilyAndItsUsedTokens) {
  SeedFamily();
  ASSERT_EQ(Claim("t0", "t1", kNow + 1), RefreshOutcome::kRotated);
  ASSERT_EQ(Claim("t1", "t2", kNow + 2), RefreshOutcome::kRotated);
  // Just before the family's end plus the retention: nothing of it goes.
  const std::int64_t expiry = kNow + 14 * kDay;
  auto counts = Store().PruneExpired(expiry + kPrunedFamilyRetentionSeconds - 1);
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  EXPECT_EQ(counts->refresh_tokens, 0);
  EXPECT_EQ(counts->token_families, 0);
  EXPECT_EQ(RawCount(path_, "SELECT count(*) FROM refresh_tokens"), 3);
  // The used tokens still reveal a reuse (RFC 9700 §4.14.2), which revokes the family.
  EXPECT_EQ(Claim("t0", "t1", kNow + 3), RefreshOutcome::kReused);
}

TEST_F(SqliteStoreTest, PruneDeletesAnExpiredFamilyOnlyAfterTheRetention) {
  SeedFamily();
  ASSERT_EQ(Claim("t0", "t1", kNow + 1), RefreshOutcome::kRotated);
  const std::int64_t expiry = kNow + 14 * kDay;
  auto early = Store().PruneExpired(expiry + kPrunedFamilyRetentionSeconds - 1);
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->token_families, 0);
  auto counts = Store().PruneExpired(expiry + kPrunedFamilyRetentionSeconds);
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  EXPECT_EQ(counts->refresh_tokens, 2);
  EXPECT_EQ(counts->token_families, 1);
  EXPECT_EQ(RawCount(path_, "SELECT count(*) FROM refresh_tokens"), 0);
  EXPECT_EQ(RawCount(path_, "SELECT count(*) FROM token_families"), 0);
  // The device stays: its key must remain registered (and refused if revoked).
  EXPECT_EQ(RawCount(path_, "SELECT count(*) FROM devices"), 1);
}

TEST_F(SqliteStoreTest, PruneDeletesARevokedFamilyAfterTheRetention) {
  SeedFamily();
  ASSERT_TRUE(Store().InsertDevice(Device("d2")).ok());
  ASSERT_TRUE(Store().CreateFamily(Family("f2", "d2"), HashOf("u0")).ok());
  ASSERT_TRUE(Store().RevokeFamily("f1", kNow + 10, "logout").ok());
  auto within = Store().PruneExpired(kNow + 10 + kPrunedFamilyRetentionSeconds - 1);
  ASSERT_TRUE(within.ok());
  EXPECT_EQ(within->token_families, 0);
  // Still there: a presented token is told its family was revoked.
  EXPECT_EQ(Claim("t0", "t1", kNow + 11), RefreshOutcome::kFamilyRevoked);
  auto counts = Store().PruneExpired(kNow + 10 + kPrunedFamilyRetentionSeconds);
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  EXPECT_EQ(counts->token_families, 1);
  EXPECT_EQ(counts->refresh_tokens, 1);
  // Gone, it is refused all the same: unknown to refresh, absent to a session check.
  EXPECT_EQ(Claim("t0", "t1", kNow + 12), RefreshOutcome::kUnknown);
  auto pruned = Store().FindFamily("f1");
  ASSERT_TRUE(pruned.ok());
  EXPECT_FALSE(pruned->has_value());
  // The live family of the other device is untouched.
  auto live = Store().FindFamily("f2");
  ASSERT_TRUE(live.ok() && live->has_value());
  EXPECT_EQ(Claim("u0", "u1", kNow + 13), RefreshOutcome::kRotated);
}

TEST_F(SqliteStoreTest, PruneWorksThroughManyBatches) {
  SeedFamily();
  Close();
  // More rows than two batches in every table, revoked and expired long ago.
  const std::string now = std::to_string(kNow);
  ASSERT_EQ(RawExec(path_,
                    "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                    "WHERE i < 2500) INSERT INTO challenges SELECT randomblob(32), " +
                        now +
                        " FROM n;"
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                        "WHERE i < 2100) INSERT INTO token_families SELECT 'old' || i, "
                        "'alice', 'd1', 'jkt-d1', '', 0, 0, 10, 5, 'logout' FROM n;"
                        "INSERT INTO refresh_tokens(hash, family_id, generation, issued_at) "
                        "SELECT randomblob(32), family_id, 0, 0 FROM token_families "
                        "WHERE family_id LIKE 'old%';"
                        "INSERT INTO refresh_tokens(hash, family_id, generation, issued_at) "
                        "SELECT randomblob(32), family_id, 1, 0 FROM token_families "
                        "WHERE family_id LIKE 'old%'; COMMIT;"),
            SQLITE_OK);
  auto counts = Store().PruneExpired(kNow + 1);
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  EXPECT_EQ(counts->challenges, 2500);
  EXPECT_EQ(counts->refresh_tokens, 4200);
  EXPECT_EQ(counts->token_families, 2100);
  EXPECT_EQ(RawCount(path_, "SELECT count(*) FROM token_families"), 1);
  EXPECT_EQ(RawCount(path_, "SELECT count(*) FROM refresh_tokens"), 1);
  auto again = Store().PruneExpired(kNow + 1);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->challenges + again->refresh_tokens + again->token_families, 0);
}

TEST_F(SqliteStoreTest, PruneLeavesTheAuditTrail) {
  ASSERT_TRUE(Store().AppendAudit({0, 1, "revoked", "alice", "d1", "old"}).ok());
  ASSERT_TRUE(Store().PruneExpired(kNow + 365 * kDay).ok());
  EXPECT_EQ(RawCount(path_, "SELECT count(*) FROM audit"), 1);
}

TEST_F(SqliteStoreTest, AVersionOneFileIsUpgradedInPlace) {
  SeedFamily();
  Close();
  // What a version-1 build wrote: no pruning indexes.
  ASSERT_EQ(RawExec(path_,
                    "DROP INDEX token_families_by_expiry; DROP INDEX "
                    "token_families_by_revocation; PRAGMA user_version = 1"),
            SQLITE_OK);
  ASSERT_TRUE(Store().FindFamily("f1").ok());
  Close();
  EXPECT_EQ(RawCount(path_, "PRAGMA user_version"), kStoreSchemaVersion);
  EXPECT_EQ(RawCount(path_,
                     "SELECT count(*) FROM sqlite_schema WHERE name IN "
                     "('token_families_by_expiry', 'token_families_by_revocation')"),
            2);
  auto family = Store().FindFamily("f1");
  ASSERT_TRUE(family.ok() && family->has_value());
}

TEST_F(SqliteStoreTest, VersionZeroWithTablesIsRefused) {
  SeedFamily();
  Close();
  ASSERT_EQ(RawExec(path_, "PRAGMA user_version = 0"), SQLITE_OK);
  auto opened = SqliteStore::Open(path_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), Code::kStoreUnavailable);
}

// ---- signing keys --------------------------------------------------------------------------

TEST_F(SqliteStoreTest, RotationRetiresThePreviousKey) {
  ASSERT_TRUE(Store().RotateSigningKey({"k1", Bytes{1}, R"({"kid":"k1"})", kNow, {}}, kNow).ok());
  ASSERT_TRUE(
      Store().RotateSigningKey({"k2", Bytes{2}, R"({"kid":"k2"})", kNow + 10, {}}, kNow + 10).ok());
  ASSERT_TRUE(
      Store().RotateSigningKey({"k3", Bytes{3}, R"({"kid":"k3"})", kNow + 20, {}}, kNow + 20).ok());
  auto keys = Store().ListSigningKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 3u);
  EXPECT_EQ((*keys)[0].kid, "k3");
  EXPECT_FALSE((*keys)[0].retired_at.has_value());
  EXPECT_EQ((*keys)[1].kid, "k2");
  EXPECT_EQ((*keys)[1].retired_at, kNow + 20);
  EXPECT_EQ((*keys)[2].kid, "k1");
  EXPECT_EQ((*keys)[2].retired_at, kNow + 10);
  EXPECT_EQ((*keys)[2].public_jwk, R"({"kid":"k1"})");
}

TEST_F(SqliteStoreTest, DuplicateKidConflictsAndKeepsTheActiveKey) {
  ASSERT_TRUE(Store().RotateSigningKey({"k1", Bytes{1}, "{}", kNow, {}}, kNow).ok());
  auto status = Store().RotateSigningKey({"k1", Bytes{9}, "{}", kNow + 1, {}}, kNow + 1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), Code::kStoreConflict);
  auto keys = Store().ListSigningKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_FALSE((*keys)[0].retired_at.has_value());  // the retirement was rolled back
  auto empty = Store().RotateSigningKey({"k2", Bytes{}, "{}", kNow, {}}, kNow);
  EXPECT_EQ(empty.code(), Code::kInvalidArgument);
}

// ---- audit ---------------------------------------------------------------------------------

TEST_F(SqliteStoreTest, AuditTailIsTheNewestOldestFirst) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        Store().AppendAudit({0, kNow + i, "event" + std::to_string(i), "alice", "d1", ""}).ok());
  }
  auto tail = Store().TailAudit(3);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 3u);
  EXPECT_EQ((*tail)[0].type, "event2");
  EXPECT_EQ((*tail)[1].type, "event3");
  EXPECT_EQ((*tail)[2].type, "event4");
  EXPECT_LT((*tail)[0].id, (*tail)[1].id);
  EXPECT_EQ((*tail)[2].time, kNow + 4);
  EXPECT_EQ((*tail)[2].subject, "alice");
  EXPECT_EQ((*tail)[2].device_id, "d1");
  auto all = Store().TailAudit(100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 5u);
  auto none = Store().TailAudit(0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto too_many = Store().TailAudit(kMaxAuditTail + 1);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.code(), Code::kInputTooLarge);
}

TEST_F(SqliteStoreTest, AuditFieldsAreBounded) {
  auto long_detail =
      Store().AppendAudit({0, kNow, "x", "", "", std::string(kMaxAuditDetailBytes + 1, 'd')});
  EXPECT_EQ(long_detail.code(), Code::kInputTooLarge);
  auto no_type = Store().AppendAudit({0, kNow, "", "", "", ""});
  EXPECT_EQ(no_type.code(), Code::kInvalidArgument);
}

TEST_F(SqliteStoreTest, AuditIsAppendOnlyEvenThroughARawConnection) {
  ASSERT_TRUE(Store().AppendAudit({0, kNow, "refresh_reuse", "alice", "d1", "family f1"}).ok());
  Close();
  EXPECT_EQ(RawExec(path_, "UPDATE audit SET detail = 'nothing happened'"), SQLITE_CONSTRAINT);
  EXPECT_EQ(RawExec(path_, "DELETE FROM audit"), SQLITE_CONSTRAINT);
  auto tail = Store().TailAudit(10);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ((*tail)[0].detail, "family f1");
}

}  // namespace
}  // namespace ztm::server
