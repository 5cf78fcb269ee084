// EncryptedDatabase: SQLCipher with a raw 256-bit key from the SecureStore.
#include "client/storage/encrypted_database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>

#include "core/crypto/crypto.h"

namespace ztm::client {
namespace {

// The first 16 bytes of every unencrypted SQLite 3 database (sqlite.org/fileformat.html
// §1.3.1); an SQLCipher file starts with its random salt instead.
constexpr std::string_view kPlainSqliteHeader("SQLite format 3\0", 16);
// What SQLite appends to the database path for its side files.
constexpr std::string_view kSideFileSuffixes[] = {"-wal", "-shm", "-journal"};

struct StatementDeleter {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

struct FileState {
  bool exists = false;
  bool empty = true;
};

// Checks the database file like a key file (ours, 0600, not a symlink) and refuses a plain
// SQLite file up front: SQLCipher would only report "file is not a database".
Result<FileState> InspectFile(const std::string& path) {
  FileState state;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return state;
    if (errno == ELOOP) return Error{Code::kKeyStoreInsecure, path + " is a symlink"};
    return Error{Code::kDatabaseUnavailable, "cannot open " + path + ": " + std::strerror(errno)};
  }
  struct stat info {};
  char header[16] = {};
  const bool statted = ::fstat(fd, &info) == 0;
  const ssize_t read_bytes = statted ? ::read(fd, header, sizeof(header)) : -1;
  ::close(fd);
  if (!statted || read_bytes < 0) {
    return Error{Code::kDatabaseUnavailable, "cannot read " + path};
  }
  if (!S_ISREG(info.st_mode)) return Error{Code::kKeyStoreInsecure, path + " is not a file"};
  if (info.st_uid != ::geteuid() || (info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Error{Code::kKeyStoreInsecure,
                 path + " is accessible to group or others, or owned by another user"};
  }
  state.exists = true;
  state.empty = info.st_size == 0;
  if (read_bytes == static_cast<ssize_t>(sizeof(header)) &&
      std::string_view(header, sizeof(header)) == kPlainSqliteHeader) {
    return Error{Code::kDatabaseNotEncrypted,
                 path + " is a plain (unencrypted) SQLite database, not an encrypted one"};
  }
  return state;
}

Status CreateEmptyFile(const std::string& path) {
  int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, S_IRUSR | S_IWUSR);
  if (fd < 0) {
    return Error{Code::kDatabaseUnavailable, "cannot create " + path + ": " + std::strerror(errno)};
  }
  // The umask can only clear bits of 0600; fchmod makes the mode exact whatever it is.
  const bool ok = ::fchmod(fd, S_IRUSR | S_IWUSR) == 0;
  ::close(fd);
  if (!ok) return Error{Code::kDatabaseUnavailable, "cannot chmod " + path};
  return OkStatus();
}

// SQLCipher's raw-key syntax, x'<64 hex digits>', built straight into a wiped buffer.
Secret RawKeySpec(const Secret& key) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  Bytes spec;
  spec.reserve(3 + 2 * key.size());
  spec.push_back('x');
  spec.push_back('\'');
  for (std::uint8_t byte : key.view()) {
    spec.push_back(static_cast<std::uint8_t>(kHex[byte >> 4]));
    spec.push_back(static_cast<std::uint8_t>(kHex[byte & 0x0f]));
  }
  spec.push_back('\'');
  return Secret(std::move(spec));
}

Error SqliteError(Code code, std::string_view what, sqlite3* db) {
  return Error{code, std::string(what) + ": " + sqlite3_errmsg(db)};
}

// Opens the connection, keys it, and proves the key by reading the schema.
Result<sqlite3*> OpenConnection(const std::string& path, const Secret& key, bool create,
                                const FileState& state) {
  if (key.size() != kDatabaseKeyBytes) {
    return Error{Code::kDatabaseKeyInvalid, "a database key is 32 bytes"};
  }
  if (!state.exists) {
    if (!create) return Error{Code::kDatabaseUnavailable, "no database at " + path};
    ZTM_RETURN_IF_ERROR(CreateEmptyFile(path));
  }
  sqlite3* raw = nullptr;
  const int opened =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close_v2);
  if (opened != SQLITE_OK) {
    return Error{Code::kDatabaseUnavailable,
                 "cannot open " + path + ": " + (raw ? sqlite3_errmsg(raw) : "out of memory")};
  }
  // The key comes before anything reads the file (SQLCipher: sqlite3_key ≡ PRAGMA key).
  const Secret spec = RawKeySpec(key);
  if (sqlite3_key(db.get(), spec.data(), static_cast<int>(spec.size())) != SQLITE_OK) {
    return SqliteError(Code::kDatabaseUnavailable, "cannot set the database key", db.get());
  }
  // A build accidentally linked against plain SQLite accepts sqlite3_key as a no-op stub or
  // ignores PRAGMA key; cipher_version answers only under SQLCipher.
  {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db.get(), "PRAGMA cipher_version", -1, &statement, nullptr) !=
        SQLITE_OK) {
      return SqliteError(Code::kDatabaseUnavailable, "PRAGMA cipher_version", db.get());
    }
    Statement guard(statement);
    const unsigned char* version =
        sqlite3_step(statement) == SQLITE_ROW ? sqlite3_column_text(statement, 0) : nullptr;
    if (version == nullptr || *version == '\0') {
      return Error{Code::kDatabaseUnavailable,
                   "SQLite is not SQLCipher: refusing to store data unencrypted"};
    }
  }
  // SQLCipher checks the key only when it first reads a page: a wrong key (or a file that is
  // not a database) shows up here as SQLITE_NOTADB.
  const int checked =
      sqlite3_exec(db.get(), "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
  if (checked == SQLITE_NOTADB) {
    return Error{Code::kDatabaseKeyInvalid,
                 "wrong database key, or " + path + " is not an encrypted database"};
  }
  if (checked != SQLITE_OK) {
    return SqliteError(Code::kDatabaseUnavailable, "cannot read " + path, db.get());
  }
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMilliseconds);
  // WAL: readers do not block the writer; SQLCipher encrypts the WAL's pages too.
  if (sqlite3_exec(db.get(), "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON", nullptr,
                   nullptr, nullptr) != SQLITE_OK) {
    return SqliteError(Code::kDatabaseUnavailable, "cannot configure " + path, db.get());
  }
  return db.release();
}

