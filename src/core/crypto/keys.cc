// P-256 ECDSA and Ed25519 keys on OpenSSL 3 EVP. Each key is parsed once into an EVP_PKEY
// shared by copies of the wrapper; verification does exactly what a direct EVP caller with a
// pre-parsed key does (one EVP_MD_CTX per call), so the wrapper adds no measurable cost.
#include "core/crypto/keys.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>

#include "core/crypto/crypto.h"
#include "core/encoding.h"

namespace ztm::crypto {
namespace {

constexpr std::size_t kP256FieldBytes = 32;
constexpr std::size_t kEd25519KeyBytes = 32;
// PEM/DER keys and certificates are a few KiB; refuse anything far larger before parsing.
constexpr std::size_t kMaxEncodedKeyBytes = 64 * 1024;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* key) {
  return std::shared_ptr<EVP_PKEY>(key, [](EVP_PKEY* k) { EVP_PKEY_free(k); });
}

const EVP_MD* Sha256Md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) std::abort();
  return md;
}

BioPtr MemoryBio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(length));
}

// Never prompt for a passphrase: an encrypted PEM is refused.
int NoPassphrase(char*, int, int, void*) { return -1; }

Result<KeyType> TypeOf(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_ED25519:
      return KeyType::kEd25519;
    case EVP_PKEY_EC: {
      char group[64] = {0};
      std::size_t length = 0;
      if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                         &length) != 1 ||
          std::strcmp(group, SN_X9_62_prime256v1) != 0) {
        return Error{Code::kCryptoKeyInvalid, "key: only the P-256 curve is supported"};
      }
      // RFC 5480 §2.1.1: the curve MUST be named, never given by explicit parameters (which
      // is how CVE-2020-0601 slipped a forged generator past a "same curve" check).
      char encoding[32] = {0};
      if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING, encoding,
                                         sizeof encoding, &length) != 1 ||
          std::strcmp(encoding, OSSL_PKEY_EC_ENCODING_GROUP) != 0) {
        return Error{Code::kCryptoKeyInvalid,
                     "key: P-256 must be a named curve, not explicit "
                     "parameters"};
      }
      return KeyType::kEcP256;
    }
    default:
      return Error{Code::kCryptoKeyInvalid, "key: unsupported key type (use P-256 or Ed25519)"};
  }
}

Bytes BnParam(EVP_PKEY* key, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) return {};
  BnPtr bn(raw);
  Bytes out(kP256FieldBytes);
  if (BN_bn2binpad(bn.get(), out.data(), static_cast<int>(out.size())) < 0) return {};
  return out;
}

// R || S (P1363) → DER ECDSA-Sig-Value. Wrong length → nullopt-equivalent empty result.
Bytes RawToDer(ByteView raw) {
  if (raw.size() != 2 * kP256FieldBytes) return {};
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw.data(), kP256FieldBytes, nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + kP256FieldBytes, kP256FieldBytes, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) return {};
  Bytes der(static_cast<std::size_t>(length));
  std::uint8_t* p = der.data();
  i2d_ECDSA_SIG(sig.get(), &p);
  return der;
}

Result<Bytes> DerToRaw(ByteView der) {
  const std::uint8_t* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return Error{Code::kInternal, "ecdsa: could not decode own signature"};
  Bytes raw(2 * kP256FieldBytes);
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw.data(), kP256FieldBytes) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw.data() + kP256FieldBytes, kP256FieldBytes) <
          0) {
    return Error{Code::kInternal, "ecdsa: could not encode signature"};
  }
  return raw;
}

Status CheckAlgorithmFits(KeyType type, SignatureAlgorithm algorithm) {
  if (KeyTypeFor(algorithm) != type) {
    return Error{Code::kCryptoKeyTypeMismatch, "key: algorithm does not match the key type"};
  }
  return OkStatus();
}

Status CheckEncodedSize(std::size_t size) {
  if (size > kMaxEncodedKeyBytes) return Error{Code::kInputTooLarge, "key: encoding too large"};
  return OkStatus();
}

}  // namespace

KeyType KeyTypeFor(SignatureAlgorithm algorithm) {
  switch (algorithm) {
    case SignatureAlgorithm::kEcdsaP256Sha256Raw:
    case SignatureAlgorithm::kEcdsaP256Sha256Der:
      return KeyType::kEcP256;
    case SignatureAlgorithm::kEd25519:
      return KeyType::kEd25519;
  }
  return KeyType::kEcP256;
}

