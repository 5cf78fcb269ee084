// The gateway's token-signing keys: P-256 keys sealed at rest under the master key
// (AES-256-GCM, AAD = kid) in the SigningKeyStore, one active key that signs, and retired keys
// that keep verifying for a retirement period after `ztm keys rotate` so tokens they signed
// stay valid until they expire. Published as a JWKS (RFC 7517 §5) at /.well-known/jwks.json.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/bytes.h"
#include "core/error.h"
#include "core/jose/jws.h"
#include "server/store/store.h"

namespace ztm::server {

// Creates a fresh P-256 signing key whose kid is its RFC 7638 thumbprint, sealed under
// `master_key` (nonce || ciphertext || tag, AAD = kid), and makes it the active key of
// `store`; the previously active key retires at `now`. Returns the new kid. This is what
// `ztm keys rotate` does; running gateways pick the key up at their next reload.
Result<std::string> RotateSigningKey(SigningKeyStore& store, const Secret& master_key,
                                     std::int64_t now);

// One key as `ztm keys list` shows it.
struct SigningKeyStatus {
  std::string kid;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> retired_at;
  // When a retired key stops verifying (retired_at + retirement period).
  std::optional<std::int64_t> verifies_until;
  bool active = false;
};

// Lists the keys of `store` with their state for a `retirement_seconds` period.
Result<std::vector<SigningKeyStatus>> ListSigningKeyStatus(SigningKeyStore& store,
                                                           std::int64_t retirement_seconds);

// The loaded key ring. Thread-safe: signing and verification read an immutable snapshot that a
// reload swaps atomically.
class KeyRing {
 public:
  // A running gateway re-reads the store this often to pick up `ztm keys rotate`.
  static constexpr std::int64_t kReloadIntervalSeconds = 30;
  // A token naming an unknown kid triggers a reload (it may come from a key rotated in by
  // another gateway), at most this often: anyone can send random kids, and each reload reads
  // the store.
  static constexpr std::int64_t kUnknownKidReloadIntervalSeconds = 5;

  // Loads the keys of `store`, creating a first active key if there is none. Fails with
  // kSigningKeyUnavailable if the active key cannot be unsealed with `master_key` (the wrong
  // master key file) or a stored public key is invalid, and with the store's errors.
  static Result<std::unique_ptr<KeyRing>> Load(SigningKeyStore& store, Secret master_key,
                                               std::int64_t now, std::int64_t retirement_seconds);

  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  // Re-reads the store. On failure the ring keeps its current keys and the error is returned.
  Status Reload(std::int64_t now);
  // Reloads if the last reload is kReloadIntervalSeconds old; errors keep the current keys.
  void ReloadIfDue(std::int64_t now);

  // Signs `payload` as a compact JWS with the active key (ES256). The protected header is
  // {"alg":"ES256","kid":<active kid>} followed by `header_members`.
  Result<std::string> Sign(const boost::json::object& header_members, ByteView payload) const;

  // The verifier for tokens signed with `kid` at `now`: the active key, or a retired key within
  // its retirement period. An unknown kid triggers a rate-limited reload first. Fails with
  // kSigningKeyUnavailable for an unknown kid or a key past its retirement period.
  Result<jose::JwsVerifier> VerifierFor(std::string_view kid, std::int64_t now);

  // The JWKS document ({"keys":[...]}) of every key that verifies at `now`, active first.
  std::string JwksJson(std::int64_t now) const;

  std::string active_kid() const;

 private:
  struct Entry {
    std::string kid;
    jose::JwsVerifier verifier;
    boost::json::object public_jwk;
    std::optional<std::int64_t> verifies_until;  // nullopt: the active key
  };
  struct Snapshot {
    std::string active_kid;
    std::optional<jose::Jwk> active_private;
    std::vector<Entry> entries;  // active first
  };

  KeyRing(SigningKeyStore& store, Secret master_key, std::int64_t retirement_seconds)
      : store_(store),
        master_key_(std::move(master_key)),
        retirement_seconds_(retirement_seconds) {}
  Result<std::shared_ptr<const Snapshot>> ReadSnapshot() const;
  std::shared_ptr<const Snapshot> snapshot() const;

  SigningKeyStore& store_;
  const Secret master_key_;
  const std::int64_t retirement_seconds_;

  mutable std::mutex snapshot_mutex_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::mutex reload_mutex_;  // one reload at a time
  std::atomic<std::int64_t> last_reload_{0};
  std::atomic<std::int64_t> last_unknown_kid_reload_{0};
};

}  // namespace ztm::server
