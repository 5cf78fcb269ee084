// The gateway's persistent state, behind small interfaces: the embedded default is one SQLite
// file (sqlite_store.h); a later issue adds PostgreSQL behind the same interfaces. Every method
// is thread-safe and atomic: a failure changes nothing. Secrets are never stored in clear:
// challenges and refresh tokens are stored as SHA-256 hashes, token-signing keys sealed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"

namespace ztm::server {

// ---- challenges: single-use server nonces (POST /v1/challenge) -------------------------------
class ChallengeStore {
 public:
  virtual ~ChallengeStore() = default;
  // Records a challenge by the SHA-256 of its value, valid until `expires_at`.
  virtual Status PutChallenge(ByteView challenge_hash, std::int64_t expires_at) = 0;
  // Deletes the challenge and returns true if it existed and had not expired at `now`; false
  // otherwise. Two concurrent calls for one challenge: exactly one gets true.
  virtual Result<bool> ConsumeChallenge(ByteView challenge_hash, std::int64_t now) = 0;
};

// ---- devices ---------------------------------------------------------------------------------
struct DeviceRecord {
  std::string device_id;           // random 128-bit, base64url
  std::string public_jwk;          // the device key as a public JWK (JSON)
  std::string jkt;                 // its RFC 7638 thumbprint
  std::string attestation_format;  // "software", "apple-appattest", …
  std::int64_t registered_at = 0;
  std::optional<std::int64_t> revoked_at;
};

class DeviceStore {
 public:
  virtual ~DeviceStore() = default;
  // Fails with kStoreConflict if the id or the key (jkt) is already registered.
  virtual Status InsertDevice(const DeviceRecord& device) = 0;
  virtual Result<std::optional<DeviceRecord>> FindDevice(std::string_view device_id) = 0;
  // Marks the device revoked (idempotent) and revokes all its token families.
  virtual Status RevokeDevice(std::string_view device_id, std::int64_t now) = 0;
};

// ---- users (grant_type=password) -------------------------------------------------------------
struct UserRecord {
  std::string username;
  std::string password_hash;  // libsodium Argon2id encoded string (crypto_pwhash_str)
  std::int64_t created_at = 0;
};

class UserStore {
 public:
  virtual ~UserStore() = default;
  // Fails with kStoreConflict if the user exists.
  virtual Status AddUser(const UserRecord& user) = 0;
  // Fails with kStoreNotFound if there is no such user.
  virtual Status RemoveUser(std::string_view username) = 0;
  virtual Result<std::optional<UserRecord>> FindUser(std::string_view username) = 0;
  virtual Result<std::vector<UserRecord>> ListUsers() = 0;
};

// ---- token families (refresh-token rotation, RFC 9700 §4.14) ---------------------------------
struct TokenFamily {
  std::string family_id;  // random 128-bit, base64url
  std::string subject;    // "sub"
  std::string device_id;
  std::string jkt;  // the device key every refresh must prove (DPoP)
  std::string acr;
  std::int64_t auth_time = 0;
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;  // absolute family lifetime
  std::optional<std::int64_t> revoked_at;
  std::string revoked_reason;  // "logout", "reuse", "device_revoked", "admin"
};

struct RefreshGrace {
  std::int64_t seconds = 0;  // 0: no grace
  int max_retries = 0;
};

enum class RefreshOutcome {
  kRotated,        // first use: presented token is now used, successor recorded
  kGraceRetry,     // used within the grace window: the caller re-issues the same successor
  kReused,         // used outside the grace window: family revoked now (security event)
  kUnknown,        // no such token
  kExpired,        // family past its absolute lifetime
  kFamilyRevoked,  // family already revoked (logout, reuse, device revoked)
};

struct RefreshClaim {
  RefreshOutcome outcome = RefreshOutcome::kUnknown;
  std::optional<TokenFamily> family;  // set unless kUnknown
};

class TokenFamilyStore {
 public:
  virtual ~TokenFamilyStore() = default;
  // Creates a family whose first refresh token has SHA-256 `first_token_hash`.
  virtual Status CreateFamily(const TokenFamily& family, ByteView first_token_hash) = 0;
  // Atomically claims the refresh token with hash `presented_hash` and, on first use, records
  // `successor_hash` as the family's next token (the successor is derived deterministically
  // from the presented token by the caller, so a grace retry re-derives the same value and
  // nothing secret is stored). Exactly one of any number of concurrent claims of one token
  // gets kRotated; the others get kGraceRetry (within `grace`) or kReused (family revoked).
  virtual Result<RefreshClaim> ClaimRefreshToken(ByteView presented_hash, ByteView successor_hash,
                                                 std::int64_t now, RefreshGrace grace) = 0;
  // Finds the family a refresh token belongs to without claiming it (revocation, RFC 7009).
  virtual Result<std::optional<TokenFamily>> FindFamilyByToken(ByteView token_hash) = 0;
  // Finds a family by its id (the access token's "sid"): per-request session checks.
  virtual Result<std::optional<TokenFamily>> FindFamily(std::string_view family_id) = 0;
  // Revokes the family (idempotent).
  virtual Status RevokeFamily(std::string_view family_id, std::int64_t now,
                              std::string_view reason) = 0;
};

// ---- token-signing keys ----------------------------------------------------------------------
struct SigningKeyRecord {
  std::string kid;
  Bytes sealed_private_key;  // AES-256-GCM(master key, PKCS#8 DER), AAD = kid
  std::string public_jwk;    // JSON, with "kid"
  std::int64_t created_at = 0;
  // Set when rotated out: the key no longer signs, and verifies until `retired_at` plus the
  // configured retirement period.
  std::optional<std::int64_t> retired_at;
};

class SigningKeyStore {
 public:
  virtual ~SigningKeyStore() = default;
  // Inserts `key` as the active signing key and retires the previous active one at `now`,
  // atomically.
  virtual Status RotateSigningKey(const SigningKeyRecord& key, std::int64_t now) = 0;
  // Every key, active first, then retired ones newest first.
  virtual Result<std::vector<SigningKeyRecord>> ListSigningKeys() = 0;
};

// ---- audit: append-only security events ------------------------------------------------------
struct AuditEvent {
  std::int64_t id = 0;  // assigned by the store, increasing
  std::int64_t time = 0;
  std::string type;     // "device_registered", "token_issued", "refresh_reuse", "revoked", …
  std::string subject;  // may be empty
  std::string device_id;
  std::string detail;  // short, never a secret or token
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  virtual Status AppendAudit(const AuditEvent& event) = 0;
  // The newest `limit` events, oldest first.
  virtual Result<std::vector<AuditEvent>> TailAudit(std::size_t limit) = 0;
};

// ---- maintenance: removing rows that can no longer matter -----------------------------------
// Rows removed by one PruneExpired call, per table.
struct PruneCounts {
  std::int64_t challenges = 0;
  std::int64_t refresh_tokens = 0;
  std::int64_t token_families = 0;
};

class StoreMaintenance {
 public:
  virtual ~StoreMaintenance() = default;
  // Deletes what can no longer change a decision at `now`: expired challenges, and token
  // families (with their refresh tokens) revoked or expired long enough ago that no access
  // token naming them is still within its lifetime. Never removes a live family's tokens, used
  // ones included (reuse detection needs them until the family ends). Works in bounded batches
  // so other writers are never blocked for long; on failure, the batches already committed
  // stay deleted.
  virtual Result<PruneCounts> PruneExpired(std::int64_t now) = 0;
};

// Everything the gateway persists. The SQLite implementation is one object for all of it.
class GatewayStore : public ChallengeStore,
                     public DeviceStore,
                     public UserStore,
                     public TokenFamilyStore,
                     public SigningKeyStore,
                     public AuditLog,
                     public StoreMaintenance {};

}  // namespace ztm::server
