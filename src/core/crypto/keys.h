// Asymmetric keys and signatures: P-256 ECDSA with SHA-256 and Ed25519.
//
// Keys are parsed once into immutable, thread-safe objects that share one OpenSSL EVP_PKEY
// (copying a key copies a reference). Verifiers keep these objects: on OpenSSL 3 parsing a
// key costs several times the signature check itself.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/bytes.h"
#include "core/error.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace ztm::crypto {

enum class KeyType { kEcP256, kEd25519 };

enum class SignatureAlgorithm {
  kEcdsaP256Sha256Raw,  // signature is R || S, 32 bytes each (IEEE P1363; JOSE ES256, RFC 9421)
  kEcdsaP256Sha256Der,  // signature is a DER ECDSA-Sig-Value (X.509, App Attest)
  kEd25519,             // RFC 8032 Ed25519 (JOSE EdDSA, RFC 9421 ed25519)
};

// The key type `algorithm` needs.
KeyType KeyTypeFor(SignatureAlgorithm algorithm);

class PublicKey {
 public:
  // SubjectPublicKeyInfo in PEM ("-----BEGIN PUBLIC KEY-----") or DER.
  static Result<PublicKey> FromPem(std::string_view pem);
  static Result<PublicKey> FromSpkiDer(ByteView der);
  // P-256 affine coordinates, 32 bytes each, big-endian. The point must be on the curve.
  static Result<PublicKey> FromEcCoordinates(ByteView x, ByteView y);
  // A P-256 point in SEC1 uncompressed (0x04 || X || Y) or compressed form.
  static Result<PublicKey> FromEcPoint(ByteView sec1_point);
  // A raw 32-byte Ed25519 public key.
  static Result<PublicKey> FromEd25519Raw(ByteView raw);

  KeyType type() const { return type_; }
  Bytes ToSpkiDer() const;
  std::string ToPem() const;
  // P-256 only: the affine coordinates, 32 bytes each.
  Bytes EcX() const;
  Bytes EcY() const;
  // Ed25519 only: the 32-byte public key.
  Bytes Ed25519Raw() const;

  // Checks `signature` over `message`. Fails with kCryptoKeyTypeMismatch if `algorithm`
  // does not fit this key, kCryptoSignatureInvalid if the signature does not verify
  // (including malformed, non-canonical DER or wrong-length raw signatures).
  Status Verify(SignatureAlgorithm algorithm, ByteView message, ByteView signature) const;

  // Borrowed pointer to the underlying key, for code that must call OpenSSL directly
  // (X.509, TLS). Valid while this object (or a copy) lives.
  EVP_PKEY* get0_evp() const { return key_.get(); }

  // Takes one reference to `key` (EVP_PKEY_up_ref). Fails for unsupported key types.
  static Result<PublicKey> FromEvp(EVP_PKEY* key);

 private:
  friend class PrivateKey;
  PublicKey(std::shared_ptr<EVP_PKEY> key, KeyType type);
  std::shared_ptr<EVP_PKEY> key_;
  KeyType type_;
  // The raw public key (P-256: X || Y; Ed25519: 32 bytes), extracted once: exporting it from
  // OpenSSL on demand costs a field inversion, and thumbprints need it on every request.
  std::shared_ptr<const Bytes> raw_;
};

class PrivateKey {
 public:
  static Result<PrivateKey> Generate(KeyType type);
  // PKCS#8 ("-----BEGIN PRIVATE KEY-----") or, for P-256, SEC1 ("BEGIN EC PRIVATE KEY").
  // Every private-key constructor checks that the public half matches the private half.
  static Result<PrivateKey> FromPem(std::string_view pem);
  static Result<PrivateKey> FromPkcs8Der(ByteView der);
  // P-256 private scalar `d` (32 bytes, big-endian); the public point is derived.
  static Result<PrivateKey> FromEcScalar(ByteView d);
  // Ed25519 32-byte seed (RFC 8032 private key).
  static Result<PrivateKey> FromEd25519Seed(ByteView seed);

