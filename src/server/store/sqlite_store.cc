// SqliteStore: GatewayStore on one SQLite file. Opening checks the file before touching it
// (permissions, application id, schema version, quick_check); every value reaches SQL through
// a bound parameter of a cached prepared statement; multi-statement operations run inside
// BEGIN IMMEDIATE transactions.
#include "server/store/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

namespace ztm::server {
namespace {

// SHA-256: challenges and refresh tokens are stored only as their hashes (store.h). Any other
// length is a caller passing the secret itself, or garbage.
constexpr std::size_t kStoredHashBytes = 32;

// The schema, version kStoreSchemaVersion. Hashes are BLOBs, times are Unix seconds.
constexpr const char* kSchema = R"sql(
CREATE TABLE challenges(
  hash BLOB PRIMARY KEY NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX challenges_by_expiry ON challenges(expires_at);

CREATE TABLE devices(
  device_id TEXT PRIMARY KEY NOT NULL,
  jkt TEXT NOT NULL UNIQUE,
  public_jwk TEXT NOT NULL,
  attestation_format TEXT NOT NULL,
  registered_at INTEGER NOT NULL,
  revoked_at INTEGER
);

CREATE TABLE users(
  username TEXT PRIMARY KEY NOT NULL,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE token_families(
  family_id TEXT PRIMARY KEY NOT NULL,
  subject TEXT NOT NULL,
  device_id TEXT NOT NULL REFERENCES devices(device_id),
  jkt TEXT NOT NULL,
  acr TEXT NOT NULL,
  auth_time INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  revoked_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX token_families_by_device ON token_families(device_id);

CREATE TABLE refresh_tokens(
  hash BLOB PRIMARY KEY NOT NULL,
  family_id TEXT NOT NULL REFERENCES token_families(family_id),
  generation INTEGER NOT NULL,
  issued_at INTEGER NOT NULL,
  used_at INTEGER,
  grace_uses INTEGER NOT NULL DEFAULT 0,
  successor_hash BLOB
) WITHOUT ROWID;
CREATE INDEX refresh_tokens_by_family ON refresh_tokens(family_id);

CREATE TABLE signing_keys(
  kid TEXT PRIMARY KEY NOT NULL,
  sealed_private_key BLOB NOT NULL,
  public_jwk TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  retired_at INTEGER,
  active INTEGER NOT NULL CHECK (active IN (0, 1))
);
-- At most one key signs.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys(active) WHERE active = 1;

CREATE TABLE audit(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  type TEXT NOT NULL,
  subject TEXT NOT NULL,
  device_id TEXT NOT NULL,
  detail TEXT NOT NULL
);
-- The audit trail is append-only, whoever holds the file open (the gateway, the sqlite3 shell).
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
)sql";

// Version 1 → 2: indexes PruneExpired finds ended families by, so each batch reads only the
// rows it deletes instead of scanning every family. A new file gets kSchema, then this.
constexpr const char* kSchemaUpgradeTo2 = R"sql(
CREATE INDEX token_families_by_expiry ON token_families(expires_at);
CREATE INDEX token_families_by_revocation ON token_families(revoked_at)
  WHERE revoked_at IS NOT NULL;
)sql";

Status CheckHash(ByteView hash, const char* what) {
  if (hash.size() != kStoredHashBytes) {
    return Error{Code::kInvalidArgument,
                 std::string("store: ") + what + " must be a 32-byte SHA-256 hash"};
  }
  return OkStatus();
}

Status CheckText(std::string_view value, std::size_t max, const char* field,
                 bool may_be_empty = false) {
  if (!may_be_empty && value.empty()) {
    return Error{Code::kInvalidArgument, std::string("store: ") + field + " is empty"};
  }
  if (value.size() > max) {
    return Error{Code::kInputTooLarge, std::string("store: ") + field + " is longer than " +
                                           std::to_string(max) + " bytes"};
  }
  return OkStatus();
}

Error Unavailable(std::string message) {
  return Error{Code::kStoreUnavailable, "store: " + std::move(message)};
}

}  // namespace

// A cached prepared statement, borrowed for one use: values are bound by index, and the
// statement is reset and its bindings cleared when the borrow ends.
class SqliteStore::Statement {
 public:
  Statement(const SqliteStore* store, sqlite3_stmt* statement)
      : store_(store), statement_(statement) {}
  Statement(Statement&& other) noexcept
      : store_(other.store_),
        statement_(std::exchange(other.statement_, nullptr)),
        bind_rc_(other.bind_rc_) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement() {
    if (statement_ != nullptr) {
      sqlite3_reset(statement_);
      sqlite3_clear_bindings(statement_);
    }
  }

  Statement& Bind(int index, std::string_view text) {
    Keep(sqlite3_bind_text64(statement_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                             SQLITE_UTF8));
    return *this;
  }
  Statement& Bind(int index, ByteView blob) {
    Keep(sqlite3_bind_blob64(statement_, index, blob.data(), blob.size(), SQLITE_TRANSIENT));
    return *this;
  }
  Statement& Bind(int index, std::int64_t value) {
    Keep(sqlite3_bind_int64(statement_, index, value));
    return *this;
  }
  Statement& Bind(int index, const std::optional<std::int64_t>& value) {
    Keep(value ? sqlite3_bind_int64(statement_, index, *value)
               : sqlite3_bind_null(statement_, index));
    return *this;
  }

  // Steps once: true with a row to read, false when done.
  Result<bool> Step() {
    if (bind_rc_ != SQLITE_OK) return store_->SqliteError(bind_rc_, "bind");
    int rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return store_->SqliteError(rc, "statement");
  }
  // Steps to completion (INSERT/UPDATE/DELETE).
  Status Run() {
    ZTM_ASSIGN_OR_RETURN(bool row, Step());
    while (row) {
      ZTM_ASSIGN_OR_RETURN(row, Step());
    }
    return OkStatus();
  }

