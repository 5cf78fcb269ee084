// Alias validation shared by every KeyStore implementation and the SecureStore, and the
// default OpenSigningKey.
#include "client/keystore/key_store.h"

#include <utility>

namespace ztm::client {
namespace {

// The default held signing key: nothing is held, each signature is the store's Sign.
class StoreSigningKey final : public crypto::Signer {
 public:
  StoreSigningKey(KeyStore& keys, std::string alias, crypto::PublicKey public_key,
                  const Clock& clock, std::int64_t expires_at)
      : keys_(keys),
        alias_(std::move(alias)),
        public_key_(std::move(public_key)),
        clock_(clock),
        expires_at_(expires_at) {}

  crypto::SignatureAlgorithm algorithm() const override {
    return crypto::SignatureAlgorithm::kEcdsaP256Sha256Raw;
  }
  const crypto::PublicKey& public_key() const override { return public_key_; }

 private:
  Result<Bytes> SignMessage(ByteView message) const override {
    if (clock_.NowSeconds() >= expires_at_) {
      return Error{Code::kSigningKeyHandleExpired, "signing key " + alias_ + " was held too long"};
    }
    return keys_.Sign(alias_, message);
  }

  KeyStore& keys_;
  const std::string alias_;
  const crypto::PublicKey public_key_;
  const Clock& clock_;
  const std::int64_t expires_at_;
};

}  // namespace

Status ValidateSigningKeyHold(std::int64_t hold_seconds) {
  if (hold_seconds < 1 || hold_seconds > kMaxSigningKeyHoldSeconds) {
    return Error{
        Code::kInvalidArgument,
        "a signing key is held for 1 to " + std::to_string(kMaxSigningKeyHoldSeconds) + " seconds"};
  }
  return OkStatus();
}

Result<std::shared_ptr<const crypto::Signer>> KeyStore::OpenSigningKey(std::string_view alias,
                                                                       const Clock& clock,
                                                                       std::int64_t hold_seconds) {
  ZTM_RETURN_IF_ERROR(ValidateSigningKeyHold(hold_seconds));
  ZTM_ASSIGN_OR_RETURN(crypto::PublicKey public_key, SigningPublicKey(alias));
  return std::shared_ptr<const crypto::Signer>(std::make_shared<const StoreSigningKey>(
      *this, std::string(alias), std::move(public_key), clock, clock.NowSeconds() + hold_seconds));
}

Status ValidateKeyAlias(std::string_view alias) {
  if (alias.empty() || alias.size() > kMaxKeyAliasBytes) {
    return Error{Code::kKeyAliasInvalid, "an alias has 1 to 64 characters"};
  }
  if (alias.front() == '.') return Error{Code::kKeyAliasInvalid, "an alias cannot start with '.'"};
  for (char c : alias) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!allowed) {
      return Error{Code::kKeyAliasInvalid, "an alias uses only the characters A-Z a-z 0-9 . _ -"};
    }
  }
  return OkStatus();
}

}  // namespace ztm::client