// ---------------------------------------------------------------------------------------
// PublicKey

Result<PublicKey> PublicKey::FromEvp(EVP_PKEY* key) {
  if (key == nullptr) return Error{Code::kCryptoKeyInvalid, "key: null key"};
  ZTM_ASSIGN_OR_RETURN(KeyType type, TypeOf(key));
  if (EVP_PKEY_up_ref(key) != 1) return Error{Code::kInternal, "key: reference failed"};
  return PublicKey(Own(key), type);
}

Result<PublicKey> PublicKey::FromPem(std::string_view pem) {
  ZTM_RETURN_IF_ERROR(CheckEncodedSize(pem.size()));
  BioPtr bio = MemoryBio(pem);
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr);
  if (key == nullptr) return Error{Code::kCryptoKeyInvalid, "key: not a PEM public key"};
  auto owned = Own(key);
  ZTM_ASSIGN_OR_RETURN(KeyType type, TypeOf(key));
  return PublicKey(std::move(owned), type);
}

Result<PublicKey> PublicKey::FromSpkiDer(ByteView der) {
  ZTM_RETURN_IF_ERROR(CheckEncodedSize(der.size()));
  const std::uint8_t* p = der.data();
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
  if (key == nullptr) return Error{Code::kCryptoKeyInvalid, "key: not a DER SubjectPublicKeyInfo"};
  auto owned = Own(key);
  if (p != der.data() + der.size()) {
    return Error{Code::kCryptoKeyInvalid, "key: trailing bytes after SubjectPublicKeyInfo"};
  }
  ZTM_ASSIGN_OR_RETURN(KeyType type, TypeOf(key));
  return PublicKey(std::move(owned), type);
}

Result<PublicKey> PublicKey::FromEcPoint(ByteView sec1_point) {
  // SEC 1 §2.3.3: 0x04 || X || Y (uncompressed) or 0x02/0x03 || X (compressed). The
  // "hybrid" forms 0x06/0x07 are refused, as keys.h promises.
  bool uncompressed = sec1_point.size() == 1 + 2 * kP256FieldBytes && sec1_point[0] == 0x04;
  bool compressed =
      sec1_point.size() == 1 + kP256FieldBytes && (sec1_point[0] == 0x02 || sec1_point[0] == 0x03);
  if (!uncompressed && !compressed) {
    return Error{Code::kCryptoKeyInvalid, "key: not a SEC1 uncompressed or compressed P-256 point"};
  }
  char group[] = SN_X9_62_prime256v1;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(
          OSSL_PKEY_PARAM_PUB_KEY, const_cast<std::uint8_t*>(sec1_point.data()), sec1_point.size()),
      OSSL_PARAM_construct_end()};
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* key = nullptr;
  bool ok = ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1 &&
            EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok || key == nullptr) {
    EVP_PKEY_free(key);
    return Error{Code::kCryptoKeyInvalid, "key: not a valid P-256 point"};
  }
  auto owned = Own(key);
  // Refuse points off the curve or at infinity (invalid-curve attacks). The "quick" check
  // skips the n*Q == O test, which P-256 (cofactor 1) does not need and which costs a full
  // scalar multiplication.
  EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
  bool valid = check != nullptr && EVP_PKEY_public_check_quick(check) == 1;
  EVP_PKEY_CTX_free(check);
  if (!valid) return Error{Code::kCryptoKeyInvalid, "key: point is not on the P-256 curve"};
  return PublicKey(std::move(owned), KeyType::kEcP256);
}

Result<PublicKey> PublicKey::FromEcCoordinates(ByteView x, ByteView y) {
  if (x.size() != kP256FieldBytes || y.size() != kP256FieldBytes) {
    return Error{Code::kCryptoKeyInvalid, "key: P-256 coordinates must be 32 bytes each"};
  }
  Bytes point;
  point.reserve(1 + 2 * kP256FieldBytes);
  point.push_back(0x04);
  point.insert(point.end(), x.begin(), x.end());
  point.insert(point.end(), y.begin(), y.end());
  return FromEcPoint(point);
}