  bool IsNull(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
  std::int64_t Int(int column) const { return sqlite3_column_int64(statement_, column); }
  std::optional<std::int64_t> OptionalInt(int column) const {
    if (IsNull(column)) return std::nullopt;
    return Int(column);
  }
  std::string Text(int column) const {
    const unsigned char* text = sqlite3_column_text(statement_, column);
    if (text == nullptr) return std::string();
    return std::string(reinterpret_cast<const char*>(text),
                       static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)));
  }
  Bytes Blob(int column) const {
    const void* blob = sqlite3_column_blob(statement_, column);
    if (blob == nullptr) return Bytes();
    auto* begin = static_cast<const std::uint8_t*>(blob);
    return Bytes(begin, begin + sqlite3_column_bytes(statement_, column));
  }

 private:
  void Keep(int rc) {
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }
  const SqliteStore* store_;
  sqlite3_stmt* statement_;
  int bind_rc_ = SQLITE_OK;
};

// BEGIN IMMEDIATE … COMMIT: takes the write lock up front, so a read-then-write sequence (a
// refresh claim) cannot interleave with another connection's; rolled back unless committed.
class SqliteStore::Transaction {
 public:
  static Result<Transaction> Begin(SqliteStore* store) {
    ZTM_RETURN_IF_ERROR(store->Execute("BEGIN IMMEDIATE"));
    return Transaction(store);
  }
  Transaction(Transaction&& other) noexcept : store_(std::exchange(other.store_, nullptr)) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction() {
    if (store_ != nullptr) (void)store_->Execute("ROLLBACK");
  }
  Status Commit() {
    ZTM_RETURN_IF_ERROR(store_->Execute("COMMIT"));
    store_ = nullptr;
    return OkStatus();
  }

 private:
  explicit Transaction(SqliteStore* store) : store_(store) {}
  SqliteStore* store_;
};

SqliteStore::SqliteStore(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

SqliteStore::~SqliteStore() {
  for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
  sqlite3_close_v2(db_);
}

Error SqliteStore::SqliteError(int rc, std::string_view what) const {
  const char* detail = sqlite3_errmsg(db_);
  std::string message =
      std::string(what) + ": " + (detail != nullptr ? detail : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
        return Error{Code::kStoreNotFound, "store: a referenced record does not exist"};
      }
      if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
        return Error{Code::kStoreConflict, "store: " + message};
      }
      return Error{Code::kInvalidArgument, "store: " + message};
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable("database is locked by another connection (" + message + ")");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Unavailable("database is corrupt (" + message + ")");
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
      return Unavailable(message);
    default:
      return Error{Code::kInternal, "store: " + message};
  }
}

Result<SqliteStore::Statement> SqliteStore::Prepare(const char* sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return Statement(this, it->second);
  sqlite3_stmt* statement = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(statement);
    return SqliteError(rc, "prepare");
  }
  statements_.emplace(sql, statement);
  return Statement(this, statement);
}

Status SqliteStore::Execute(const char* sql) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(rc, "execute");
  return OkStatus();
}

// ---- opening -----------------------------------------------------------------------------

namespace {

std::string ErrnoText() { return std::error_code(errno, std::generic_category()).message(); }

// Creates `path` with mode 0600 if it does not exist and `mode` allows it.
Status CreateIfMissing(const std::string& path, StoreOpenMode mode) {
  struct stat info;
  if (stat(path.c_str(), &info) == 0) return OkStatus();
  if (errno != ENOENT) return Unavailable("cannot stat " + path + ": " + ErrnoText());
  if (mode == StoreOpenMode::kMustExist) return Unavailable(path + " does not exist");
  // O_EXCL: if another process creates it between stat and open, that file is checked below
  // like any existing file. O_NOFOLLOW: never create through a dangling symlink.
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return OkStatus();
    return Unavailable("cannot create " + path + ": " + ErrnoText());
  }
  // The umask can only clear bits of 0600; fchmod makes the mode exact whatever it is.
  if (fchmod(fd, 0600) != 0) {
    std::string reason = ErrnoText();
    close(fd);
    return Unavailable("cannot chmod " + path + ": " + reason);
  }
  close(fd);
  return OkStatus();
}

Status CheckFilePermissions(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    return Unavailable("cannot stat " + path + ": " + ErrnoText());
  }
  if (!S_ISREG(info.st_mode)) return Unavailable(path + " is not a regular file");
  // Whoever can write the file can add a user or a device, or un-revoke a token family.
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Unavailable(path + " is group- or world-writable (chmod 600 it)");
  }
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       StoreOpenMode mode) {
  if (path.empty()) return Error{Code::kInvalidArgument, "store: empty database path"};
  ZTM_RETURN_IF_ERROR(CreateIfMissing(path, mode));
  ZTM_RETURN_IF_ERROR(CheckFilePermissions(path));

  sqlite3* db = nullptr;
  // No SQLITE_OPEN_CREATE: the file exists now, and SQLite must not create another one.
  // NOMUTEX: the store's own mutex serialises every use of the connection.
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Unavailable("cannot open " + path + ": " + detail);
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(path, db));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kStoreBusyTimeoutMilliseconds);
  // Defensive mode: no writable_schema tricks or direct page edits through this connection.
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  // Connection settings only (nothing is written to the file yet):
  //  - foreign_keys: a family needs its device, a refresh token its family;
  //  - trusted_schema=OFF: a tampered schema cannot make our statements call SQL functions
  //    with side effects through views or triggers;
  //  - secure_delete: a removed user's hash or a consumed challenge is overwritten, not left
  //    in free pages.
  ZTM_RETURN_IF_ERROR(
      store->Execute("PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF;"
                     " PRAGMA secure_delete = ON;"));
  std::lock_guard lock(store->mutex_);
  ZTM_RETURN_IF_ERROR(store->InitializeOrCheckSchema());
  return store;
}