Status RemoveIfPresent(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Error{Code::kInternal, "cannot remove " + path + ": " + std::strerror(errno)};
  }
  return OkStatus();
}

bool OnlyWhitespace(const char* begin, const char* end) {
  for (const char* p = begin; p < end; ++p) {
    if (!std::isspace(static_cast<unsigned char>(*p)) && *p != ';') return false;
  }
  return true;
}

Status Bind(sqlite3_stmt* statement, int index, const SqlValue& value) {
  int rc = SQLITE_OK;
  if (std::holds_alternative<std::nullptr_t>(value)) {
    rc = sqlite3_bind_null(statement, index);
  } else if (const auto* integer = std::get_if<std::int64_t>(&value)) {
    rc = sqlite3_bind_int64(statement, index, *integer);
  } else if (const auto* real = std::get_if<double>(&value)) {
    rc = sqlite3_bind_double(statement, index, *real);
  } else if (const auto* text = std::get_if<std::string>(&value)) {
    if (text->size() > INT_MAX) return Error{Code::kInputTooLarge, "text parameter too large"};
    rc = sqlite3_bind_text(statement, index, text->data(), static_cast<int>(text->size()),
                           SQLITE_TRANSIENT);
  } else {
    const Bytes& blob = std::get<Bytes>(value);
    if (blob.size() > INT_MAX) return Error{Code::kInputTooLarge, "blob parameter too large"};
    // An empty blob must stay a blob, not become NULL (a null pointer means NULL).
    rc = blob.empty() ? sqlite3_bind_zeroblob(statement, index, 0)
                      : sqlite3_bind_blob(statement, index, blob.data(),
                                          static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  }
  if (rc != SQLITE_OK) return Error{Code::kDatabaseQueryFailed, "cannot bind a parameter"};
  return OkStatus();
}

SqlValue Column(sqlite3_stmt* statement, int index) {
  switch (sqlite3_column_type(statement, index)) {
    case SQLITE_INTEGER:
      return static_cast<std::int64_t>(sqlite3_column_int64(statement, index));
    case SQLITE_FLOAT:
      return sqlite3_column_double(statement, index);
    case SQLITE_TEXT: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, index));
      return std::string(text ? text : "", sqlite3_column_bytes(statement, index));
    }
    case SQLITE_BLOB: {
      const auto* blob = static_cast<const std::uint8_t*>(sqlite3_column_blob(statement, index));
      return blob ? Bytes(blob, blob + sqlite3_column_bytes(statement, index)) : Bytes();
    }
    default:
      return nullptr;
  }
}

}  // namespace

