// CallbackKeyStore: the KeyStore interface over a platform keystore's C callbacks, checking
// everything the callbacks hand back.
#include "client/c_api/callback_key_store.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

namespace ztm::client {
namespace {

// What a callback's output length holds until the callback sets it: a callback that answers
// OK without saying how much it wrote is caught, not read as "0 bytes".
constexpr std::size_t kNotWritten = std::numeric_limits<std::size_t>::max();

// A result code outside ztm_keystore_result, standing for a callback that threw (C++ code
// behind the C callback): no exception may travel on through libztm.
constexpr int kCallbackThrew = -1;

// Calls a callback, turning any exception into kCallbackThrew.
template <typename Function, typename... Args>
int Invoke(Function function, Args... args) {
  try {
    return static_cast<int>(function(args...));
  } catch (...) {
    return kCallbackThrew;
  }
}

Error CallbackFailed(std::string_view operation, std::string_view alias, std::string detail) {
  return Error{Code::kKeyStoreCallbackFailed, "keystore callback " + std::string(operation) +
                                                  " for key " + std::string(alias) + ": " +
                                                  std::move(detail)};
}

// Maps a callback's result to the KeyStore interface's errors. DECRYPT_FAILED is only a
// meaningful answer from open; elsewhere it is a broken callback.
Status MapResult(int result, std::string_view operation, std::string_view alias,
                 bool decrypt_failure_allowed = false) {
  const std::string key(alias);
  switch (result) {
    case ZTM_KEYSTORE_OK:
      return OkStatus();
    case ZTM_KEYSTORE_NOT_FOUND:
      return Error{Code::kKeyNotFound, "no key with alias " + key};
    case ZTM_KEYSTORE_EXISTS:
      return Error{Code::kKeyExists, "a key with alias " + key + " exists"};
    case ZTM_KEYSTORE_WRONG_KEY_TYPE:
      return Error{Code::kCryptoKeyTypeMismatch, "key " + key + " is of the other kind"};
    case ZTM_KEYSTORE_USER_PRESENCE_REQUIRED:
      return Error{Code::kUserPresenceRequired, "user presence not confirmed for key " + key};
    case ZTM_KEYSTORE_DECRYPT_FAILED:
      if (decrypt_failure_allowed) {
        return Error{Code::kCryptoDecryptFailed,
                     "sealed data under key " + key + " failed authentication"};
      }
      return CallbackFailed(operation, alias, "answered decrypt_failed");
    case ZTM_KEYSTORE_FAILED:
      return CallbackFailed(operation, alias, "failed");
    case kCallbackThrew:
      return CallbackFailed(operation, alias, "threw an exception");
    default:
      return CallbackFailed(operation, alias, "returned unknown result " + std::to_string(result));
  }
}

Status CheckWritten(std::size_t written, std::size_t expected, std::string_view operation,
                    std::string_view alias) {
  if (written == kNotWritten) return CallbackFailed(operation, alias, "did not set its length");
  if (written != expected) {
    return CallbackFailed(
        operation, alias,
        "wrote " + std::to_string(written) + " bytes, " + std::to_string(expected) + " are due");
  }
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<CallbackKeyStore>> CallbackKeyStore::Create(
    const ztm_keystore_callbacks& callbacks) {
  if (callbacks.create_signing_key == nullptr || callbacks.signing_public_key == nullptr ||
      callbacks.sign == nullptr || callbacks.create_sealing_key == nullptr ||
      callbacks.seal == nullptr || callbacks.open == nullptr || callbacks.delete_key == nullptr ||
      callbacks.exists == nullptr) {
    return Error{Code::kInvalidArgument, "every keystore callback except release is required"};
  }
  return std::unique_ptr<CallbackKeyStore>(new CallbackKeyStore(callbacks));
}

CallbackKeyStore::~CallbackKeyStore() {
  if (callbacks_.release != nullptr) {
    try {
      callbacks_.release(callbacks_.ctx);
    } catch (...) {
      // A destructor cannot report it, and nothing is left to clean up on this side.
    }
  }
}

Result<crypto::PublicKey> CallbackKeyStore::CreateSigningKey(std::string_view alias,
                                                             const KeyOptions& options) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(alias));
  const std::string name(alias);
  ZTM_RETURN_IF_ERROR(MapResult(Invoke(callbacks_.create_signing_key, callbacks_.ctx, name.c_str(),
                                       options.user_presence ? 1 : 0),
                                "create_signing_key", alias));
  auto public_key = SigningPublicKey(alias);
  if (!public_key.ok()) {
    // A key whose public half is unusable must not stay under the alias: it would block
    // every retry with kKeyExists. Best effort; the public key's error is the one reported.
    (void)Invoke(callbacks_.delete_key, callbacks_.ctx, name.c_str());
  }
  return public_key;
}

Result<crypto::PublicKey> CallbackKeyStore::SigningPublicKey(std::string_view alias) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(alias));
  const std::string name(alias);
  std::uint8_t point[ZTM_P256_PUBLIC_KEY_BYTES] = {};
  std::size_t written = kNotWritten;
  ZTM_RETURN_IF_ERROR(MapResult(Invoke(callbacks_.signing_public_key, callbacks_.ctx, name.c_str(),
                                       point, sizeof(point), &written),
                                "signing_public_key", alias));
  ZTM_RETURN_IF_ERROR(CheckWritten(written, sizeof(point), "signing_public_key", alias));
  // SEC1 §2.3.3: 0x04 marks the uncompressed form; FromEcPoint would also take a compressed
  // point, which is not what the contract promises.
  if (point[0] != 0x04) {
    return CallbackFailed("signing_public_key", alias, "not an uncompressed SEC1 point");
  }
  auto key = crypto::PublicKey::FromEcPoint(ByteView(point, sizeof(point)));
  if (!key.ok()) {
    return CallbackFailed("signing_public_key", alias,
                          "not a point on P-256 (" + key.error().message + ")");
  }
  return key;
}

