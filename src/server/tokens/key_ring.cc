#include "server/tokens/key_ring.h"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <utility>

#include "core/crypto/crypto.h"
#include "core/crypto/keys.h"
#include "core/jose/jwk.h"
#include "core/json.h"

namespace ztm::server {
namespace {

constexpr std::string_view kAlgorithmName = "ES256";

// The public JWK stored and published for a signing key: kty/crv/x/y plus kid, alg, use.
Result<boost::json::object> PublishedJwk(const crypto::PublicKey& key, const std::string& kid) {
  ZTM_ASSIGN_OR_RETURN(boost::json::object jwk, jose::Jwk::FromPublicKey(key).ToPublicObject());
  jwk["kid"] = kid;
  jwk["alg"] = kAlgorithmName;
  jwk["use"] = "sig";
  return jwk;
}

Error Unavailable(const std::string& message) {
  return Error{Code::kSigningKeyUnavailable, message};
}

}  // namespace

Result<std::string> RotateSigningKey(SigningKeyStore& store, const Secret& master_key,
                                     std::int64_t now) {
  if (master_key.size() != crypto::kAesGcmKeyBytes) {
    return Error{Code::kInvalidArgument, "master key must be 32 bytes"};
  }
  ZTM_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                       crypto::PrivateKey::Generate(crypto::KeyType::kEcP256));
  const std::string kid = jose::Jwk::FromPublicKey(key.public_key()).Thumbprint();
  SigningKeyRecord record;
  record.kid = kid;
  Secret pkcs8 = key.ToPkcs8Der();
  ZTM_ASSIGN_OR_RETURN(
      record.sealed_private_key,
      crypto::AesGcmSealRandomNonce(master_key.view(), pkcs8.view(), AsBytes(kid)));
  ZTM_ASSIGN_OR_RETURN(boost::json::object jwk, PublishedJwk(key.public_key(), kid));
  record.public_jwk = json::Serialize(jwk);
  record.created_at = now;
  ZTM_RETURN_IF_ERROR(store.RotateSigningKey(record, now));
  return kid;
}

Result<std::vector<SigningKeyStatus>> ListSigningKeyStatus(SigningKeyStore& store,
                                                           std::int64_t retirement_seconds) {
  ZTM_ASSIGN_OR_RETURN(std::vector<SigningKeyRecord> records, store.ListSigningKeys());
  std::vector<SigningKeyStatus> result;
  for (const SigningKeyRecord& record : records) {
    SigningKeyStatus status;
    status.kid = record.kid;
    status.created_at = record.created_at;
    status.retired_at = record.retired_at;
    status.active = !record.retired_at.has_value();
    if (record.retired_at) status.verifies_until = *record.retired_at + retirement_seconds;
    result.push_back(std::move(status));
  }
  return result;
}

Result<std::unique_ptr<KeyRing>> KeyRing::Load(SigningKeyStore& store, Secret master_key,
                                               std::int64_t now, std::int64_t retirement_seconds) {
  if (master_key.size() != crypto::kAesGcmKeyBytes) {
    return Error{Code::kInvalidArgument, "master key must be 32 bytes"};
  }
  if (retirement_seconds < 0) {
    return Error{Code::kInvalidArgument, "key retirement period must not be negative"};
  }
  ZTM_ASSIGN_OR_RETURN(std::vector<SigningKeyRecord> records, store.ListSigningKeys());
  bool has_active = false;
  for (const SigningKeyRecord& record : records) has_active |= !record.retired_at.has_value();
  if (!has_active) ZTM_RETURN_IF_ERROR(RotateSigningKey(store, master_key, now));
  std::unique_ptr<KeyRing> ring(new KeyRing(store, std::move(master_key), retirement_seconds));
  ZTM_RETURN_IF_ERROR(ring->Reload(now));
  return ring;
}