Result<PublicKey> PublicKey::FromEd25519Raw(ByteView raw) {
  if (raw.size() != kEd25519KeyBytes) {
    return Error{Code::kCryptoKeyInvalid, "key: Ed25519 public key must be 32 bytes"};
  }
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size());
  if (key == nullptr) return Error{Code::kCryptoKeyInvalid, "key: invalid Ed25519 public key"};
  return PublicKey(Own(key), KeyType::kEd25519);
}

Bytes PublicKey::ToSpkiDer() const {
  int length = i2d_PUBKEY(key_.get(), nullptr);
  if (length <= 0) std::abort();
  Bytes der(static_cast<std::size_t>(length));
  std::uint8_t* p = der.data();
  i2d_PUBKEY(key_.get(), &p);
  return der;
}

std::string PublicKey::ToPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) std::abort();
  return BioToString(bio.get());
}

PublicKey::PublicKey(std::shared_ptr<EVP_PKEY> key, KeyType type)
    : key_(std::move(key)), type_(type) {
  Bytes raw;
  if (type_ == KeyType::kEcP256) {
    raw = BnParam(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X);
    Bytes y = BnParam(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y);
    if (raw.size() != kP256FieldBytes || y.size() != kP256FieldBytes) std::abort();
    raw.insert(raw.end(), y.begin(), y.end());
  } else {
    raw.resize(kEd25519KeyBytes);
    std::size_t length = raw.size();
    if (EVP_PKEY_get_raw_public_key(key_.get(), raw.data(), &length) != 1 ||
        length != kEd25519KeyBytes) {
      std::abort();
    }
  }
  raw_ = std::make_shared<const Bytes>(std::move(raw));
}

Bytes PublicKey::EcX() const {
  if (type_ != KeyType::kEcP256) return {};
  return Bytes(raw_->begin(), raw_->begin() + kP256FieldBytes);
}

Bytes PublicKey::EcY() const {
  if (type_ != KeyType::kEcP256) return {};
  return Bytes(raw_->begin() + kP256FieldBytes, raw_->end());
}

Bytes PublicKey::Ed25519Raw() const {
  if (type_ != KeyType::kEd25519) return {};
  return *raw_;
}

Status PublicKey::Verify(SignatureAlgorithm algorithm, ByteView message, ByteView signature) const {
  ZTM_RETURN_IF_ERROR(CheckAlgorithmFits(type_, algorithm));
  const Error invalid{Code::kCryptoSignatureInvalid, "signature is not valid"};
  Bytes converted;
  ByteView sig = signature;
  const EVP_MD* md = nullptr;
  if (algorithm == SignatureAlgorithm::kEcdsaP256Sha256Raw) {
    converted = RawToDer(signature);
    if (converted.empty()) return invalid;
    sig = converted;
    md = Sha256Md();
  } else if (algorithm == SignatureAlgorithm::kEcdsaP256Sha256Der) {
    md = Sha256Md();
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key_.get()) != 1) {
    return Error{Code::kInternal, "signature: verifier initialisation failed"};
  }
  if (EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), message.data(), message.size()) != 1) {
    return invalid;
  }
  return OkStatus();
}

// ---------------------------------------------------------------------------------------
// PrivateKey

Result<PrivateKey> PrivateKey::FromEvp(std::shared_ptr<EVP_PKEY> key) {
  ZTM_ASSIGN_OR_RETURN(KeyType type, TypeOf(key.get()));
  // A stored public point that does not belong to the private key would make public_key()
  // (and every thumbprint or pin derived from it) name a key this object cannot sign for.
  EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr);
  bool consistent = check != nullptr && EVP_PKEY_pairwise_check(check) == 1;
  EVP_PKEY_CTX_free(check);
  if (!consistent) {
    return Error{Code::kCryptoKeyInvalid, "key: public key does not match the private key"};
  }
  // The public half shares the same EVP_PKEY: verification only reads public parameters.
  PublicKey public_key(key, type);
  return PrivateKey(std::move(key), type, std::move(public_key));
}

Result<PrivateKey> PrivateKey::Generate(KeyType type) {
  EVP_PKEY* key = type == KeyType::kEcP256 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                                           : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) return Error{Code::kInternal, "key: generation failed"};
  return FromEvp(Own(key));
}

Result<PrivateKey> PrivateKey::FromPem(std::string_view pem) {
  ZTM_RETURN_IF_ERROR(CheckEncodedSize(pem.size()));
  BioPtr bio = MemoryBio(pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr);
  if (key == nullptr) {
    return Error{Code::kCryptoKeyInvalid, "key: not an unencrypted PEM private key"};
  }
  return FromEvp(Own(key));
}