Status SqliteStore::InitializeOrCheckSchema() {
  // Reads the header and the schema table only: a file that fails here is not modified.
  auto read_header = [this]() -> Result<std::array<std::int64_t, 3>> {
    std::array<std::int64_t, 3> header{};
    const char* queries[] = {"PRAGMA application_id", "PRAGMA user_version",
                             "SELECT count(*) FROM sqlite_schema"};
    auto refine = [this](Error error) -> Error {
      if ((sqlite3_errcode(db_) & 0xff) == SQLITE_NOTADB) {
        return Unavailable(path_ + " is not a ztm-gateway database (not an SQLite file)");
      }
      return error;
    };
    for (std::size_t i = 0; i < header.size(); ++i) {
      auto statement = Prepare(queries[i]);
      if (!statement.ok()) return refine(std::move(statement).error());
      auto row = statement->Step();
      if (!row.ok()) return refine(std::move(row).error());
      if (!*row) return Unavailable("database is corrupt (empty " + std::string(queries[i]) + ")");
      header[i] = statement->Int(0);
    }
    return header;
  };
  ZTM_ASSIGN_OR_RETURN(auto header, read_header());
  constexpr std::array<std::int64_t, 3> kEmpty{0, 0, 0};
  if (header == kEmpty) {
    // A new (or empty) file. Another process may be creating the schema at the same moment:
    // decide again under the write lock.
    ZTM_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(this));
    ZTM_ASSIGN_OR_RETURN(header, read_header());
    if (header == kEmpty) {
      ZTM_RETURN_IF_ERROR(Execute(kSchema));
      ZTM_RETURN_IF_ERROR(Execute(kSchemaUpgradeTo2));
      // Compile-time constants, not values: PRAGMA takes no bound parameters.
      const std::string stamp = "PRAGMA application_id = " + std::to_string(kStoreApplicationId) +
                                "; PRAGMA user_version = " + std::to_string(kStoreSchemaVersion);
      ZTM_RETURN_IF_ERROR(Execute(stamp.c_str()));
      header = {kStoreApplicationId, kStoreSchemaVersion, 1};
    }
    ZTM_RETURN_IF_ERROR(transaction.Commit());
  }
  const std::int64_t application_id = header[0], version = header[1];
  if (application_id != kStoreApplicationId) {
    return Unavailable(path_ + " is not a ztm-gateway database");
  }
  if (version < kStoreOldestUpgradableVersion || version > kStoreSchemaVersion) {
    return Unavailable(path_ + " has schema version " + std::to_string(version) +
                       "; this build reads version " + std::to_string(kStoreSchemaVersion));
  }
  {
    // quick_check: every page and index is structurally sound (O(size), not the full
    // integrity_check's cross-checks). A store that lies about a revoked family is worse than
    // one that does not start.
    ZTM_ASSIGN_OR_RETURN(Statement check, Prepare("PRAGMA quick_check(1)"));
    ZTM_ASSIGN_OR_RETURN(bool row, check.Step());
    if (!row) return Unavailable("database is corrupt (quick_check returned nothing)");
    std::string verdict = check.Text(0);
    if (verdict != "ok") return Unavailable("database is corrupt (" + verdict + ")");
  }
  // Only now is the file changed: WAL lets the operator verbs read while the gateway writes.
  {
    ZTM_ASSIGN_OR_RETURN(Statement wal, Prepare("PRAGMA journal_mode = WAL"));
    ZTM_ASSIGN_OR_RETURN(bool row, wal.Step());
    if (!row || wal.Text(0) != "wal") return Unavailable("cannot switch " + path_ + " to WAL");
  }
  if (version < kStoreSchemaVersion) ZTM_RETURN_IF_ERROR(UpgradeSchema(version));
  // FULL: a rotation that was acknowledged survives a power cut; with NORMAL the last
  // transactions could roll back and make an already-used refresh token fresh again.
  return Execute("PRAGMA synchronous = FULL");
}

Status SqliteStore::UpgradeSchema(std::int64_t version) {
  ZTM_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(this));
  // Read again under the write lock: another process may have upgraded the file meanwhile.
  {
    ZTM_ASSIGN_OR_RETURN(Statement current, Prepare("PRAGMA user_version"));
    ZTM_ASSIGN_OR_RETURN(bool row, current.Step());
    if (!row) return Unavailable("database is corrupt (empty PRAGMA user_version)");
    version = current.Int(0);
  }
  if (version == kStoreSchemaVersion) return transaction.Commit();
  if (version != 1) {
    return Unavailable(path_ + " has schema version " + std::to_string(version) +
                       "; this build reads version " + std::to_string(kStoreSchemaVersion));
  }
  ZTM_RETURN_IF_ERROR(Execute(kSchemaUpgradeTo2));
  const std::string stamp = "PRAGMA user_version = " + std::to_string(kStoreSchemaVersion);
  ZTM_RETURN_IF_ERROR(Execute(stamp.c_str()));
  return transaction.Commit();
}

// ---- challenges ----------------------------------------------------------------------------

