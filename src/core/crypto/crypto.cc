// Randomness, hashes, HMAC, HKDF and AES-256-GCM on OpenSSL 3 EVP. Algorithm objects are
// fetched once per process (EVP_MD_fetch / EVP_CIPHER_fetch), not per call.
#include "core/crypto/crypto.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <memory>

namespace ztm::crypto {
namespace {

const EVP_MD* Md(HashAlgorithm algorithm) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static EVP_MD* const sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  static EVP_MD* const sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  const EVP_MD* md = nullptr;
  switch (algorithm) {
    case HashAlgorithm::kSha256:
      md = sha256;
      break;
    case HashAlgorithm::kSha384:
      md = sha384;
      break;
    case HashAlgorithm::kSha512:
      md = sha512;
      break;
  }
  if (md == nullptr) std::abort();  // the default provider is always present
  return md;
}

const char* MdName(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::kSha256:
      return "SHA256";
    case HashAlgorithm::kSha384:
      return "SHA384";
    case HashAlgorithm::kSha512:
      return "SHA512";
  }
  return "SHA256";
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const EVP_CIPHER* Aes256Gcm() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  if (cipher == nullptr) std::abort();
  return cipher;
}

Status CheckGcmSizes(ByteView key, ByteView nonce) {
  if (key.size() != kAesGcmKeyBytes) {
    return Error{Code::kInvalidArgument, "aes-gcm: key must be 32 bytes (AES-256)"};
  }
  if (nonce.size() != kAesGcmNonceBytes) {
    return Error{Code::kInvalidArgument, "aes-gcm: nonce must be 12 bytes"};
  }
  return OkStatus();
}

// OpenSSL takes int lengths; refuse anything that does not fit rather than truncate.
bool FitsInt(std::size_t n) { return n <= static_cast<std::size_t>(INT32_MAX); }

}  // namespace

void FillRandom(std::span<std::uint8_t> out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) std::abort();
}

Bytes RandomBytes(std::size_t length) {
  Bytes out(length);
  FillRandom(out);
  return out;
}

Secret RandomSecret(std::size_t length) { return Secret(RandomBytes(length)); }

std::size_t DigestLength(HashAlgorithm algorithm) {
  return static_cast<std::size_t>(EVP_MD_get_size(Md(algorithm)));
}

Bytes Hash(HashAlgorithm algorithm, ByteView data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &length, Md(algorithm), nullptr) != 1) {
    std::abort();
  }
  out.resize(length);
  return out;
}

struct Hasher::State {
  explicit State(HashAlgorithm algorithm) : context(EVP_MD_CTX_new()) {
    if (context == nullptr || EVP_DigestInit_ex(context, Md(algorithm), nullptr) != 1) {
      std::abort();
    }
  }
  ~State() { EVP_MD_CTX_free(context); }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  EVP_MD_CTX* context;
  bool finished = false;
};

Hasher::Hasher(HashAlgorithm algorithm) : state_(std::make_unique<State>(algorithm)) {}
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;
Hasher::~Hasher() = default;

void Hasher::Update(ByteView data) {
  if (state_ == nullptr || state_->finished) std::abort();
  if (!data.empty() && EVP_DigestUpdate(state_->context, data.data(), data.size()) != 1) {
    std::abort();
  }
}

Bytes Hasher::Finish() {
  if (state_ == nullptr || state_->finished) std::abort();
  state_->finished = true;
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(state_->context, out.data(), &length) != 1) std::abort();
  out.resize(length);
  return out;
}

Bytes Hmac(HashAlgorithm algorithm, ByteView key, ByteView data) {
  Bytes out(EVP_MAX_MD_SIZE);
  std::size_t length = 0;
  static const std::uint8_t kEmpty = 0;
  // EVP_Q_mac rejects a NULL key pointer even with length 0; HMAC allows empty keys.
  const std::uint8_t* key_data = key.empty() ? &kEmpty : key.data();
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, MdName(algorithm), nullptr, key_data, key.size(),
                data.data(), data.size(), out.data(), out.size(), &length) == nullptr) {
    std::abort();
  }
  out.resize(length);
  return out;
}

Status HmacVerify(HashAlgorithm algorithm, ByteView key, ByteView data, ByteView mac) {
  Bytes expected = Hmac(algorithm, key, data);
  if (!ConstantTimeEqual(expected, mac)) {
    return Error{Code::kCryptoSignatureInvalid, "hmac: signature is not valid"};
  }
  return OkStatus();
}