Result<std::unique_ptr<EncryptedDatabase>> EncryptedDatabase::Open(std::string path,
                                                                   SecureStore& keys,
                                                                   std::string key_item) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(key_item));
  ZTM_ASSIGN_OR_RETURN(FileState state, InspectFile(path));
  Result<Secret> stored = keys.Get(key_item);
  Secret key;
  if (stored.ok()) {
    key = std::move(stored).value();
  } else if (stored.code() == Code::kSecureItemNotFound) {
    if (state.exists && !state.empty) {
      return Error{Code::kDatabaseKeyInvalid,
                   path + " exists but its key is gone (wiped?): it cannot be decrypted"};
    }
    key = crypto::RandomSecret(kDatabaseKeyBytes);
    ZTM_RETURN_IF_ERROR(keys.Put(key_item, key));
  } else {
    return std::move(stored).error();
  }
  ZTM_ASSIGN_OR_RETURN(sqlite3 * db, OpenConnection(path, key, /*create=*/true, state));
  return std::unique_ptr<EncryptedDatabase>(
      new EncryptedDatabase(std::move(path), db, &keys, std::move(key_item)));
}

Result<std::unique_ptr<EncryptedDatabase>> EncryptedDatabase::OpenWithKey(std::string path,
                                                                          const Secret& key,
                                                                          bool create) {
  ZTM_ASSIGN_OR_RETURN(FileState state, InspectFile(path));
  ZTM_ASSIGN_OR_RETURN(sqlite3 * db, OpenConnection(path, key, create, state));
  return std::unique_ptr<EncryptedDatabase>(
      new EncryptedDatabase(std::move(path), db, nullptr, std::string()));
}

EncryptedDatabase::~EncryptedDatabase() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Result<std::vector<SqlRow>> EncryptedDatabase::Run(std::string_view sql,
                                                   std::span<const SqlValue> parameters,
                                                   bool collect_rows) {
  std::lock_guard lock(mutex_);
  if (db_ == nullptr) return Error{Code::kKeyStoreClosed, "the database was wiped"};
  if (sql.size() > INT_MAX) return Error{Code::kInputTooLarge, "SQL too long"};
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, &tail) != SQLITE_OK) {
    return SqliteError(Code::kDatabaseQueryFailed, "cannot prepare", db_);
  }
  Statement statement(raw);
  if (statement == nullptr) return Error{Code::kDatabaseQueryFailed, "no SQL statement"};
  // One statement per call: a second one would run without its parameters being bound.
  if (!OnlyWhitespace(tail, sql.data() + sql.size())) {
    return Error{Code::kDatabaseQueryFailed, "one SQL statement per call"};
  }
  if (sqlite3_bind_parameter_count(raw) != static_cast<int>(parameters.size())) {
    return Error{Code::kDatabaseQueryFailed,
                 "the statement has " + std::to_string(sqlite3_bind_parameter_count(raw)) +
                     " parameters, " + std::to_string(parameters.size()) + " given"};
  }
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    ZTM_RETURN_IF_ERROR(Bind(raw, static_cast<int>(i + 1), parameters[i]));
  }
  std::vector<SqlRow> rows;
  for (;;) {
    const int stepped = sqlite3_step(raw);
    if (stepped == SQLITE_DONE) break;
    if (stepped != SQLITE_ROW) return SqliteError(Code::kDatabaseQueryFailed, "SQL failed", db_);
    if (!collect_rows) continue;
    if (rows.size() == kMaxQueryRows) {
      return Error{Code::kInputTooLarge, "query returned more than 10000 rows (page with LIMIT)"};
    }
    SqlRow row;
    const int columns = sqlite3_column_count(raw);
    row.reserve(columns);
    for (int c = 0; c < columns; ++c) row.push_back(Column(raw, c));
    rows.push_back(std::move(row));
  }
  return rows;
}

Status EncryptedDatabase::Exec(std::string_view sql, std::span<const SqlValue> parameters) {
  ZTM_RETURN_IF_ERROR(Run(sql, parameters, /*collect_rows=*/false));
  return OkStatus();
}

Result<std::vector<SqlRow>> EncryptedDatabase::Query(std::string_view sql,
                                                     std::span<const SqlValue> parameters) {
  return Run(sql, parameters, /*collect_rows=*/true);
}

Status EncryptedDatabase::Wipe() {
  std::lock_guard lock(mutex_);
  if (db_ == nullptr) return Error{Code::kKeyStoreClosed, "the database was wiped"};
  sqlite3_close_v2(db_);
  db_ = nullptr;
  return Destroy(path_, keys_, key_item_);
}

Status EncryptedDatabase::Destroy(const std::string& path, SecureStore* keys,
                                  std::string_view key_item) {
  // The key first: once it is gone the files are ciphertext nobody can read.
  if (keys != nullptr) {
    Status removed = keys->Remove(key_item);
    if (!removed.ok() && removed.code() != Code::kSecureItemNotFound) return removed;
  }
  ZTM_RETURN_IF_ERROR(RemoveIfPresent(path));
  for (std::string_view suffix : kSideFileSuffixes) {
    ZTM_RETURN_IF_ERROR(RemoveIfPresent(path + std::string(suffix)));
  }
  return OkStatus();
}

}  // namespace ztm::client
