// Test support: a platform keystore in software behind ztm_keystore_callbacks, as an app's
// Swift or Kotlin code would provide it, with core crypto doing the work. Tests replace single
// callbacks with misbehaving ones to check that libztm refuses what they return.
#pragma once

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/crypto/crypto.h"
#include "core/crypto/keys.h"
#include "ztm/ztm.h"

namespace ztm::client::testing {

class SoftwarePlatformKeyStore {
 public:
  // The callbacks over this store; `release` counts into released().
  ztm_keystore_callbacks Callbacks() {
    ztm_keystore_callbacks callbacks{};
    callbacks.ctx = this;
    callbacks.release = [](void* ctx) { ++Self(ctx).released_; };
    callbacks.create_signing_key = [](void* ctx, const char* alias, int user_presence) {
      return Self(ctx).Create(alias, /*signing=*/true, user_presence == 1);
    };
    callbacks.signing_public_key = [](void* ctx, const char* alias, uint8_t* out, size_t capacity,
                                      size_t* written) {
      return Self(ctx).PublicKey(alias, out, capacity, written);
    };
    callbacks.sign = [](void* ctx, const char* alias, const uint8_t* message, size_t message_len,
                        uint8_t* out, size_t capacity, size_t* written) {
      return Self(ctx).Sign(alias, ByteView(message, message_len), out, capacity, written);
    };
    callbacks.create_sealing_key = [](void* ctx, const char* alias, int user_presence) {
      return Self(ctx).Create(alias, /*signing=*/false, user_presence == 1);
    };
    callbacks.seal = [](void* ctx, const char* alias, const uint8_t* plaintext,
                        size_t plaintext_len, const uint8_t* aad, size_t aad_len, uint8_t* out,
                        size_t capacity, size_t* written) {
      return Self(ctx).Seal(alias, ByteView(plaintext, plaintext_len), ByteView(aad, aad_len), out,
                            capacity, written);
    };
    callbacks.open = [](void* ctx, const char* alias, const uint8_t* sealed, size_t sealed_len,
                        const uint8_t* aad, size_t aad_len, uint8_t* out, size_t capacity,
                        size_t* written) {
      return Self(ctx).Open(alias, ByteView(sealed, sealed_len), ByteView(aad, aad_len), out,
                            capacity, written);
    };
    callbacks.delete_key = [](void* ctx, const char* alias) { return Self(ctx).Delete(alias); };
    callbacks.exists = [](void* ctx, const char* alias, int* exists) {
      return Self(ctx).Exists(alias, exists);
    };
    return callbacks;
  }

  int released() const { return released_; }
  int calls() const { return calls_; }
  bool Has(const std::string& alias) {
    std::lock_guard lock(mutex_);
    return keys_.count(alias) != 0;
  }
  // Whether the user confirms presence for gated keys.
  void set_user_present(bool present) { user_present_ = present; }

 private:
  struct Key {
    bool signing = false;
    bool user_presence = false;
    std::optional<crypto::PrivateKey> private_key;
    Secret sealing_key;
  };

  static SoftwarePlatformKeyStore& Self(void* ctx) {
    auto& self = *static_cast<SoftwarePlatformKeyStore*>(ctx);
    ++self.calls_;
    return self;
  }

  ztm_keystore_result Create(const std::string& alias, bool signing, bool user_presence) {
    std::lock_guard lock(mutex_);
    if (keys_.count(alias) != 0) return ZTM_KEYSTORE_EXISTS;
    Key key;
    key.signing = signing;
    key.user_presence = user_presence;
    if (signing) {
      auto generated = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256);
      if (!generated.ok()) return ZTM_KEYSTORE_FAILED;
      key.private_key = std::move(generated).value();
    } else {
      key.sealing_key = crypto::RandomSecret(crypto::kAesGcmKeyBytes);
    }
    keys_.emplace(alias, std::move(key));
    return ZTM_KEYSTORE_OK;
  }