  KeyType type() const { return type_; }
  const PublicKey& public_key() const { return public_key_; }
  Secret ToPkcs8Der() const;
  std::string ToPem() const;  // PKCS#8 PEM. WARNING: secret material.
  // P-256: the scalar d (32 bytes). Ed25519: the 32-byte seed. WARNING: secret material.
  Secret RawPrivate() const;

  // Signs `message`. ECDSA signatures are randomized; Ed25519 is deterministic.
  Result<Bytes> Sign(SignatureAlgorithm algorithm, ByteView message) const;

 private:
  PrivateKey(std::shared_ptr<EVP_PKEY> key, KeyType type, PublicKey public_key)
      : key_(std::move(key)), type_(type), public_key_(std::move(public_key)) {}
  static Result<PrivateKey> FromEvp(std::shared_ptr<EVP_PKEY> key);
  std::shared_ptr<EVP_PKEY> key_;
  KeyType type_;
  PublicKey public_key_;
};

// Signer signs with a private key that it may be unable to export: a platform keystore's key
// (Secure Enclave, Android Keystore) only ever signs. Protocol code that creates signatures
// (DPoP proofs, RFC 9421 signatures) takes a Signer, so such keys work like a PrivateKey.
//
// Sign is not virtual: it calls SignMessage and refuses a signature whose length cannot be
// one of algorithm() (raw ECDSA and Ed25519 are exactly 64 bytes), so a platform signer that
// returns DER where R || S is due fails here rather than producing unverifiable requests.
// Implementations must be thread-safe.
class Signer {
 public:
  virtual ~Signer() = default;

  // The algorithm every signature of this signer uses.
  virtual SignatureAlgorithm algorithm() const = 0;
  // The public half of the signing key. Valid while this signer lives.
  virtual const PublicKey& public_key() const = 0;

  // Sign signs `message` with algorithm(): R || S (32 bytes each) for kEcdsaP256Sha256Raw,
  // 64 bytes for kEd25519, DER for kEcdsaP256Sha256Der. Fails with the implementation's error
  // (e.g. kUserPresenceRequired from a keystore), or kInternal for a signature of the wrong
  // length.
  Result<Bytes> Sign(ByteView message) const;

 protected:
  // Produces the signature Sign returns.
  virtual Result<Bytes> SignMessage(ByteView message) const = 0;
};

// PrivateKeySigner is the Signer of an in-memory PrivateKey (the key is shared, not copied).
class PrivateKeySigner final : public Signer {
 public:
  // Create makes a signer of `key` with `algorithm`. Fails with kCryptoKeyTypeMismatch if
  // `algorithm` does not fit the key.
  static Result<PrivateKeySigner> Create(PrivateKey key, SignatureAlgorithm algorithm);

  SignatureAlgorithm algorithm() const override { return algorithm_; }
  const PublicKey& public_key() const override { return key_.public_key(); }

 private:
  PrivateKeySigner(PrivateKey key, SignatureAlgorithm algorithm)
      : key_(std::move(key)), algorithm_(algorithm) {}
  Result<Bytes> SignMessage(ByteView message) const override;
  PrivateKey key_;
  SignatureAlgorithm algorithm_;
};

// The signature algorithm a JOSE or RFC 9421 signer uses with `type`: R || S ECDSA for P-256,
// Ed25519 for Ed25519.
SignatureAlgorithm RawSignatureAlgorithmFor(KeyType type);

// Returns "sha256/<base64 of SHA-256 over the certificate's DER SubjectPublicKeyInfo>", the
// SPKI pin format of libztm's pin sets and TrustKit. Accepts a PEM or DER X.509 certificate.
Result<std::string> SpkiPinOfCertificate(ByteView pem_or_der);

}  // namespace ztm::crypto