Status SqliteStore::PutChallenge(ByteView challenge_hash, std::int64_t expires_at) {
  ZTM_RETURN_IF_ERROR(CheckHash(challenge_hash, "challenge hash"));
  std::lock_guard lock(mutex_);
  {
    // Opportunistic purge. `expires_at` is now + TTL with TTL <= kMaxChallengeTtlSeconds, so
    // whatever expired at or before expires_at - kMaxChallengeTtlSeconds has expired by now.
    ZTM_ASSIGN_OR_RETURN(
        Statement purge,
        Prepare("DELETE FROM challenges WHERE hash IN (SELECT hash FROM "
                "challenges WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)"));
    ZTM_RETURN_IF_ERROR(purge.Bind(1, expires_at - kMaxChallengeTtlSeconds)
                            .Bind(2, std::int64_t{kChallengePurgeBatch})
                            .Run());
  }
  ZTM_ASSIGN_OR_RETURN(Statement insert,
                       Prepare("INSERT INTO challenges(hash, expires_at) VALUES(?1, ?2)"));
  return insert.Bind(1, challenge_hash).Bind(2, expires_at).Run();
}

Result<bool> SqliteStore::ConsumeChallenge(ByteView challenge_hash, std::int64_t now) {
  ZTM_RETURN_IF_ERROR(CheckHash(challenge_hash, "challenge hash"));
  std::lock_guard lock(mutex_);
  // One statement deletes and reports: of two concurrent consumers (even in two processes),
  // only the one whose DELETE removed the row sees it returned.
  ZTM_ASSIGN_OR_RETURN(Statement consume,
                       Prepare("DELETE FROM challenges WHERE hash = ?1 RETURNING expires_at"));
  ZTM_ASSIGN_OR_RETURN(bool row, consume.Bind(1, challenge_hash).Step());
  if (!row) return false;
  bool valid = now < consume.Int(0);
  ZTM_RETURN_IF_ERROR(consume.Run());
  return valid;
}

// ---- devices -------------------------------------------------------------------------------