  // Finds `alias` of the wanted kind, checking presence for a use of the key.
  ztm_keystore_result Find(const std::string& alias, bool signing, bool use, const Key** out) {
    auto it = keys_.find(alias);
    if (it == keys_.end()) return ZTM_KEYSTORE_NOT_FOUND;
    if (it->second.signing != signing) return ZTM_KEYSTORE_WRONG_KEY_TYPE;
    if (use && it->second.user_presence && !user_present_) {
      return ZTM_KEYSTORE_USER_PRESENCE_REQUIRED;
    }
    *out = &it->second;
    return ZTM_KEYSTORE_OK;
  }

  static ztm_keystore_result Write(ByteView data, uint8_t* out, size_t capacity, size_t* written) {
    if (data.size() > capacity) return ZTM_KEYSTORE_FAILED;
    if (!data.empty()) std::memcpy(out, data.data(), data.size());
    *written = data.size();
    return ZTM_KEYSTORE_OK;
  }

  ztm_keystore_result PublicKey(const std::string& alias, uint8_t* out, size_t capacity,
                                size_t* written) {
    std::lock_guard lock(mutex_);
    const Key* key = nullptr;
    if (auto found = Find(alias, true, false, &key); found != ZTM_KEYSTORE_OK) return found;
    Bytes point{0x04};
    Bytes x = key->private_key->public_key().EcX();
    Bytes y = key->private_key->public_key().EcY();
    point.insert(point.end(), x.begin(), x.end());
    point.insert(point.end(), y.begin(), y.end());
    return Write(point, out, capacity, written);
  }

  ztm_keystore_result Sign(const std::string& alias, ByteView message, uint8_t* out,
                           size_t capacity, size_t* written) {
    std::lock_guard lock(mutex_);
    const Key* key = nullptr;
    if (auto found = Find(alias, true, true, &key); found != ZTM_KEYSTORE_OK) return found;
    auto signature =
        key->private_key->Sign(crypto::SignatureAlgorithm::kEcdsaP256Sha256Raw, message);
    if (!signature.ok()) return ZTM_KEYSTORE_FAILED;
    return Write(*signature, out, capacity, written);
  }

  ztm_keystore_result Seal(const std::string& alias, ByteView plaintext, ByteView aad, uint8_t* out,
                           size_t capacity, size_t* written) {
    std::lock_guard lock(mutex_);
    const Key* key = nullptr;
    if (auto found = Find(alias, false, true, &key); found != ZTM_KEYSTORE_OK) return found;
    auto sealed = crypto::AesGcmSealRandomNonce(key->sealing_key.view(), plaintext, aad);
    if (!sealed.ok()) return ZTM_KEYSTORE_FAILED;
    return Write(*sealed, out, capacity, written);
  }

  ztm_keystore_result Open(const std::string& alias, ByteView sealed, ByteView aad, uint8_t* out,
                           size_t capacity, size_t* written) {
    std::lock_guard lock(mutex_);
    const Key* key = nullptr;
    if (auto found = Find(alias, false, true, &key); found != ZTM_KEYSTORE_OK) return found;
    auto opened = crypto::AesGcmOpenWithNonce(key->sealing_key.view(), sealed, aad);
    if (!opened.ok()) return ZTM_KEYSTORE_DECRYPT_FAILED;
    return Write(*opened, out, capacity, written);
  }

  ztm_keystore_result Delete(const std::string& alias) {
    std::lock_guard lock(mutex_);
    return keys_.erase(alias) == 1 ? ZTM_KEYSTORE_OK : ZTM_KEYSTORE_NOT_FOUND;
  }

  ztm_keystore_result Exists(const std::string& alias, int* exists) {
    std::lock_guard lock(mutex_);
    *exists = keys_.count(alias) != 0 ? 1 : 0;
    return ZTM_KEYSTORE_OK;
  }

  std::mutex mutex_;
  std::map<std::string, Key> keys_;
  std::atomic<bool> user_present_{true};
  std::atomic<int> released_{0};
  std::atomic<int> calls_{0};
};

}  // namespace ztm::client::testing