Result<Bytes> CallbackKeyStore::Sign(std::string_view alias, ByteView message) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(alias));
  const std::string name(alias);
  Bytes signature(ZTM_P256_SIGNATURE_BYTES);
  std::size_t written = kNotWritten;
  ZTM_RETURN_IF_ERROR(
      MapResult(Invoke(callbacks_.sign, callbacks_.ctx, name.c_str(), message.data(),
                       message.size(), signature.data(), signature.size(), &written),
                "sign", alias));
  // A DER signature (70 to 72 bytes) or a truncated one is refused here: R || S is due.
  ZTM_RETURN_IF_ERROR(CheckWritten(written, signature.size(), "sign", alias));
  return signature;
}

Status CallbackKeyStore::CreateSealingKey(std::string_view alias, const KeyOptions& options) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(alias));
  const std::string name(alias);
  return MapResult(Invoke(callbacks_.create_sealing_key, callbacks_.ctx, name.c_str(),
                          options.user_presence ? 1 : 0),
                   "create_sealing_key", alias);
}

Result<Bytes> CallbackKeyStore::Seal(std::string_view alias, ByteView plaintext,
                                     ByteView associated_data) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(alias));
  if (plaintext.size() > std::numeric_limits<std::size_t>::max() - ZTM_SEAL_OVERHEAD_BYTES) {
    return Error{Code::kInputTooLarge, "plaintext too large to seal"};
  }
  const std::string name(alias);
  // nonce || ciphertext || tag: the KeyStore contract fixes the size exactly.
  Bytes sealed(plaintext.size() + ZTM_SEAL_OVERHEAD_BYTES);
  std::size_t written = kNotWritten;
  ZTM_RETURN_IF_ERROR(
      MapResult(Invoke(callbacks_.seal, callbacks_.ctx, name.c_str(), plaintext.data(),
                       plaintext.size(), associated_data.data(), associated_data.size(),
                       sealed.data(), sealed.size(), &written),
                "seal", alias));
  ZTM_RETURN_IF_ERROR(CheckWritten(written, sealed.size(), "seal", alias));
  return sealed;
}

Result<Secret> CallbackKeyStore::Open(std::string_view alias, ByteView sealed,
                                      ByteView associated_data) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(alias));
  if (sealed.size() < ZTM_SEAL_OVERHEAD_BYTES) {
    return Error{Code::kCryptoDecryptFailed, "sealed data is shorter than a nonce and a tag"};
  }
  const std::string name(alias);
  const std::size_t plaintext_size = sealed.size() - ZTM_SEAL_OVERHEAD_BYTES;
  // One byte at least, so the callback gets a real pointer even for an empty plaintext.
  Bytes plaintext(std::max<std::size_t>(plaintext_size, 1));
  std::size_t written = kNotWritten;
  Status opened = MapResult(Invoke(callbacks_.open, callbacks_.ctx, name.c_str(), sealed.data(),
                                   sealed.size(), associated_data.data(), associated_data.size(),
                                   plaintext.data(), plaintext_size, &written),
                            "open", alias, /*decrypt_failure_allowed=*/true);
  if (opened.ok()) opened = CheckWritten(written, plaintext_size, "open", alias);
  if (!opened.ok()) {
    // The callback may have written part of a plaintext before failing.
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return std::move(opened).error();
  }
  plaintext.resize(plaintext_size);  // shrinking keeps the buffer: no unwiped copy is left
  return Secret(std::move(plaintext));
}

Status CallbackKeyStore::Delete(std::string_view alias) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(alias));
  const std::string name(alias);
  return MapResult(Invoke(callbacks_.delete_key, callbacks_.ctx, name.c_str()), "delete_key",
                   alias);
}

Result<bool> CallbackKeyStore::Exists(std::string_view alias) {
  ZTM_RETURN_IF_ERROR(ValidateKeyAlias(alias));
  const std::string name(alias);
  // Anything but 0 or 1 is a broken callback, not "exists".
  constexpr int kNotSet = -1;
  int exists = kNotSet;
  ZTM_RETURN_IF_ERROR(
      MapResult(Invoke(callbacks_.exists, callbacks_.ctx, name.c_str(), &exists), "exists", alias));
  if (exists != 0 && exists != 1) {
    return CallbackFailed("exists", alias, "answered " + std::to_string(exists) + ", not 0 or 1");
  }
  return exists == 1;
}

}  // namespace ztm::client
