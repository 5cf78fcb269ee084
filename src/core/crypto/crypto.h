// Cryptographic primitives on OpenSSL 3 EVP: randomness, hashes, HMAC, HKDF, AES-256-GCM.
// Signatures and keys are in keys.h.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "core/bytes.h"
#include "core/error.h"

namespace ztm::crypto {

// Fills `out` from OpenSSL's CSPRNG. Aborts the process if the CSPRNG fails: continuing
// with predictable "random" bytes is never the safer choice.
void FillRandom(std::span<std::uint8_t> out);
Bytes RandomBytes(std::size_t length);
Secret RandomSecret(std::size_t length);

enum class HashAlgorithm { kSha256, kSha384, kSha512 };

// Digest length in bytes of `algorithm`.
std::size_t DigestLength(HashAlgorithm algorithm);
Bytes Hash(HashAlgorithm algorithm, ByteView data);
inline Bytes Sha256(ByteView data) { return Hash(HashAlgorithm::kSha256, data); }
inline Bytes Sha384(ByteView data) { return Hash(HashAlgorithm::kSha384, data); }
inline Bytes Sha512(ByteView data) { return Hash(HashAlgorithm::kSha512, data); }
inline Bytes Sha256(std::string_view data) { return Sha256(AsBytes(data)); }

// Hashes data that arrives in pieces (a request body streamed through the gateway): the
// digest equals Hash() of the concatenated pieces. Finish() spends the hasher: a later
// Update() or Finish() aborts, so one object never yields two digests by mistake.
class Hasher {
 public:
  explicit Hasher(HashAlgorithm algorithm);
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  ~Hasher();

  void Update(ByteView data);
  Bytes Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// HMAC (RFC 2104). Any key length is accepted, as HMAC defines.
Bytes Hmac(HashAlgorithm algorithm, ByteView key, ByteView data);
inline Bytes HmacSha256(ByteView key, ByteView data) {
  return Hmac(HashAlgorithm::kSha256, key, data);
}
// Recomputes the HMAC of `data` and compares it with `mac` in constant time. Fails with
// kCryptoSignatureInvalid on mismatch (including a truncated or over-long `mac`).
Status HmacVerify(HashAlgorithm algorithm, ByteView key, ByteView data, ByteView mac);

// HKDF (RFC 5869) extract-and-expand. Fails with kInvalidArgument if `length` is 0 or
// exceeds 255 * DigestLength.
Result<Secret> Hkdf(HashAlgorithm algorithm, ByteView input_key, ByteView salt, ByteView info,
                    std::size_t length);

// AES-256-GCM with a 96-bit nonce and a 128-bit tag (NIST SP 800-38D's recommended sizes;
// other nonce or tag sizes are refused rather than supported).
inline constexpr std::size_t kAesGcmKeyBytes = 32;
inline constexpr std::size_t kAesGcmNonceBytes = 12;
inline constexpr std::size_t kAesGcmTagBytes = 16;

// Encrypts `plaintext`, authenticating `associated_data` too. Returns ciphertext || tag.
// WARNING: a (key, nonce) pair must never be used twice; use AesGcmSealRandomNonce unless
// the caller manages nonces.
Result<Bytes> AesGcmSeal(ByteView key, ByteView nonce, ByteView plaintext,
                         ByteView associated_data);
// Decrypts ciphertext || tag. Fails with kCryptoDecryptFailed if the tag does not verify
// (wrong key, wrong nonce, wrong associated data or any modified byte); no plaintext is
// returned in that case.
Result<Bytes> AesGcmOpen(ByteView key, ByteView nonce, ByteView ciphertext_and_tag,
                         ByteView associated_data);
// Seals under a fresh random nonce; returns nonce || ciphertext || tag.
Result<Bytes> AesGcmSealRandomNonce(ByteView key, ByteView plaintext, ByteView associated_data);
// Opens nonce || ciphertext || tag as produced by AesGcmSealRandomNonce.
Result<Bytes> AesGcmOpenWithNonce(ByteView key, ByteView sealed, ByteView associated_data);

}  // namespace ztm::crypto