Result<std::shared_ptr<const KeyRing::Snapshot>> KeyRing::ReadSnapshot() const {
  ZTM_ASSIGN_OR_RETURN(std::vector<SigningKeyRecord> records, store_.ListSigningKeys());
  auto snapshot = std::make_shared<Snapshot>();
  for (const SigningKeyRecord& record : records) {
    ZTM_ASSIGN_OR_RETURN(boost::json::object stored, json::ParseObject(record.public_jwk));
    auto public_jwk = jose::ParsePublicJwk(stored);
    if (!public_jwk.ok() || public_jwk->key_type() != jose::JwkKeyType::kEcP256 ||
        public_jwk->kid() != record.kid) {
      return Unavailable("signing key " + record.kid + ": stored public key is invalid");
    }
    auto verifier = jose::JwsVerifier::Create({jose::JwsAlgorithm::kEs256}, *public_jwk);
    if (!verifier.ok()) {
      return Unavailable("signing key " + record.kid + ": " + verifier.error().message);
    }
    std::optional<std::int64_t> verifies_until;
    if (record.retired_at) verifies_until = *record.retired_at + retirement_seconds_;
    if (!record.retired_at) {
      if (!snapshot->active_kid.empty()) {
        return Unavailable("the store has more than one active signing key");
      }
      // AES-GCM with AAD = kid: a sealed key moved to another kid's row fails to open.
      auto pkcs8 = crypto::AesGcmOpenWithNonce(master_key_.view(), record.sealed_private_key,
                                               AsBytes(record.kid));
      if (!pkcs8.ok()) {
        return Unavailable("signing key " + record.kid +
                           ": cannot unseal it (is this the master key it was sealed with?)");
      }
      Secret der(std::move(pkcs8).value());
      auto private_key = crypto::PrivateKey::FromPkcs8Der(der.view());
      if (!private_key.ok() || private_key->type() != crypto::KeyType::kEcP256 ||
          jose::Jwk::FromPublicKey(private_key->public_key()).Thumbprint() !=
              public_jwk->Thumbprint()) {
        return Unavailable("signing key " + record.kid +
                           ": sealed private key does not match its public key");
      }
      snapshot->active_kid = record.kid;
      snapshot->active_private = jose::Jwk::FromPrivateKey(*private_key);
    }
    ZTM_ASSIGN_OR_RETURN(boost::json::object published,
                         PublishedJwk(*public_jwk->public_key(), record.kid));
    Entry entry{record.kid, std::move(verifier).value(), std::move(published), verifies_until};
    if (!record.retired_at) {
      snapshot->entries.insert(snapshot->entries.begin(), std::move(entry));
    } else {
      snapshot->entries.push_back(std::move(entry));
    }
  }
  if (snapshot->active_kid.empty()) return Unavailable("the store has no active signing key");
  return std::shared_ptr<const Snapshot>(std::move(snapshot));
}

std::shared_ptr<const KeyRing::Snapshot> KeyRing::snapshot() const {
  std::lock_guard<std::mutex> lock(snapshot_mutex_);
  return snapshot_;
}

Status KeyRing::Reload(std::int64_t now) {
  std::lock_guard<std::mutex> reload_lock(reload_mutex_);
  last_reload_ = now;
  ZTM_ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> fresh, ReadSnapshot());
  std::lock_guard<std::mutex> lock(snapshot_mutex_);
  snapshot_ = std::move(fresh);
  return OkStatus();
}

void KeyRing::ReloadIfDue(std::int64_t now) {
  std::int64_t last = last_reload_.load();
  // One thread wins the due reload; the others keep serving with the current keys.
  if (now - last < kReloadIntervalSeconds || !last_reload_.compare_exchange_strong(last, now)) {
    return;
  }
  // The error is deliberately dropped: the current keys stay in use, and the next due reload
  // tries again.
  (void)Reload(now);
}

Result<std::string> KeyRing::Sign(const boost::json::object& header_members,
                                  ByteView payload) const {
  std::shared_ptr<const Snapshot> current = snapshot();
  boost::json::object header;
  header["kid"] = current->active_kid;
  for (const auto& member : header_members) {
    if (member.key() == "kid") continue;
    header[member.key()] = member.value();
  }
  return jose::SignCompact(header, payload, *current->active_private, jose::JwsAlgorithm::kEs256);
}

Result<jose::JwsVerifier> KeyRing::VerifierFor(std::string_view kid, std::int64_t now) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::shared_ptr<const Snapshot> current = snapshot();
    for (const Entry& entry : current->entries) {
      if (entry.kid != kid) continue;
      if (entry.verifies_until && now >= *entry.verifies_until) {
        return Unavailable("token signed by a retired key");
      }
      return entry.verifier;
    }
    if (attempt == 0) {
      std::int64_t last = last_unknown_kid_reload_.load();
      if (now - last < kUnknownKidReloadIntervalSeconds ||
          !last_unknown_kid_reload_.compare_exchange_strong(last, now)) {
        break;
      }
      if (!Reload(now).ok()) break;
    }
  }
  return Unavailable("token signed by an unknown key");
}

std::string KeyRing::JwksJson(std::int64_t now) const {
  std::shared_ptr<const Snapshot> current = snapshot();
  boost::json::array keys;
  for (const Entry& entry : current->entries) {
    if (entry.verifies_until && now >= *entry.verifies_until) continue;
    keys.push_back(entry.public_jwk);
  }
  boost::json::object document;
  document["keys"] = std::move(keys);
  return json::Serialize(document);
}

std::string KeyRing::active_kid() const { return snapshot()->active_kid; }

}  // namespace ztm::server