Status SqliteStore::InsertDevice(const DeviceRecord& device) {
  ZTM_RETURN_IF_ERROR(CheckText(device.device_id, kMaxStoredIdentifierBytes, "device_id"));
  ZTM_RETURN_IF_ERROR(CheckText(device.jkt, kMaxStoredIdentifierBytes, "jkt"));
  ZTM_RETURN_IF_ERROR(CheckText(device.public_jwk, kMaxStoredJsonBytes, "public_jwk"));
  ZTM_RETURN_IF_ERROR(
      CheckText(device.attestation_format, kMaxStoredIdentifierBytes, "attestation_format"));
  std::lock_guard lock(mutex_);
  ZTM_ASSIGN_OR_RETURN(
      Statement insert,
      Prepare("INSERT INTO devices(device_id, public_jwk, jkt, attestation_format, "
              "registered_at, revoked_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
  return insert.Bind(1, device.device_id)
      .Bind(2, device.public_jwk)
      .Bind(3, device.jkt)
      .Bind(4, device.attestation_format)
      .Bind(5, device.registered_at)
      .Bind(6, device.revoked_at)
      .Run();
}

namespace {

template <typename Row>
DeviceRecord ReadDevice(const Row& row) {
  DeviceRecord device;
  device.device_id = row.Text(0);
  device.public_jwk = row.Text(1);
  device.jkt = row.Text(2);
  device.attestation_format = row.Text(3);
  device.registered_at = row.Int(4);
  device.revoked_at = row.OptionalInt(5);
  return device;
}

}  // namespace

Result<std::optional<DeviceRecord>> SqliteStore::FindDevice(std::string_view device_id) {
  ZTM_RETURN_IF_ERROR(CheckText(device_id, kMaxStoredIdentifierBytes, "device_id"));
  std::lock_guard lock(mutex_);
  ZTM_ASSIGN_OR_RETURN(Statement find,
                       Prepare("SELECT device_id, public_jwk, jkt, attestation_format, "
                               "registered_at, revoked_at FROM devices WHERE device_id = ?1"));
  ZTM_ASSIGN_OR_RETURN(bool row, find.Bind(1, device_id).Step());
  if (!row) return std::optional<DeviceRecord>();
  return std::optional<DeviceRecord>(ReadDevice(find));
}

Result<std::vector<DeviceRecord>> SqliteStore::ListDevices() {
  std::lock_guard lock(mutex_);
  ZTM_ASSIGN_OR_RETURN(Statement list,
                       Prepare("SELECT device_id, public_jwk, jkt, attestation_format, "
                               "registered_at, revoked_at FROM devices "
                               "ORDER BY registered_at, rowid"));
  std::vector<DeviceRecord> devices;
  for (;;) {
    ZTM_ASSIGN_OR_RETURN(bool row, list.Step());
    if (!row) break;
    devices.push_back(ReadDevice(list));
  }
  return devices;
}

Status SqliteStore::RevokeDevice(std::string_view device_id, std::int64_t now) {
  ZTM_RETURN_IF_ERROR(CheckText(device_id, kMaxStoredIdentifierBytes, "device_id"));
  std::lock_guard lock(mutex_);
  ZTM_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(this));
  {
    ZTM_ASSIGN_OR_RETURN(Statement revoke,
                         Prepare("UPDATE devices SET revoked_at = coalesce(revoked_at, ?2) "
                                 "WHERE device_id = ?1 RETURNING 1"));
    ZTM_ASSIGN_OR_RETURN(bool found, revoke.Bind(1, device_id).Bind(2, now).Step());
    if (!found) return Error{Code::kStoreNotFound, "store: no such device"};
    ZTM_RETURN_IF_ERROR(revoke.Run());
  }
  {
    ZTM_ASSIGN_OR_RETURN(Statement families,
                         Prepare("UPDATE token_families SET revoked_at = ?2, "
                                 "revoked_reason = 'device_revoked' "
                                 "WHERE device_id = ?1 AND revoked_at IS NULL"));
    ZTM_RETURN_IF_ERROR(families.Bind(1, device_id).Bind(2, now).Run());
  }
  return transaction.Commit();
}

// ---- users ---------------------------------------------------------------------------------

Status SqliteStore::AddUser(const UserRecord& user) {
  ZTM_RETURN_IF_ERROR(CheckText(user.username, kMaxStoredIdentifierBytes, "username"));
  ZTM_RETURN_IF_ERROR(CheckText(user.password_hash, kMaxStoredIdentifierBytes, "password_hash"));
  std::lock_guard lock(mutex_);
  ZTM_ASSIGN_OR_RETURN(
      Statement insert,
      Prepare("INSERT INTO users(username, password_hash, created_at) VALUES(?1, ?2, ?3)"));
  auto status =
      insert.Bind(1, user.username).Bind(2, user.password_hash).Bind(3, user.created_at).Run();
  if (!status.ok() && status.code() == Code::kStoreConflict) {
    return Error{Code::kStoreConflict, "store: user already exists"};
  }
  return status;
}

Status SqliteStore::RemoveUser(std::string_view username) {
  ZTM_RETURN_IF_ERROR(CheckText(username, kMaxStoredIdentifierBytes, "username"));
  std::lock_guard lock(mutex_);
  ZTM_ASSIGN_OR_RETURN(Statement remove,
                       Prepare("DELETE FROM users WHERE username = ?1 RETURNING 1"));
  ZTM_ASSIGN_OR_RETURN(bool found, remove.Bind(1, username).Step());
  if (!found) return Error{Code::kStoreNotFound, "store: no such user"};
  return remove.Run();
}

Result<std::optional<UserRecord>> SqliteStore::FindUser(std::string_view username) {
  ZTM_RETURN_IF_ERROR(CheckText(username, kMaxStoredIdentifierBytes, "username"));
  std::lock_guard lock(mutex_);
  ZTM_ASSIGN_OR_RETURN(
      Statement find,
      Prepare("SELECT username, password_hash, created_at FROM users WHERE username = ?1"));
  ZTM_ASSIGN_OR_RETURN(bool row, find.Bind(1, username).Step());
  if (!row) return std::optional<UserRecord>();
  return std::optional<UserRecord>(UserRecord{find.Text(0), find.Text(1), find.Int(2)});
}

Result<std::vector<UserRecord>> SqliteStore::ListUsers() {
  std::lock_guard lock(mutex_);
  ZTM_ASSIGN_OR_RETURN(
      Statement list,
      Prepare("SELECT username, password_hash, created_at FROM users ORDER BY username"));
  std::vector<UserRecord> users;
  for (;;) {
    ZTM_ASSIGN_OR_RETURN(bool row, list.Step());
    if (!row) break;
    users.push_back(UserRecord{list.Text(0), list.Text(1), list.Int(2)});
  }
  return users;
}

// ---- token families ------------------------------------------------------------------------

namespace {

constexpr const char* kSelectFamily =
    "SELECT family_id, subject, device_id, jkt, acr, auth_time, created_at, expires_at, "
    "revoked_at, revoked_reason FROM token_families WHERE family_id = ?1";

template <typename Row>
TokenFamily ReadFamily(const Row& row) {
  TokenFamily family;
  family.family_id = row.Text(0);
  family.subject = row.Text(1);
  family.device_id = row.Text(2);
  family.jkt = row.Text(3);
  family.acr = row.Text(4);
  family.auth_time = row.Int(5);
  family.created_at = row.Int(6);
  family.expires_at = row.Int(7);
  family.revoked_at = row.OptionalInt(8);
  family.revoked_reason = row.Text(9);
  return family;
}

}  // namespace

Status SqliteStore::CreateFamily(const TokenFamily& family, ByteView first_token_hash) {
  ZTM_RETURN_IF_ERROR(CheckHash(first_token_hash, "refresh token hash"));
  ZTM_RETURN_IF_ERROR(CheckText(family.family_id, kMaxStoredIdentifierBytes, "family_id"));
  ZTM_RETURN_IF_ERROR(CheckText(family.subject, kMaxStoredIdentifierBytes, "subject"));
  ZTM_RETURN_IF_ERROR(CheckText(family.device_id, kMaxStoredIdentifierBytes, "device_id"));
  ZTM_RETURN_IF_ERROR(CheckText(family.jkt, kMaxStoredIdentifierBytes, "jkt"));
  ZTM_RETURN_IF_ERROR(CheckText(family.acr, kMaxStoredIdentifierBytes, "acr", true));
  ZTM_RETURN_IF_ERROR(
      CheckText(family.revoked_reason, kMaxStoredIdentifierBytes, "revoked_reason", true));
  if (family.expires_at <= family.created_at) {
    return Error{Code::kInvalidArgument, "store: family expires before it is created"};
  }
  std::lock_guard lock(mutex_);
  ZTM_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(this));
  {
    // Checked under the write lock: a family cannot be created for a device revoked a moment
    // earlier, since RevokeDevice only revokes the families that exist when it runs.
    ZTM_ASSIGN_OR_RETURN(Statement device,
                         Prepare("SELECT revoked_at FROM devices WHERE device_id = ?1"));
    ZTM_ASSIGN_OR_RETURN(bool found, device.Bind(1, family.device_id).Step());
    if (!found) return Error{Code::kStoreNotFound, "store: no such device"};
    if (!device.IsNull(0)) return Error{Code::kStoreConflict, "store: device is revoked"};
  }
  {
    ZTM_ASSIGN_OR_RETURN(
        Statement insert,
        Prepare("INSERT INTO token_families(family_id, subject, device_id, jkt, acr, auth_time, "
                "created_at, expires_at, revoked_at, revoked_reason) "
                "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
    ZTM_RETURN_IF_ERROR(insert.Bind(1, family.family_id)
                            .Bind(2, family.subject)
                            .Bind(3, family.device_id)
                            .Bind(4, family.jkt)
                            .Bind(5, family.acr)
                            .Bind(6, family.auth_time)
                            .Bind(7, family.created_at)
                            .Bind(8, family.expires_at)
                            .Bind(9, family.revoked_at)
                            .Bind(10, family.revoked_reason)
                            .Run());
  }
  {
    ZTM_ASSIGN_OR_RETURN(Statement token,
                         Prepare("INSERT INTO refresh_tokens(hash, family_id, generation, "
                                 "issued_at) VALUES(?1, ?2, 0, ?3)"));
    ZTM_RETURN_IF_ERROR(
        token.Bind(1, first_token_hash).Bind(2, family.family_id).Bind(3, family.created_at).Run());
  }
  return transaction.Commit();
}

Result<RefreshClaim> SqliteStore::ClaimRefreshToken(ByteView presented_hash,
                                                    ByteView successor_hash, std::int64_t now,
                                                    RefreshGrace grace) {
  ZTM_RETURN_IF_ERROR(CheckHash(presented_hash, "refresh token hash"));
  ZTM_RETURN_IF_ERROR(CheckHash(successor_hash, "successor hash"));
  std::lock_guard lock(mutex_);
  // BEGIN IMMEDIATE: the read of `used_at` and the write that claims it happen under one
  // write lock, so two claimers (threads or processes) never both see the token unused.
  ZTM_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(this));

  std::string family_id;
  std::int64_t generation = 0;
  std::optional<std::int64_t> used_at;
  std::int64_t grace_uses = 0;
  Bytes recorded_successor;
  {
    ZTM_ASSIGN_OR_RETURN(Statement token,
                         Prepare("SELECT family_id, generation, used_at, grace_uses, "
                                 "successor_hash FROM refresh_tokens WHERE hash = ?1"));
    ZTM_ASSIGN_OR_RETURN(bool found, token.Bind(1, presented_hash).Step());
    if (!found) return RefreshClaim{RefreshOutcome::kUnknown, std::nullopt};
    family_id = token.Text(0);
    generation = token.Int(1);
    used_at = token.OptionalInt(2);
    grace_uses = token.Int(3);
    recorded_successor = token.Blob(4);
  }
  TokenFamily family;
  {
    ZTM_ASSIGN_OR_RETURN(Statement find, Prepare(kSelectFamily));
    ZTM_ASSIGN_OR_RETURN(bool found, find.Bind(1, family_id).Step());
    // The foreign key makes this impossible unless the file was edited by hand.
    if (!found) return Unavailable("database is corrupt (refresh token without family)");
    family = ReadFamily(find);
  }
  if (family.revoked_at) {
    // A used token is a copy whoever presents it now; an unused one was current when the family
    // was revoked (the legitimate holder after a logout, a reuse or a device revocation). The
    // first revocation's time and reason stay.
    return RefreshClaim{used_at ? RefreshOutcome::kReused : RefreshOutcome::kFamilyRevoked, family};
  }
  if (now >= family.expires_at) return RefreshClaim{RefreshOutcome::kExpired, family};

  if (!used_at) {
    // First use: mark it used and record its successor as the family's next token.
    {
      ZTM_ASSIGN_OR_RETURN(Statement claim,
                           Prepare("UPDATE refresh_tokens SET used_at = ?2, successor_hash = ?3 "
                                   "WHERE hash = ?1"));
      ZTM_RETURN_IF_ERROR(claim.Bind(1, presented_hash).Bind(2, now).Bind(3, successor_hash).Run());
    }
    {
      ZTM_ASSIGN_OR_RETURN(Statement insert,
                           Prepare("INSERT INTO refresh_tokens(hash, family_id, generation, "
                                   "issued_at) VALUES(?1, ?2, ?3, ?4)"));
      ZTM_RETURN_IF_ERROR(insert.Bind(1, successor_hash)
                              .Bind(2, family_id)
                              .Bind(3, generation + 1)
                              .Bind(4, now)
                              .Run());
    }
    ZTM_RETURN_IF_ERROR(transaction.Commit());
    return RefreshClaim{RefreshOutcome::kRotated, family};
  }

  // Already used. A retry of the just-rotated token (its response was lost) within the grace
  // window gets the same successor back, a bounded number of times, and only while that
  // successor has not been used: once it has, the legitimate client has moved on, and the
  // presented token can only be a copy (RFC 9700 §4.14.2).
  bool successor_unused = false;
  {
    ZTM_ASSIGN_OR_RETURN(Statement successor,
                         Prepare("SELECT used_at IS NULL FROM refresh_tokens WHERE hash = ?1"));
    ZTM_ASSIGN_OR_RETURN(bool found, successor.Bind(1, recorded_successor).Step());
    successor_unused = found && successor.Int(0) != 0;
  }
  const bool within_grace = grace.seconds > 0 && now - *used_at <= grace.seconds &&
                            grace_uses < grace.max_retries && successor_unused;
  if (within_grace) {
    if (!ConstantTimeEqual(ByteView(recorded_successor), successor_hash)) {
      return Error{Code::kInvalidArgument,
                   "store: the successor differs from the one recorded at rotation"};
    }
    ZTM_ASSIGN_OR_RETURN(
        Statement retry,
        Prepare("UPDATE refresh_tokens SET grace_uses = grace_uses + 1 WHERE hash = ?1"));
    ZTM_RETURN_IF_ERROR(retry.Bind(1, presented_hash).Run());
    ZTM_RETURN_IF_ERROR(transaction.Commit());
    return RefreshClaim{RefreshOutcome::kGraceRetry, family};
  }

  // Reuse: RFC 9700 §4.14.2 — revoke the whole family, the legitimate holder's tokens too.
  {
    ZTM_ASSIGN_OR_RETURN(Statement revoke,
                         Prepare("UPDATE token_families SET revoked_at = ?2, "
                                 "revoked_reason = 'reuse' WHERE family_id = ?1"));
    ZTM_RETURN_IF_ERROR(revoke.Bind(1, family_id).Bind(2, now).Run());
  }
  ZTM_RETURN_IF_ERROR(transaction.Commit());
  family.revoked_at = now;
  family.revoked_reason = "reuse";
  return RefreshClaim{RefreshOutcome::kReused, family};
}

Result<std::optional<TokenFamily>> SqliteStore::FindFamilyByToken(ByteView token_hash) {
  ZTM_RETURN_IF_ERROR(CheckHash(token_hash, "refresh token hash"));
  std::lock_guard lock(mutex_);
  ZTM_ASSIGN_OR_RETURN(
      Statement find,
      Prepare("SELECT f.family_id, f.subject, f.device_id, f.jkt, f.acr, f.auth_time, "
              "f.created_at, f.expires_at, f.revoked_at, f.revoked_reason "
              "FROM refresh_tokens AS t JOIN token_families AS f USING (family_id) "
              "WHERE t.hash = ?1"));
  ZTM_ASSIGN_OR_RETURN(bool row, find.Bind(1, token_hash).Step());
  if (!row) return std::optional<TokenFamily>();
  return std::optional<TokenFamily>(ReadFamily(find));
}

Result<std::optional<TokenFamily>> SqliteStore::FindFamily(std::string_view family_id) {
  ZTM_RETURN_IF_ERROR(CheckText(family_id, kMaxStoredIdentifierBytes, "family_id"));
  std::lock_guard lock(mutex_);
  ZTM_ASSIGN_OR_RETURN(
      Statement find,
      Prepare("SELECT family_id, subject, device_id, jkt, acr, auth_time, created_at, "
              "expires_at, revoked_at, revoked_reason FROM token_families WHERE family_id = ?1"));
  ZTM_ASSIGN_OR_RETURN(bool row, find.Bind(1, family_id).Step());
  if (!row) return std::optional<TokenFamily>();
  return std::optional<TokenFamily>(ReadFamily(find));
}

Status SqliteStore::RevokeFamily(std::string_view family_id, std::int64_t now,
                                 std::string_view reason) {
  ZTM_RETURN_IF_ERROR(CheckText(family_id, kMaxStoredIdentifierBytes, "family_id"));
  ZTM_RETURN_IF_ERROR(CheckText(reason, kMaxStoredIdentifierBytes, "revocation reason"));
  std::lock_guard lock(mutex_);
  ZTM_ASSIGN_OR_RETURN(Statement revoke,
                       Prepare("UPDATE token_families SET revoked_at = coalesce(revoked_at, ?2), "
                               "revoked_reason = CASE WHEN revoked_at IS NULL THEN ?3 "
                               "ELSE revoked_reason END WHERE family_id = ?1 RETURNING 1"));
  ZTM_ASSIGN_OR_RETURN(bool found, revoke.Bind(1, family_id).Bind(2, now).Bind(3, reason).Step());
  if (!found) return Error{Code::kStoreNotFound, "store: no such token family"};
  return revoke.Run();
}

// ---- signing keys --------------------------------------------------------------------------

Status SqliteStore::RotateSigningKey(const SigningKeyRecord& key, std::int64_t now) {
  ZTM_RETURN_IF_ERROR(CheckText(key.kid, kMaxStoredIdentifierBytes, "kid"));
  ZTM_RETURN_IF_ERROR(CheckText(key.public_jwk, kMaxStoredJsonBytes, "public_jwk"));
  if (key.sealed_private_key.empty() || key.sealed_private_key.size() > kMaxSealedKeyBytes) {
    return Error{Code::kInvalidArgument, "store: sealed private key is empty or too large"};
  }
  std::lock_guard lock(mutex_);
  ZTM_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(this));
  {
    ZTM_ASSIGN_OR_RETURN(
        Statement retire,
        Prepare("UPDATE signing_keys SET active = 0, retired_at = ?1 WHERE active = 1"));
    ZTM_RETURN_IF_ERROR(retire.Bind(1, now).Run());
  }
  {
    ZTM_ASSIGN_OR_RETURN(
        Statement insert,
        Prepare("INSERT INTO signing_keys(kid, sealed_private_key, public_jwk, "
                "created_at, retired_at, active) VALUES(?1, ?2, ?3, ?4, NULL, 1)"));
    auto status = insert.Bind(1, key.kid)
                      .Bind(2, ByteView(key.sealed_private_key))
                      .Bind(3, key.public_jwk)
                      .Bind(4, key.created_at)
                      .Run();
    if (!status.ok() && status.code() == Code::kStoreConflict) {
      return Error{Code::kStoreConflict, "store: a signing key with this kid exists"};
    }
    ZTM_RETURN_IF_ERROR(std::move(status));
  }
  return transaction.Commit();
}

