// The embedded default store: every GatewayStore interface on one SQLite file (WAL mode), so a
// single gateway needs no database server and keeps devices, token families, keys, users and
// the audit trail across restarts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "server/store/store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ztm::server {

// `PRAGMA application_id` of a ztm-gateway database ("ZTMG"): a file with another id is some
// other program's database and is refused, never reinitialised.
inline constexpr std::int32_t kStoreApplicationId = 0x5A544D47;
// `PRAGMA user_version`: the schema version this build reads and writes. Version 1 (no
// indexes for pruning) is upgraded to 2 in place when opened.
inline constexpr std::int32_t kStoreSchemaVersion = 2;
// The oldest schema version Open upgrades.
inline constexpr std::int32_t kStoreOldestUpgradableVersion = 1;
// How long a statement waits for another process (the `ztm` operator verbs, a second gateway
// on the same file) to release its write lock before failing with kStoreUnavailable. A write
// transaction here takes microseconds; 5 s absorbs a checkpoint on a slow disk.
inline constexpr int kStoreBusyTimeoutMilliseconds = 5000;
// TailAudit returns at most this many events (one screen-scrolling operator query, bounded
// memory).
inline constexpr std::size_t kMaxAuditTail = 10'000;
// Expired challenges are purged opportunistically by PutChallenge, at most this many per call
// (more than the one it inserts, so the table shrinks back; never an unbounded delete).
inline constexpr int kChallengePurgeBatch = 100;
// The longest challenge TTL the configuration allows (attestation.challenge_ttl_seconds is
// 10..600): PutChallenge knows only the new challenge's expiry, and purges what expired at
// least this long before it.
inline constexpr std::int64_t kMaxChallengeTtlSeconds = 600;
// PruneExpired keeps a revoked or expired token family (and its refresh tokens) this long
// after it ended. Access tokens are checked against their family on every request, and one
// issued just before the end lives up to 3600 s more (tokens.access_token_ttl_seconds at most)
// plus 60 s of clock skew: a pruned family is refused like a revoked one, so the margin only
// keeps a live access token from being cut short and leaves an operator a day to inspect an
// ended session.
inline constexpr std::int64_t kPrunedFamilyRetentionSeconds = 86'400;
// Rows deleted per PruneExpired transaction: a batch takes a few milliseconds, so a prune of
// millions of rows never holds the write lock long enough to stall a refresh or a login.
inline constexpr int kPruneBatchRows = 1000;
// Length bounds on stored text (bytes). A device key JWK is a few hundred bytes; 16 KiB leaves
// room for an RSA JWK or attestation metadata while bounding each row.
inline constexpr std::size_t kMaxStoredJsonBytes = 16 * 1024;
// Identifiers: device and family ids (22 characters of base64url), thumbprints (43), kids,
// usernames, subjects (an OIDC `sub` is at most 255 ASCII characters, OIDC Core §2).
inline constexpr std::size_t kMaxStoredIdentifierBytes = 255;
// Audit event fields: `type` is a short snake_case name; `detail` a short human phrase.
inline constexpr std::size_t kMaxAuditTypeBytes = 64;
inline constexpr std::size_t kMaxAuditDetailBytes = 1024;
// A sealed PKCS#8 private key (P-256 or Ed25519) is under 200 bytes; 8 KiB bounds any key.
inline constexpr std::size_t kMaxSealedKeyBytes = 8 * 1024;

// How Open treats a path with no file.
enum class StoreOpenMode {
  kCreateIfMissing,  // the gateway, and `ztm users add` before the first start
  kMustExist,        // operator verbs that only read or revoke: a typo must not create a file
};

// SqliteStore is the whole GatewayStore on one SQLite file.
//
// Thread-safety: one connection, guarded by a mutex: every method holds it for its whole
// statement or transaction, so calls from the gateway's threads are serialised (each takes
// microseconds; the store is not on the per-request verification path). Several processes may
// open the same file (WAL): multi-statement operations run in BEGIN IMMEDIATE transactions, so
// a refresh-token claim, a key rotation or a device revocation is atomic across processes too.
// Every SQL statement is a prepared statement with bound values.
class SqliteStore final : public GatewayStore {
 public:
  // Open opens (or, with kCreateIfMissing, creates with mode 0600) the database at `path`.
  //
  // A new or empty file gets the schema, `application_id` and `user_version`. An existing file
  // is refused with kStoreUnavailable, and left byte-for-byte unchanged, when it:
  //  - is not a regular file, or is writable by its group or by others (anyone who can write
  //    it can add a user or a device: "store: /p is group- or world-writable (chmod 600 it)");
  //  - is not an SQLite database, or is another application's database
  //    ("store: /p is not a ztm-gateway database");
  //  - has a schema version this build does not know;
  //  - fails SQLite's quick_check ("store: database is corrupt (…)").
  // Only after these checks is the file switched to WAL mode and, if it has an older schema
  // version (kStoreOldestUpgradableVersion or later), upgraded in one transaction. Also sets
  // busy_timeout and foreign_keys=ON.
  static Result<std::unique_ptr<SqliteStore>> Open(
      const std::string& path, StoreOpenMode mode = StoreOpenMode::kCreateIfMissing);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // ChallengeStore. PutChallenge fails with kStoreConflict for a duplicate hash and purges
  // up to kChallengePurgeBatch expired challenges. ConsumeChallenge deletes the challenge
  // whether or not it has expired.
  Status PutChallenge(ByteView challenge_hash, std::int64_t expires_at) override;
  Result<bool> ConsumeChallenge(ByteView challenge_hash, std::int64_t now) override;