Result<PrivateKey> PrivateKey::FromPkcs8Der(ByteView der) {
  ZTM_RETURN_IF_ERROR(CheckEncodedSize(der.size()));
  const std::uint8_t* p = der.data();
  PKCS8_PRIV_KEY_INFO* info = d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size()));
  if (info == nullptr) return Error{Code::kCryptoKeyInvalid, "key: not a DER PKCS#8 private key"};
  bool complete = p == der.data() + der.size();
  EVP_PKEY* key = EVP_PKCS82PKEY(info);
  PKCS8_PRIV_KEY_INFO_free(info);
  if (key == nullptr) return Error{Code::kCryptoKeyInvalid, "key: not a DER PKCS#8 private key"};
  auto owned = Own(key);
  if (!complete) return Error{Code::kCryptoKeyInvalid, "key: trailing bytes after PKCS#8"};
  return FromEvp(std::move(owned));
}

Result<PrivateKey> PrivateKey::FromEcScalar(ByteView d) {
  if (d.size() != kP256FieldBytes) {
    return Error{Code::kCryptoKeyInvalid, "key: P-256 private scalar must be 32 bytes"};
  }
  const Error invalid{Code::kCryptoKeyInvalid, "key: P-256 private scalar out of range"};
  std::unique_ptr<EC_GROUP, void (*)(EC_GROUP*)> group(
      EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1), EC_GROUP_free);
  BnPtr scalar(BN_bin2bn(d.data(), static_cast<int>(d.size()), nullptr));
  if (!group || !scalar) return Error{Code::kInternal, "key: out of memory"};
  // 0 < d < n (SEC 1 §3.2.1).
  if (BN_is_zero(scalar.get()) || BN_cmp(scalar.get(), EC_GROUP_get0_order(group.get())) >= 0) {
    return invalid;
  }
  std::unique_ptr<EC_POINT, void (*)(EC_POINT*)> point(EC_POINT_new(group.get()), EC_POINT_free);
  Bytes encoded(1 + 2 * kP256FieldBytes);
  if (!point ||
      EC_POINT_mul(group.get(), point.get(), scalar.get(), nullptr, nullptr, nullptr) != 1 ||
      EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED, encoded.data(),
                         encoded.size(), nullptr) != encoded.size()) {
    return Error{Code::kInternal, "key: public point derivation failed"};
  }
  char group_name[] = SN_X9_62_prime256v1;
  OSSL_PARAM_BLD* builder = OSSL_PARAM_BLD_new();
  OSSL_PARAM* params = nullptr;
  if (builder != nullptr &&
      OSSL_PARAM_BLD_push_utf8_string(builder, OSSL_PKEY_PARAM_GROUP_NAME, group_name, 0) == 1 &&
      OSSL_PARAM_BLD_push_octet_string(builder, OSSL_PKEY_PARAM_PUB_KEY, encoded.data(),
                                       encoded.size()) == 1 &&
      OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_PRIV_KEY, scalar.get()) == 1) {
    params = OSSL_PARAM_BLD_to_param(builder);
  }
  OSSL_PARAM_BLD_free(builder);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* key = nullptr;
  bool ok = params != nullptr && ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1 &&
            EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) == 1;
  OSSL_PARAM_free(params);
  EVP_PKEY_CTX_free(ctx);
  if (!ok || key == nullptr) {
    EVP_PKEY_free(key);
    return invalid;
  }
  return FromEvp(Own(key));
}

Result<PrivateKey> PrivateKey::FromEd25519Seed(ByteView seed) {
  if (seed.size() != kEd25519KeyBytes) {
    return Error{Code::kCryptoKeyInvalid, "key: Ed25519 seed must be 32 bytes"};
  }
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size());
  if (key == nullptr) return Error{Code::kCryptoKeyInvalid, "key: invalid Ed25519 seed"};
  return FromEvp(Own(key));
}