Result<std::vector<SigningKeyRecord>> SqliteStore::ListSigningKeys() {
  std::lock_guard lock(mutex_);
  ZTM_ASSIGN_OR_RETURN(Statement list,
                       Prepare("SELECT kid, sealed_private_key, public_jwk, created_at, "
                               "retired_at FROM signing_keys "
                               "ORDER BY active DESC, created_at DESC, rowid DESC"));
  std::vector<SigningKeyRecord> keys;
  for (;;) {
    ZTM_ASSIGN_OR_RETURN(bool row, list.Step());
    if (!row) break;
    SigningKeyRecord key;
    key.kid = list.Text(0);
    key.sealed_private_key = list.Blob(1);
    key.public_jwk = list.Text(2);
    key.created_at = list.Int(3);
    key.retired_at = list.OptionalInt(4);
    keys.push_back(std::move(key));
  }
  return keys;
}

// ---- pruning -------------------------------------------------------------------------------

namespace {

// Each statement deletes at most ?2 rows matching ?1, through a LIMITed subquery on an index
// (SQLite's DELETE … LIMIT needs a compile-time option Debian does not set).
constexpr const char* kPruneChallenges =
    "DELETE FROM challenges WHERE hash IN (SELECT hash FROM challenges "
    "WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)";
// A family has ended for pruning once it expired or was revoked at or before the cutoff; its
// refresh tokens, used or not, go first (the foreign key), then the family itself.
constexpr const char* kPruneRefreshTokens =
    "DELETE FROM refresh_tokens WHERE hash IN (SELECT t.hash FROM token_families AS f "
    "JOIN refresh_tokens AS t ON t.family_id = f.family_id "
    "WHERE f.expires_at <= ?1 OR f.revoked_at <= ?1 LIMIT ?2)";
// NOT EXISTS: a family is deleted only once none of its tokens is left, whatever happened
// between the two phases.
constexpr const char* kPruneFamilies =
    "DELETE FROM token_families WHERE family_id IN (SELECT f.family_id FROM token_families AS f "
    "WHERE (f.expires_at <= ?1 OR f.revoked_at <= ?1) AND NOT EXISTS "
    "(SELECT 1 FROM refresh_tokens AS t WHERE t.family_id = f.family_id) LIMIT ?2)";

}  // namespace