  // DeviceStore. RevokeDevice fails with kStoreNotFound for an unknown device; its families
  // are revoked with reason "device_revoked" (families already revoked keep their reason).
  Status InsertDevice(const DeviceRecord& device) override;
  Result<std::optional<DeviceRecord>> FindDevice(std::string_view device_id) override;
  Status RevokeDevice(std::string_view device_id, std::int64_t now) override;
  // ListDevices returns every device, oldest registration first (`ztm devices list`).
  Result<std::vector<DeviceRecord>> ListDevices();

  // UserStore. ListUsers is sorted by username.
  Status AddUser(const UserRecord& user) override;
  Status RemoveUser(std::string_view username) override;
  Result<std::optional<UserRecord>> FindUser(std::string_view username) override;
  Result<std::vector<UserRecord>> ListUsers() override;

  // TokenFamilyStore. Token hashes must be 32 bytes (SHA-256), else kInvalidArgument.
  // CreateFamily fails with kStoreNotFound if the device does not exist, kStoreConflict if it
  // is revoked (checked in the same transaction) or if the family id or token hash exists.
  //
  // ClaimRefreshToken decides, in one BEGIN IMMEDIATE transaction:
  //   unknown hash                                   → kUnknown
  //   family revoked: token unused                   → kFamilyRevoked (the legitimate holder)
  //                   token used                     → kReused (a copy; revocation unchanged)
  //   now >= family.expires_at                       → kExpired
  //   token unused                                   → kRotated: used_at = now, successor
  //                                                    recorded and inserted (generation + 1)
  //   token used, grace.seconds > 0, now - used_at <= grace.seconds, fewer than
  //   grace.max_retries earlier retries, successor not used yet
  //                                                  → kGraceRetry (grace_uses + 1)
  //   token used otherwise                           → kReused: family revoked, reason "reuse"
  // So of N concurrent claims of one token, one is kRotated, up to max_retries are
  // kGraceRetry, the rest kReused. A grace retry whose `successor_hash` differs from the one
  // recorded at rotation fails with kInvalidArgument and changes nothing.
  //
  // RevokeFamily fails with kStoreNotFound for an unknown family; revoking a revoked family
  // keeps its first time and reason.
  Status CreateFamily(const TokenFamily& family, ByteView first_token_hash) override;
  Result<RefreshClaim> ClaimRefreshToken(ByteView presented_hash, ByteView successor_hash,
                                         std::int64_t now, RefreshGrace grace) override;
  Result<std::optional<TokenFamily>> FindFamilyByToken(ByteView token_hash) override;
  Result<std::optional<TokenFamily>> FindFamily(std::string_view family_id) override;
  Status RevokeFamily(std::string_view family_id, std::int64_t now,
                      std::string_view reason) override;

  // SigningKeyStore. RotateSigningKey fails with kStoreConflict for a duplicate kid.
  Status RotateSigningKey(const SigningKeyRecord& key, std::int64_t now) override;
  Result<std::vector<SigningKeyRecord>> ListSigningKeys() override;

  // AuditLog. AppendAudit fails with kInputTooLarge for a field over its bound (see the
  // constants above) and kInvalidArgument for an empty type; TailAudit with kInputTooLarge
  // for a limit over kMaxAuditTail. The table refuses UPDATE and DELETE (triggers), whoever
  // issues them.
  Status AppendAudit(const AuditEvent& event) override;
  Result<std::vector<AuditEvent>> TailAudit(std::size_t limit) override;

  // StoreMaintenance. With `cutoff` = now - kPrunedFamilyRetentionSeconds, deletes challenges
  // with expires_at <= now (ConsumeChallenge refuses them already), then the refresh tokens of
  // families with expires_at <= cutoff or revoked_at <= cutoff, then those families, in
  // transactions of at most kPruneBatchRows rows, releasing the store between batches. Audit
  // events (append-only), devices (a revoked device's key must stay refused) and signing keys
  // are never pruned.
  Result<PruneCounts> PruneExpired(std::int64_t now) override;

  // The path this store was opened with.
  const std::string& path() const { return path_; }

 private:
  class Statement;
  class Transaction;
  SqliteStore(std::string path, sqlite3* db);
  Status InitializeOrCheckSchema();
  // Upgrades a schema of `version` (checked, older than kStoreSchemaVersion) in place.
  Status UpgradeSchema(std::int64_t version);
  // Runs one prune `sql` (bound: ?1 a time, ?2 kPruneBatchRows) in its own transaction until
  // a batch deletes fewer than kPruneBatchRows rows; returns the rows deleted.
  Result<std::int64_t> PruneInBatches(const char* sql, std::int64_t time);
  // Prepares `sql` once and caches it by address: `sql` must be a string literal (or another
  // string with static storage that never changes).
  Result<Statement> Prepare(const char* sql);
  Status Execute(const char* sql);
  Error SqliteError(int rc, std::string_view what) const;

  std::mutex mutex_;
  std::string path_;
  sqlite3* db_;
  // Prepared once per SQL text (keyed by the literal's address), finalized with the store.
  std::unordered_map<const char*, sqlite3_stmt*> statements_;
};

}  // namespace ztm::server