Result<Secret> Hkdf(HashAlgorithm algorithm, ByteView input_key, ByteView salt, ByteView info,
                    std::size_t length) {
  if (length == 0 || length > 255 * DigestLength(algorithm)) {
    return Error{Code::kInvalidArgument, "hkdf: output length must be 1..255*hash length"};
  }
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return Error{Code::kInternal, "hkdf: unavailable"};
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (ctx == nullptr) return Error{Code::kInternal, "hkdf: out of memory"};
  static std::uint8_t kEmpty = 0;
  auto ptr = [](ByteView v) {
    return v.empty() ? static_cast<void*>(&kEmpty) : const_cast<std::uint8_t*>(v.data());
  };
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(MdName(algorithm)),
                                       0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ptr(input_key), input_key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, ptr(salt), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, ptr(info), info.size()),
      OSSL_PARAM_construct_end()};
  Bytes out(length);
  int ok = EVP_KDF_derive(ctx, out.data(), out.size(), params);
  EVP_KDF_CTX_free(ctx);
  if (ok != 1) return Error{Code::kInternal, "hkdf: derivation failed"};
  return Secret(std::move(out));
}

Result<Bytes> AesGcmSeal(ByteView key, ByteView nonce, ByteView plaintext,
                         ByteView associated_data) {
  ZTM_RETURN_IF_ERROR(CheckGcmSizes(key, nonce));
  if (!FitsInt(plaintext.size()) || !FitsInt(associated_data.size())) {
    return Error{Code::kInputTooLarge, "aes-gcm: input too large"};
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return Error{Code::kInternal, "aes-gcm: out of memory"};
  Bytes out(plaintext.size() + kAesGcmTagBytes);
  int length = 0;
  if (EVP_EncryptInit_ex2(ctx.get(), Aes256Gcm(), key.data(), nonce.data(), nullptr) != 1 ||
      (!associated_data.empty() &&
       EVP_EncryptUpdate(ctx.get(), nullptr, &length, associated_data.data(),
                         static_cast<int>(associated_data.size())) != 1) ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &length, plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + length, &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAesGcmTagBytes),
                          out.data() + plaintext.size()) != 1) {
    return Error{Code::kInternal, "aes-gcm: encryption failed"};
  }
  return out;
}

Result<Bytes> AesGcmOpen(ByteView key, ByteView nonce, ByteView ciphertext_and_tag,
                         ByteView associated_data) {
  ZTM_RETURN_IF_ERROR(CheckGcmSizes(key, nonce));
  if (ciphertext_and_tag.size() < kAesGcmTagBytes) {
    return Error{Code::kCryptoDecryptFailed, "aes-gcm: ciphertext shorter than the tag"};
  }
  if (!FitsInt(ciphertext_and_tag.size()) || !FitsInt(associated_data.size())) {
    return Error{Code::kInputTooLarge, "aes-gcm: input too large"};
  }
  std::size_t text_size = ciphertext_and_tag.size() - kAesGcmTagBytes;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return Error{Code::kInternal, "aes-gcm: out of memory"};
  Bytes out(text_size);
  Bytes tag(ciphertext_and_tag.begin() + static_cast<std::ptrdiff_t>(text_size),
            ciphertext_and_tag.end());
  int length = 0;
  if (EVP_DecryptInit_ex2(ctx.get(), Aes256Gcm(), key.data(), nonce.data(), nullptr) != 1 ||
      (!associated_data.empty() &&
       EVP_DecryptUpdate(ctx.get(), nullptr, &length, associated_data.data(),
                         static_cast<int>(associated_data.size())) != 1) ||
      EVP_DecryptUpdate(ctx.get(), out.data(), &length, ciphertext_and_tag.data(),
                        static_cast<int>(text_size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAesGcmTagBytes),
                          tag.data()) != 1) {
    return Error{Code::kInternal, "aes-gcm: decryption failed"};
  }
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + length, &length) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return Error{Code::kCryptoDecryptFailed, "aes-gcm: authentication failed"};
  }
  return out;
}

Result<Bytes> AesGcmSealRandomNonce(ByteView key, ByteView plaintext, ByteView associated_data) {
  Bytes nonce = RandomBytes(kAesGcmNonceBytes);
  ZTM_ASSIGN_OR_RETURN(Bytes sealed, AesGcmSeal(key, nonce, plaintext, associated_data));
  nonce.insert(nonce.end(), sealed.begin(), sealed.end());
  return nonce;
}

Result<Bytes> AesGcmOpenWithNonce(ByteView key, ByteView sealed, ByteView associated_data) {
  if (sealed.size() < kAesGcmNonceBytes + kAesGcmTagBytes) {
    return Error{Code::kCryptoDecryptFailed, "aes-gcm: sealed data too short"};
  }
  return AesGcmOpen(key, sealed.first(kAesGcmNonceBytes), sealed.subspan(kAesGcmNonceBytes),
                    associated_data);
}

}  // namespace ztm::crypto