Result<std::int64_t> SqliteStore::PruneInBatches(const char* sql, std::int64_t time) {
  std::int64_t total = 0;
  for (;;) {
    // The mutex and the write lock are taken per batch: the gateway's own calls (and other
    // processes) get in between batches.
    std::lock_guard lock(mutex_);
    ZTM_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(this));
    std::int64_t deleted = 0;
    {
      ZTM_ASSIGN_OR_RETURN(Statement prune, Prepare(sql));
      ZTM_RETURN_IF_ERROR(prune.Bind(1, time).Bind(2, std::int64_t{kPruneBatchRows}).Run());
      deleted = sqlite3_changes64(db_);
    }
    ZTM_RETURN_IF_ERROR(transaction.Commit());
    total += deleted;
    if (deleted < kPruneBatchRows) return total;
  }
}

Result<PruneCounts> SqliteStore::PruneExpired(std::int64_t now) {
  const std::int64_t cutoff = now - kPrunedFamilyRetentionSeconds;
  PruneCounts counts;
  ZTM_ASSIGN_OR_RETURN(counts.challenges, PruneInBatches(kPruneChallenges, now));
  ZTM_ASSIGN_OR_RETURN(counts.refresh_tokens, PruneInBatches(kPruneRefreshTokens, cutoff));
  ZTM_ASSIGN_OR_RETURN(counts.token_families, PruneInBatches(kPruneFamilies, cutoff));
  return counts;
}

