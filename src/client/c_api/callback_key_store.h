// CallbackKeyStore: a client::KeyStore whose keys live in a platform keystore (Secure Enclave,
// Android Keystore) reached through the C ABI's ztm_keystore_callbacks. The callbacks are
// foreign code: every result they return is checked (result codes, output lengths, the public
// key being a point on P-256), and a callback that breaks its contract fails cleanly with
// kKeyStoreCallbackFailed instead of being trusted.
#pragma once

#include <memory>
#include <string_view>

#include "client/keystore/key_store.h"
#include "ztm/ztm.h"

namespace ztm::client {

class CallbackKeyStore final : public KeyStore {
 public:
  // Create makes a store calling `callbacks` (copied). Fails with kInvalidArgument if any
  // function pointer other than `release` is NULL; then the store does not take `ctx`.
  // Otherwise the store owns `ctx`: its destructor calls callbacks.release(ctx) once.
  static Result<std::unique_ptr<CallbackKeyStore>> Create(const ztm_keystore_callbacks& callbacks);
  ~CallbackKeyStore() override;

  CallbackKeyStore(const CallbackKeyStore&) = delete;
  CallbackKeyStore& operator=(const CallbackKeyStore&) = delete;

  // Every method validates the alias first (kKeyAliasInvalid, without calling back), maps the
  // callback's ztm_keystore_result to the KeyStore interface's codes (NOT_FOUND: kKeyNotFound,
  // EXISTS: kKeyExists, WRONG_KEY_TYPE: kCryptoKeyTypeMismatch, USER_PRESENCE_REQUIRED:
  // kUserPresenceRequired, DECRYPT_FAILED from open: kCryptoDecryptFailed) and fails with
  // kKeyStoreCallbackFailed for FAILED, an unknown or misplaced result, or an output of the
  // wrong size.
  Result<crypto::PublicKey> CreateSigningKey(std::string_view alias,
                                             const KeyOptions& options) override;
  Result<crypto::PublicKey> SigningPublicKey(std::string_view alias) override;
  Result<Bytes> Sign(std::string_view alias, ByteView message) override;
  Status CreateSealingKey(std::string_view alias, const KeyOptions& options) override;
  Result<Bytes> Seal(std::string_view alias, ByteView plaintext, ByteView associated_data) override;
  // Fails with kCryptoDecryptFailed without calling back if `sealed` is shorter than a nonce
  // and a tag. The plaintext buffer is wiped on every failure.
  Result<Secret> Open(std::string_view alias, ByteView sealed, ByteView associated_data) override;
  Status Delete(std::string_view alias) override;
  Result<bool> Exists(std::string_view alias) override;

 private:
  explicit CallbackKeyStore(const ztm_keystore_callbacks& callbacks) : callbacks_(callbacks) {}
  const ztm_keystore_callbacks callbacks_;
};

}  // namespace ztm::client
