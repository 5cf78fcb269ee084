// EncryptedDatabase: an app's offline data in SQLite encrypted by SQLCipher (every page
// AES-256 with an HMAC, including the WAL), under a random 256-bit raw key kept in the
// SecureStore. The key is never derived from a password and never on disk in the clear; as a
// raw key (x'...') it also skips SQLCipher's PBKDF2, which only matters for passphrases.
//
// SQLCipher 3.x format (the Debian package is 3.4.1): a later move to SQLCipher 4 needs
// `PRAGMA cipher_compatibility = 3` or a migration.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "client/storage/secure_store.h"
#include "core/bytes.h"
#include "core/error.h"
#include "ztm/sql.h"

// SQLCipher's connection handle; <sqlite3.h> stays out of this header.
struct sqlite3;

namespace ztm::client {

// A value bound to or read from SQL: NULL, INTEGER, REAL, TEXT or BLOB (the public types).
using SqlValue = ztm::SqlValue;
using SqlRow = ztm::SqlRow;

// The SecureStore item holding the database key unless the caller names another.
inline constexpr std::string_view kDefaultDatabaseKeyItem = "ztm.database-key";
// SQLCipher raw keys are 256 bits (AES-256).
inline constexpr std::size_t kDatabaseKeyBytes = 32;
// Query returns every row in memory; a runaway query fails with kInputTooLarge instead of
// exhausting a phone's memory. Apps page with LIMIT/OFFSET.
inline constexpr std::size_t kMaxQueryRows = 10000;
// A statement waits at most this long for another connection's lock before failing.
inline constexpr int kBusyTimeoutMilliseconds = 5000;

class EncryptedDatabase {
 public:
  // Open opens the database at `path` with the key in `keys` under `key_item`. On the first
  // open (no database file, no key item) it creates a random key, stores it in `keys`, and
  // creates the file with mode 0600. `keys` must outlive the returned object (Wipe uses it).
  // Fails with kDatabaseNotEncrypted (a plain SQLite file), kDatabaseKeyInvalid (wrong key,
  // or the database exists but its key item does not), kKeyStoreInsecure (the file is
  // group/world-accessible or a symlink), the SecureStore's errors (a tampered key item),
  // or kDatabaseUnavailable (cannot open; not built against SQLCipher).
  static Result<std::unique_ptr<EncryptedDatabase>> Open(
      std::string path, SecureStore& keys,
      std::string key_item = std::string(kDefaultDatabaseKeyItem));

  // OpenWithKey opens (creating if `create` is true) the database at `path` with `key`
  // (kDatabaseKeyBytes), for callers that manage the key themselves. Fails like Open;
  // Wipe on such a database deletes its files only.
  static Result<std::unique_ptr<EncryptedDatabase>> OpenWithKey(std::string path, const Secret& key,
                                                                bool create);

  ~EncryptedDatabase();
  EncryptedDatabase(const EncryptedDatabase&) = delete;
  EncryptedDatabase& operator=(const EncryptedDatabase&) = delete;

  // Exec runs one SQL statement with `parameters` bound to its ?-placeholders in order.
  // Fails with kDatabaseQueryFailed (syntax, constraint, more or fewer parameters than
  // placeholders, or more than one statement in `sql`), kKeyStoreClosed after Wipe.
  Status Exec(std::string_view sql, std::span<const SqlValue> parameters = {});

  // Query runs one statement like Exec and returns its rows. Fails like Exec, or with
  // kInputTooLarge beyond kMaxQueryRows rows.
  Result<std::vector<SqlRow>> Query(std::string_view sql,
                                    std::span<const SqlValue> parameters = {});

  // Wipe closes the database and deletes its files (the database, -wal, -shm, -journal) and
  // its key item. Without the key the ciphertext is useless, which is what protects data on
  // flash and copy-on-write filesystems where deleting or overwriting a file does not erase
  // its blocks. Later calls fail with kKeyStoreClosed.
  Status Wipe();

  // Destroy deletes the database at `path` without opening it: its files, and the key item
  // `key_item` of `keys` if `keys` is not null. Missing pieces are not errors.
  static Status Destroy(const std::string& path, SecureStore* keys, std::string_view key_item);

 private:
  EncryptedDatabase(std::string path, ::sqlite3* db, SecureStore* keys, std::string key_item)
      : path_(std::move(path)), db_(db), keys_(keys), key_item_(std::move(key_item)) {}
  Result<std::vector<SqlRow>> Run(std::string_view sql, std::span<const SqlValue> parameters,
                                  bool collect_rows);

  const std::string path_;
  std::mutex mutex_;         // one statement at a time on the connection; orders Wipe
  sqlite3* db_;              // null after Wipe
  SecureStore* const keys_;  // borrowed; null for OpenWithKey
  const std::string key_item_;
};

}  // namespace ztm::client