// ---- audit ---------------------------------------------------------------------------------

Status SqliteStore::AppendAudit(const AuditEvent& event) {
  ZTM_RETURN_IF_ERROR(CheckText(event.type, kMaxAuditTypeBytes, "audit type"));
  ZTM_RETURN_IF_ERROR(CheckText(event.subject, kMaxStoredIdentifierBytes, "audit subject", true));
  ZTM_RETURN_IF_ERROR(
      CheckText(event.device_id, kMaxStoredIdentifierBytes, "audit device_id", true));
  ZTM_RETURN_IF_ERROR(CheckText(event.detail, kMaxAuditDetailBytes, "audit detail", true));
  std::lock_guard lock(mutex_);
  ZTM_ASSIGN_OR_RETURN(Statement insert,
                       Prepare("INSERT INTO audit(time, type, subject, device_id, detail) "
                               "VALUES(?1, ?2, ?3, ?4, ?5)"));
  return insert.Bind(1, event.time)
      .Bind(2, event.type)
      .Bind(3, event.subject)
      .Bind(4, event.device_id)
      .Bind(5, event.detail)
      .Run();
}

Result<std::vector<AuditEvent>> SqliteStore::TailAudit(std::size_t limit) {
  if (limit > kMaxAuditTail) {
    return Error{Code::kInputTooLarge, "store: at most 10000 audit events per query"};
  }
  std::lock_guard lock(mutex_);
  ZTM_ASSIGN_OR_RETURN(Statement tail,
                       Prepare("SELECT id, time, type, subject, device_id, detail FROM "
                               "(SELECT * FROM audit ORDER BY id DESC LIMIT ?1) ORDER BY id"));
  tail.Bind(1, static_cast<std::int64_t>(limit));
  std::vector<AuditEvent> events;
  for (;;) {
    ZTM_ASSIGN_OR_RETURN(bool row, tail.Step());
    if (!row) break;
    events.push_back(AuditEvent{tail.Int(0), tail.Int(1), tail.Text(2), tail.Text(3), tail.Text(4),
                                tail.Text(5)});
  }
  return events;
}

}  // namespace ztm::server