Secret PrivateKey::ToPkcs8Der() const {
  PKCS8_PRIV_KEY_INFO* info = EVP_PKEY2PKCS8(key_.get());
  if (info == nullptr) std::abort();
  int length = i2d_PKCS8_PRIV_KEY_INFO(info, nullptr);
  Bytes der(static_cast<std::size_t>(length > 0 ? length : 0));
  std::uint8_t* p = der.data();
  if (length <= 0 || i2d_PKCS8_PRIV_KEY_INFO(info, &p) != length) std::abort();
  PKCS8_PRIV_KEY_INFO_free(info);
  return Secret(std::move(der));
}

std::string PrivateKey::ToPem() const {
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr,
                                            nullptr) != 1) {
    std::abort();
  }
  return BioToString(bio.get());
}

Secret PrivateKey::RawPrivate() const {
  if (type_ == KeyType::kEcP256) return Secret(BnParam(key_.get(), OSSL_PKEY_PARAM_PRIV_KEY));
  Bytes raw(kEd25519KeyBytes);
  std::size_t length = raw.size();
  if (EVP_PKEY_get_raw_private_key(key_.get(), raw.data(), &length) != 1) std::abort();
  raw.resize(length);
  return Secret(std::move(raw));
}

Result<Bytes> PrivateKey::Sign(SignatureAlgorithm algorithm, ByteView message) const {
  ZTM_RETURN_IF_ERROR(CheckAlgorithmFits(type_, algorithm));
  const EVP_MD* md = algorithm == SignatureAlgorithm::kEd25519 ? nullptr : Sha256Md();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, message.data(), message.size()) != 1) {
    return Error{Code::kInternal, "signature: signing failed"};
  }
  Bytes signature(length);
  if (EVP_DigestSign(ctx.get(), signature.data(), &length, message.data(), message.size()) != 1) {
    return Error{Code::kInternal, "signature: signing failed"};
  }
  signature.resize(length);
  if (algorithm == SignatureAlgorithm::kEcdsaP256Sha256Raw) return DerToRaw(signature);
  return signature;
}

// ---------------------------------------------------------------------------------------

Result<Bytes> Signer::Sign(ByteView message) const {
  ZTM_ASSIGN_OR_RETURN(Bytes signature, SignMessage(message));
  // R || S and Ed25519 signatures have one length; DER varies and its parser checks it.
  if (algorithm() != SignatureAlgorithm::kEcdsaP256Sha256Der &&
      signature.size() != 2 * kP256FieldBytes) {
    return Error{Code::kInternal, "signer returned a signature of the wrong length"};
  }
  return signature;
}

Result<PrivateKeySigner> PrivateKeySigner::Create(PrivateKey key, SignatureAlgorithm algorithm) {
  ZTM_RETURN_IF_ERROR(CheckAlgorithmFits(key.type(), algorithm));
  return PrivateKeySigner(std::move(key), algorithm);
}

Result<Bytes> PrivateKeySigner::SignMessage(ByteView message) const {
  return key_.Sign(algorithm_, message);
}

SignatureAlgorithm RawSignatureAlgorithmFor(KeyType type) {
  return type == KeyType::kEcP256 ? SignatureAlgorithm::kEcdsaP256Sha256Raw
                                  : SignatureAlgorithm::kEd25519;
}

// ---------------------------------------------------------------------------------------

Result<std::string> SpkiPinOfCertificate(ByteView pem_or_der) {
  ZTM_RETURN_IF_ERROR(CheckEncodedSize(pem_or_der.size()));
  std::unique_ptr<X509, X509Free> cert;
  std::string_view text = AsString(pem_or_der);
  if (text.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
    BioPtr bio = MemoryBio(text);
    cert.reset(PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
  } else {
    const std::uint8_t* p = pem_or_der.data();
    cert.reset(d2i_X509(nullptr, &p, static_cast<long>(pem_or_der.size())));
    if (cert && p != pem_or_der.data() + pem_or_der.size()) cert.reset();
  }
  if (!cert)
    return Error{Code::kCryptoKeyInvalid, "certificate: not a PEM or DER X.509 certificate"};
  X509_PUBKEY* spki = X509_get_X509_PUBKEY(cert.get());
  int length = spki == nullptr ? -1 : i2d_X509_PUBKEY(spki, nullptr);
  if (length <= 0) return Error{Code::kCryptoKeyInvalid, "certificate: no public key"};
  Bytes der(static_cast<std::size_t>(length));
  std::uint8_t* p = der.data();
  i2d_X509_PUBKEY(spki, &p);
  return "sha256/" + Base64Encode(Sha256(der));
}

}  // namespace ztm::crypto
