// Tests of keys.h against its documented contract: key generation, signing and verification
// for P-256 ECDSA (raw and DER signatures) and Ed25519, RFC 8032 known answers, strict key and
// signature parsing (off-curve points, out-of-range scalars, non-canonical DER, trailing
// bytes), refusal of every other key type, and SPKI pins. Key files are in
// testdata/rfc-crypto/ (see its SOURCES.md).
#include "core/crypto/keys.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "testdata.h"

namespace ztm::crypto {
namespace {

Bytes FromHex(std::string_view hex) {
  Result<Bytes> bytes = HexDecode(hex);
  if (!bytes.ok()) ADD_FAILURE() << "bad hex in test: " << hex;
  return bytes.ok() ? std::move(bytes).value() : Bytes{};
}

Bytes Concat(ByteView a, ByteView b) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// P-256 domain parameters (SEC 2 §2.4.2, FIPS 186-4 §D.1.2.3).
const Bytes& CurveP() {
  static const Bytes p =
      FromHex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
  return p;
}
const Bytes& CurveN() {
  static const Bytes n =
      FromHex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  return n;
}
const Bytes& GeneratorX() {
  static const Bytes x =
      FromHex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");
  return x;
}
const Bytes& GeneratorY() {
  static const Bytes y =
      FromHex("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
  return y;
}
// p - Gy: the y coordinate of -G = (n-1)·G.
const Bytes& NegatedGeneratorY() {
  static const Bytes y =
      FromHex("b01cbd1c01e58065711814b583f061e9d431cca994cea1313449bf97c840ae0a");
  return y;
}

// Big-endian a - b for equal-length unsigned integers with a >= b.
Bytes Subtract(ByteView a, ByteView b) {
  Bytes out(a.size());
  int borrow = 0;
  for (std::size_t i = a.size(); i-- > 0;) {
    int digit = a[i] - b[i] - borrow;
    borrow = digit < 0 ? 1 : 0;
    out[i] = static_cast<std::uint8_t>(digit + (borrow ? 256 : 0));
  }
  return out;
}

// Big-endian value + 1 (wrapping).
Bytes Increment(Bytes value) {
  for (std::size_t i = value.size(); i-- > 0;) {
    if (++value[i] != 0) break;
  }
  return value;
}

// Minimal DER INTEGER for an unsigned big-endian value (X.690 §8.3).
Bytes DerInteger(ByteView unsigned_value) {
  std::size_t start = 0;
  while (start + 1 < unsigned_value.size() && unsigned_value[start] == 0) ++start;
  Bytes content(unsigned_value.begin() + static_cast<std::ptrdiff_t>(start), unsigned_value.end());
  if (content.front() & 0x80) content.insert(content.begin(), 0x00);
  Bytes out = {0x02, static_cast<std::uint8_t>(content.size())};
  return Concat(out, content);
}

// ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3) from raw r || s.
Bytes DerSignature(ByteView raw) {
  Bytes body = Concat(DerInteger(raw.first(32)), DerInteger(raw.subspan(32)));
  Bytes out = {0x30, static_cast<std::uint8_t>(body.size())};
  return Concat(out, body);
}

Bytes WithLength(Bytes value, std::size_t length) {
  value.resize(length, 0x00);
  return value;
}

void ExpectSignatureInvalid(const Status& status, const std::string& what) {
  ASSERT_FALSE(status.ok()) << what << " verified";
  EXPECT_EQ(status.code(), Code::kCryptoSignatureInvalid) << what << ": " << status.error().message;
}

template <typename T>
void ExpectKeyInvalid(const Result<T>& result, const std::string& what) {
  ASSERT_FALSE(result.ok()) << what << " was accepted";
  EXPECT_EQ(result.code(), Code::kCryptoKeyInvalid) << what << ": " << result.error().message;
}

// An unsupported key type is refused with a message saying why; keys.h does not fix the code
// beyond "fails", so either of the two crypto codes that describe it is accepted.
template <typename T>
void ExpectKeyRefused(const Result<T>& result, const std::string& what) {
  ASSERT_FALSE(result.ok()) << what << " was accepted";
  EXPECT_TRUE(result.code() == Code::kCryptoKeyInvalid ||
              result.code() == Code::kCryptoUnsupportedAlgorithm)
      << what << ": " << CodeName(result.code());
  EXPECT_FALSE(result.error().message.empty()) << what;
  std::cout << "[ INFO     ] " << what << " refused: " << CodeName(result.code()) << ": "
            << result.error().message << "\n";
}

PrivateKey MustGenerate(KeyType type) {
  Result<PrivateKey> key = PrivateKey::Generate(type);
  if (!key.ok()) {
    ADD_FAILURE() << "Generate failed: " << key.error().message;
    __builtin_trap();
  }
  return std::move(key).value();
}

Bytes MustSign(const PrivateKey& key, SignatureAlgorithm algorithm, ByteView message) {
  Result<Bytes> signature = key.Sign(algorithm, message);
  if (!signature.ok()) {
    ADD_FAILURE() << "Sign failed: " << signature.error().message;
    return {};
  }
  return std::move(signature).value();
}

// ---------------------------------------------------------------------------------------------
// Generate, sign, verify.

struct AlgorithmCase {
  const char* name;
  KeyType type;
  SignatureAlgorithm algorithm;
};

class KeysSignVerifyTest : public ::testing::TestWithParam<AlgorithmCase> {};

TEST_P(KeysSignVerifyTest, GeneratedKeySignsAndVerifies) {
  const AlgorithmCase& c = GetParam();
  PrivateKey key = MustGenerate(c.type);
  EXPECT_EQ(key.type(), c.type);
  EXPECT_EQ(key.public_key().type(), c.type);
  EXPECT_EQ(KeyTypeFor(c.algorithm), c.type);
  EXPECT_NE(key.public_key().get0_evp(), nullptr);

  const Bytes message = ToBytes("GET /resource HTTP/1.1");
  const Bytes signature = MustSign(key, c.algorithm, message);
  switch (c.algorithm) {
    case SignatureAlgorithm::kEcdsaP256Sha256Raw:
    case SignatureAlgorithm::kEd25519:
      EXPECT_EQ(signature.size(), 64u);
      break;
    case SignatureAlgorithm::kEcdsaP256Sha256Der:
      ASSERT_GE(signature.size(), 8u);
      EXPECT_LE(signature.size(), 72u);
      EXPECT_EQ(signature[0], 0x30);
      break;
  }
  EXPECT_TRUE(key.public_key().Verify(c.algorithm, message, signature).ok());

  // The same signature over any other message fails.
  ExpectSignatureInvalid(
      key.public_key().Verify(c.algorithm, ToBytes("GET /resource HTTP/1.0"), signature),
      "signature over another message");
  ExpectSignatureInvalid(key.public_key().Verify(c.algorithm, {}, signature), "empty message");
  // Any other key fails.
  PrivateKey other = MustGenerate(c.type);
  EXPECT_NE(other.public_key().ToSpkiDer(), key.public_key().ToSpkiDer());
  ExpectSignatureInvalid(other.public_key().Verify(c.algorithm, message, signature),
                         "signature under another key");
  // Every single-bit change to the signature fails.
  for (std::size_t i = 0; i < signature.size(); ++i) {
    Bytes bad = signature;
    bad[i] ^= 0x01;
    ExpectSignatureInvalid(key.public_key().Verify(c.algorithm, message, bad),
                           "signature byte " + std::to_string(i) + " modified");
  }
}

TEST_P(KeysSignVerifyTest, EmptyAndLargeMessages) {
  const AlgorithmCase& c = GetParam();
  PrivateKey key = MustGenerate(c.type);
  for (const Bytes& message : {Bytes{}, Bytes(1 << 20, 0x5a)}) {
    const Bytes signature = MustSign(key, c.algorithm, message);
    EXPECT_TRUE(key.public_key().Verify(c.algorithm, message, signature).ok()) << message.size();
  }
}

TEST_P(KeysSignVerifyTest, CopiedKeysStayUsable) {
  // Keys share one EVP_PKEY; a copy must outlive the original.
  const AlgorithmCase& c = GetParam();
  std::optional<PublicKey> public_copy;
  Bytes signature;
  {
    PrivateKey key = MustGenerate(c.type);
    PrivateKey private_copy = key;
    signature = MustSign(private_copy, c.algorithm, AsBytes("copy"));
    public_copy.emplace(key.public_key());
  }
  EXPECT_TRUE(public_copy->Verify(c.algorithm, AsBytes("copy"), signature).ok());
}

INSTANTIATE_TEST_SUITE_P(Algorithms, KeysSignVerifyTest,
                         ::testing::Values(AlgorithmCase{"EcdsaRaw", KeyType::kEcP256,
                                                         SignatureAlgorithm::kEcdsaP256Sha256Raw},
                                           AlgorithmCase{"EcdsaDer", KeyType::kEcP256,
                                                         SignatureAlgorithm::kEcdsaP256Sha256Der},
                                           AlgorithmCase{"Ed25519", KeyType::kEd25519,
                                                         SignatureAlgorithm::kEd25519}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(KeysEcdsa, SignaturesAreRandomized) {
  PrivateKey key = MustGenerate(KeyType::kEcP256);
  const Bytes a = MustSign(key, SignatureAlgorithm::kEcdsaP256Sha256Raw, AsBytes("m"));
  const Bytes b = MustSign(key, SignatureAlgorithm::kEcdsaP256Sha256Raw, AsBytes("m"));
  EXPECT_NE(a, b);
  EXPECT_TRUE(
      key.public_key().Verify(SignatureAlgorithm::kEcdsaP256Sha256Raw, AsBytes("m"), a).ok());
  EXPECT_TRUE(
      key.public_key().Verify(SignatureAlgorithm::kEcdsaP256Sha256Raw, AsBytes("m"), b).ok());
}

TEST(KeysEd25519, SignaturesAreDeterministic) {
  PrivateKey key = MustGenerate(KeyType::kEd25519);
  EXPECT_EQ(MustSign(key, SignatureAlgorithm::kEd25519, AsBytes("m")),
            MustSign(key, SignatureAlgorithm::kEd25519, AsBytes("m")));
}

TEST(KeysAlgorithm, KeyTypeMismatchIsRefused) {
  PrivateKey ec = MustGenerate(KeyType::kEcP256);
  PrivateKey ed = MustGenerate(KeyType::kEd25519);
  const Bytes message = ToBytes("m");
  const Bytes ec_raw = MustSign(ec, SignatureAlgorithm::kEcdsaP256Sha256Raw, message);
  const Bytes ed_sig = MustSign(ed, SignatureAlgorithm::kEd25519, message);

  EXPECT_EQ(ec.Sign(SignatureAlgorithm::kEd25519, message).code(), Code::kCryptoKeyTypeMismatch);
  EXPECT_EQ(ed.Sign(SignatureAlgorithm::kEcdsaP256Sha256Raw, message).code(),
            Code::kCryptoKeyTypeMismatch);
  EXPECT_EQ(ed.Sign(SignatureAlgorithm::kEcdsaP256Sha256Der, message).code(),
            Code::kCryptoKeyTypeMismatch);
  // Both signatures are 64 bytes: a verifier that looked only at the length would be confused.
  EXPECT_EQ(ec.public_key().Verify(SignatureAlgorithm::kEd25519, message, ed_sig).code(),
            Code::kCryptoKeyTypeMismatch);
  EXPECT_EQ(ed.public_key().Verify(SignatureAlgorithm::kEcdsaP256Sha256Raw, message, ec_raw).code(),
            Code::kCryptoKeyTypeMismatch);
  EXPECT_EQ(ed.public_key().Verify(SignatureAlgorithm::kEcdsaP256Sha256Der, message, ec_raw).code(),
            Code::kCryptoKeyTypeMismatch);
}

TEST(KeysAlgorithm, KeyTypeFor) {
  EXPECT_EQ(KeyTypeFor(SignatureAlgorithm::kEcdsaP256Sha256Raw), KeyType::kEcP256);
  EXPECT_EQ(KeyTypeFor(SignatureAlgorithm::kEcdsaP256Sha256Der), KeyType::kEcP256);
  EXPECT_EQ(KeyTypeFor(SignatureAlgorithm::kEd25519), KeyType::kEd25519);
}

// ---------------------------------------------------------------------------------------------
// ECDSA signature encodings.

class KeysEcdsaEncodingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    raw_ = MustSign(key_, SignatureAlgorithm::kEcdsaP256Sha256Raw, message_);
    ASSERT_EQ(raw_.size(), 64u);
    der_ = DerSignature(raw_);
  }
  Status VerifyRaw(ByteView signature) const {
    return key_.public_key().Verify(SignatureAlgorithm::kEcdsaP256Sha256Raw, message_, signature);
  }
  Status VerifyDer(ByteView signature) const {
    return key_.public_key().Verify(SignatureAlgorithm::kEcdsaP256Sha256Der, message_, signature);
  }
  Bytes R() const { return Bytes(raw_.begin(), raw_.begin() + 32); }
  Bytes S() const { return Bytes(raw_.begin() + 32, raw_.end()); }

  const PrivateKey key_ = MustGenerate(KeyType::kEcP256);
  const Bytes message_ = ToBytes("payload");
  Bytes raw_;
  Bytes der_;  // the same signature, DER-encoded by this test
};

TEST_F(KeysEcdsaEncodingTest, RawAndDerEncodeTheSameSignature) {
  EXPECT_TRUE(VerifyRaw(raw_).ok());
  EXPECT_TRUE(VerifyDer(der_).ok()) << "DER built by the test from r || s does not verify";
}

TEST_F(KeysEcdsaEncodingTest, RawSignatureOfWrongLengthFails) {
  ExpectSignatureInvalid(VerifyRaw({}), "0-byte raw signature");
  ExpectSignatureInvalid(VerifyRaw(ByteView(raw_).first(63)), "63-byte raw signature");
  ExpectSignatureInvalid(VerifyRaw(Concat(raw_, Bytes{0x00})), "65-byte raw signature");
  ExpectSignatureInvalid(VerifyRaw(Concat(Bytes{0x00}, raw_)), "65-byte raw, leading zero");
  ExpectSignatureInvalid(VerifyRaw(Concat(raw_, raw_)), "128-byte raw signature");
  ExpectSignatureInvalid(VerifyRaw(ByteView(raw_).first(32)), "r only");
}

TEST_F(KeysEcdsaEncodingTest, EncodingsAreNotInterchangeable) {
  ExpectSignatureInvalid(VerifyRaw(der_), "DER signature as raw");
  ExpectSignatureInvalid(VerifyDer(raw_), "raw signature as DER");
}

TEST_F(KeysEcdsaEncodingTest, DerWithTrailingBytesFails) {
  ExpectSignatureInvalid(VerifyDer(Concat(der_, Bytes{0x00})), "DER + 00");
  ExpectSignatureInvalid(VerifyDer(Concat(der_, Bytes{0x05, 0x00})), "DER + NULL");
  ExpectSignatureInvalid(VerifyDer(Concat(der_, der_)), "DER twice");
}

TEST_F(KeysEcdsaEncodingTest, NonCanonicalDerFails) {
  const Bytes body(der_.begin() + 2, der_.end());
  // Long-form length for a short sequence (BER, not DER: X.690 §10.1).
  Bytes long_form = {0x30, 0x81, static_cast<std::uint8_t>(body.size())};
  ExpectSignatureInvalid(VerifyDer(Concat(long_form, body)), "long-form sequence length");
  // Indefinite length.
  Bytes indefinite = Concat(Concat(Bytes{0x30, 0x80}, body), Bytes{0x00, 0x00});
  ExpectSignatureInvalid(VerifyDer(indefinite), "indefinite length");
  // r with a superfluous leading zero byte (X.690 §8.3.2: minimal encoding).
  const Bytes r_padded = Concat(Bytes{0x00, 0x00}, R());
  Bytes r_integer = {0x02, static_cast<std::uint8_t>(r_padded.size())};
  Bytes padded_body = Concat(Concat(r_integer, r_padded), DerInteger(S()));
  Bytes padded = Concat(Bytes{0x30, static_cast<std::uint8_t>(padded_body.size())}, padded_body);
  ExpectSignatureInvalid(VerifyDer(padded), "r with extra leading zeros");
  // Wrong outer tag (SET instead of SEQUENCE).
  Bytes set = der_;
  set[0] = 0x31;
  ExpectSignatureInvalid(VerifyDer(set), "SET instead of SEQUENCE");
  // Sequence length one too long / one too short.
  Bytes longer = der_;
  ++longer[1];
  ExpectSignatureInvalid(VerifyDer(longer), "sequence length + 1");
  Bytes shorter = der_;
  --shorter[1];
  ExpectSignatureInvalid(VerifyDer(shorter), "sequence length - 1");
  ExpectSignatureInvalid(VerifyDer({}), "empty DER");
  ExpectSignatureInvalid(VerifyDer(Bytes{0x30, 0x00}), "empty sequence");
}

TEST_F(KeysEcdsaEncodingTest, DerSwappedOrNegativeIntegersFail) {
  ExpectSignatureInvalid(VerifyDer(DerSignature(Concat(S(), R()))), "r and s swapped");
  // r encoded without the 0x00 that keeps it positive, when its top bit is set.
  Bytes r = R();
  r[0] |= 0x80;
  Bytes body = Concat(Concat(Bytes{0x02, 0x20}, r), DerInteger(S()));
  ExpectSignatureInvalid(
      VerifyDer(Concat(Bytes{0x30, static_cast<std::uint8_t>(body.size())}, body)), "negative r");
}

TEST_F(KeysEcdsaEncodingTest, OutOfRangeScalarsFail) {
  // FIPS 186-4 §6.4.2 step 1: r and s must be in [1, n-1].
  const Bytes zero(32, 0);
  const Bytes n = CurveN();
  const std::vector<std::pair<std::string, Bytes>> bad = {
      {"r = 0", Concat(zero, S())},
      {"s = 0", Concat(R(), zero)},
      {"r = s = 0", Concat(zero, zero)},
      {"s = n", Concat(R(), n)},
      {"r = n", Concat(n, S())},
      {"s = n + 1", Concat(R(), Increment(n))},
      {"s = 2^256 - 1", Concat(R(), Bytes(32, 0xff))},
  };
  for (const auto& [what, raw] : bad) {
    ExpectSignatureInvalid(VerifyRaw(raw), "raw " + what);
    ExpectSignatureInvalid(VerifyDer(DerSignature(raw)), "DER " + what);
  }
}

TEST_F(KeysEcdsaEncodingTest, HighSIsAcceptedAsWycheproofRequires) {
  // (r, n - s) is the other valid signature for the same (key, message): ECDSA is malleable.
  // Neither FIPS 186-4, JOSE ES256 (RFC 7518 §3.4) nor RFC 9421 require low-S, and Wycheproof
  // marks such signatures "valid" (ecdsa_secp256r1_sha256_p1363_test.json tcId 1, "signature
  // malleability"), so ztm must accept them. Consequence for callers: signature bytes are not
  // unique; a replay cache must key on the signed content (jti, nonce), never on the signature.
  const Bytes high_s = Subtract(CurveN(), S());
  const Bytes malleated = Concat(R(), high_s);
  EXPECT_NE(malleated, raw_);
  EXPECT_TRUE(VerifyRaw(malleated).ok());
  EXPECT_TRUE(VerifyDer(DerSignature(malleated)).ok());
}

// ---------------------------------------------------------------------------------------------
// Ed25519: RFC 8032 §7.1 known answers.

struct Rfc8032Vector {
  const char* name;
  const char* secret_key;
  const char* public_key;
  const char* message;
  const char* signature;
};

class KeysEd25519Rfc8032Test : public ::testing::TestWithParam<Rfc8032Vector> {};

TEST_P(KeysEd25519Rfc8032Test, SeedGivesPublicKeyAndExactSignature) {
  const Rfc8032Vector& v = GetParam();
  const Bytes seed = FromHex(v.secret_key);
  const Bytes message = FromHex(v.message);
  Result<PrivateKey> key = PrivateKey::FromEd25519Seed(seed);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->type(), KeyType::kEd25519);
  EXPECT_EQ(HexEncode(key->public_key().Ed25519Raw()), v.public_key);
  EXPECT_EQ(HexEncode(key->RawPrivate().view()), v.secret_key);
  Result<Bytes> signature = key->Sign(SignatureAlgorithm::kEd25519, message);
  ASSERT_TRUE(signature.ok()) << signature.error().message;
  EXPECT_EQ(HexEncode(*signature), v.signature);

  Result<PublicKey> public_key = PublicKey::FromEd25519Raw(FromHex(v.public_key));
  ASSERT_TRUE(public_key.ok()) << public_key.error().message;
  EXPECT_EQ(public_key->ToSpkiDer(), key->public_key().ToSpkiDer());
  EXPECT_TRUE(public_key->Verify(SignatureAlgorithm::kEd25519, message, FromHex(v.signature)).ok());
  ExpectSignatureInvalid(
      public_key->Verify(SignatureAlgorithm::kEd25519, AsBytes("other"), FromHex(v.signature)),
      "RFC 8032 signature over another message");
}

INSTANTIATE_TEST_SUITE_P(
    Rfc8032, KeysEd25519Rfc8032Test,
    ::testing::Values(
        // RFC 8032 §7.1, TEST 1 (empty message).
        Rfc8032Vector{"Test1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                      "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
                      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                      "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
        // RFC 8032 §7.1, TEST 2 (one-byte message 0x72).
        Rfc8032Vector{"Test2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                      "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
                      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                      "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(KeysEd25519, WrongLengthsAreRefused) {
  for (std::size_t length : {0u, 31u, 33u, 64u}) {
    ExpectKeyInvalid(PrivateKey::FromEd25519Seed(Bytes(length, 0x01)),
                     "Ed25519 seed of " + std::to_string(length) + " bytes");
    ExpectKeyInvalid(PublicKey::FromEd25519Raw(Bytes(length, 0x01)),
                     "Ed25519 public key of " + std::to_string(length) + " bytes");
  }
  PrivateKey key = MustGenerate(KeyType::kEd25519);
  const Bytes signature = MustSign(key, SignatureAlgorithm::kEd25519, AsBytes("m"));
  for (std::size_t length : {0u, 63u, 65u}) {
    ExpectSignatureInvalid(key.public_key().Verify(SignatureAlgorithm::kEd25519, AsBytes("m"),
                                                   WithLength(signature, length)),
                           "Ed25519 signature of " + std::to_string(length) + " bytes");
  }
}

TEST(KeysEd25519, RawRoundTrip) {
  PrivateKey key = MustGenerate(KeyType::kEd25519);
  Result<PrivateKey> from_seed = PrivateKey::FromEd25519Seed(key.RawPrivate().view());
  ASSERT_TRUE(from_seed.ok());
  EXPECT_EQ(from_seed->public_key().Ed25519Raw(), key.public_key().Ed25519Raw());
  Result<PublicKey> from_raw = PublicKey::FromEd25519Raw(key.public_key().Ed25519Raw());
  ASSERT_TRUE(from_raw.ok());
  EXPECT_EQ(from_raw->ToSpkiDer(), key.public_key().ToSpkiDer());
}

// ---------------------------------------------------------------------------------------------
// P-256 points and scalars.

TEST(KeysEcPoint, GeneratorCoordinates) {
  Result<PublicKey> key = PublicKey::FromEcCoordinates(GeneratorX(), GeneratorY());
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->type(), KeyType::kEcP256);
  EXPECT_EQ(key->EcX(), GeneratorX());
  EXPECT_EQ(key->EcY(), GeneratorY());
}

TEST(KeysEcPoint, CoordinatesRoundTrip) {
  for (int i = 0; i < 8; ++i) {
    PrivateKey key = MustGenerate(KeyType::kEcP256);
    const Bytes x = key.public_key().EcX();
    const Bytes y = key.public_key().EcY();
    ASSERT_EQ(x.size(), 32u);  // left-padded even when the top byte is zero
    ASSERT_EQ(y.size(), 32u);
    Result<PublicKey> rebuilt = PublicKey::FromEcCoordinates(x, y);
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().message;
    EXPECT_EQ(rebuilt->ToSpkiDer(), key.public_key().ToSpkiDer());
    Result<PublicKey> from_point = PublicKey::FromEcPoint(Concat(Bytes{0x04}, Concat(x, y)));
    ASSERT_TRUE(from_point.ok());
    EXPECT_EQ(from_point->ToSpkiDer(), key.public_key().ToSpkiDer());
  }
}

TEST(KeysEcPoint, OffCurveOrMalformedCoordinatesAreRefused) {
  ExpectKeyInvalid(PublicKey::FromEcCoordinates(GeneratorX(), Increment(GeneratorY())),
                   "(Gx, Gy + 1)");
  ExpectKeyInvalid(PublicKey::FromEcCoordinates(Increment(GeneratorX()), GeneratorY()),
                   "(Gx + 1, Gy)");
  ExpectKeyInvalid(PublicKey::FromEcCoordinates(Bytes(32, 0), Bytes(32, 0)), "(0, 0)");
  // Coordinates must be field elements: x = p is out of range.
  ExpectKeyInvalid(PublicKey::FromEcCoordinates(CurveP(), GeneratorY()), "x = p");
  // Gy + p would overflow 32 bytes; y = p + small is caught as out of range or off curve.
  ExpectKeyInvalid(PublicKey::FromEcCoordinates(GeneratorX(), CurveP()), "y = p");
  for (std::size_t length : {0u, 31u, 33u, 64u}) {
    const std::string what = std::to_string(length) + "-byte coordinate";
    ExpectKeyInvalid(PublicKey::FromEcCoordinates(WithLength(GeneratorX(), length), GeneratorY()),
                     "x: " + what);
    ExpectKeyInvalid(PublicKey::FromEcCoordinates(GeneratorX(), WithLength(GeneratorY(), length)),
                     "y: " + what);
  }
  // 33 bytes with a leading zero is still the wrong length (the header says 32 bytes each).
  ExpectKeyInvalid(PublicKey::FromEcCoordinates(Concat(Bytes{0}, GeneratorX()), GeneratorY()),
                   "zero-padded 33-byte x");
}

TEST(KeysEcPoint, Sec1Forms) {
  const Bytes uncompressed = Concat(Bytes{0x04}, Concat(GeneratorX(), GeneratorY()));
  Result<PublicKey> from_uncompressed = PublicKey::FromEcPoint(uncompressed);
  ASSERT_TRUE(from_uncompressed.ok()) << from_uncompressed.error().message;
  // Gy is odd, so G compresses to 0x03 || Gx (SEC 1 §2.3.3).
  Result<PublicKey> compressed = PublicKey::FromEcPoint(Concat(Bytes{0x03}, GeneratorX()));
  ASSERT_TRUE(compressed.ok()) << compressed.error().message;
  EXPECT_EQ(compressed->ToSpkiDer(), from_uncompressed->ToSpkiDer());
  // 0x02 || Gx is -G.
  Result<PublicKey> negated = PublicKey::FromEcPoint(Concat(Bytes{0x02}, GeneratorX()));
  ASSERT_TRUE(negated.ok());
  EXPECT_EQ(negated->EcY(), NegatedGeneratorY());
}

TEST(KeysEcPoint, MalformedSec1PointsAreRefused) {
  const Bytes xy = Concat(GeneratorX(), GeneratorY());
  ExpectKeyInvalid(PublicKey::FromEcPoint({}), "empty point");
  ExpectKeyInvalid(PublicKey::FromEcPoint(Bytes{0x00}), "point at infinity");
  ExpectKeyInvalid(PublicKey::FromEcPoint(xy), "64 bytes without a prefix");
  ExpectKeyInvalid(PublicKey::FromEcPoint(Concat(Bytes{0x04}, Concat(xy, Bytes{0}))),
                   "uncompressed + 1 byte");
  ExpectKeyInvalid(PublicKey::FromEcPoint(ByteView(Concat(Bytes{0x04}, xy)).first(64)),
                   "uncompressed - 1 byte");
  ExpectKeyInvalid(PublicKey::FromEcPoint(Concat(Bytes{0x04}, GeneratorX())),
                   "0x04 prefix with a compressed length");
  ExpectKeyInvalid(PublicKey::FromEcPoint(Concat(Bytes{0x05}, xy)), "prefix 0x05");
  ExpectKeyInvalid(
      PublicKey::FromEcPoint(Concat(Bytes{0x04}, Concat(GeneratorX(), Increment(GeneratorY())))),
      "uncompressed point off the curve");
  // x = p has no point; a compressed form must not reduce it mod p.
  ExpectKeyInvalid(PublicKey::FromEcPoint(Concat(Bytes{0x02}, CurveP())), "compressed x = p");
  // SEC 1 hybrid form (0x06/0x07) is neither of the two forms keys.h accepts.
  ExpectKeyInvalid(PublicKey::FromEcPoint(Concat(Bytes{0x07}, xy)), "hybrid form 0x07");
  ExpectKeyInvalid(PublicKey::FromEcPoint(Concat(Bytes{0x06}, xy)), "hybrid form 0x06");
}

TEST(KeysEcScalar, KnownScalars) {
  // d = 1: the public key is G.
  Bytes one(32, 0);
  one[31] = 1;
  Result<PrivateKey> key_one = PrivateKey::FromEcScalar(one);
  ASSERT_TRUE(key_one.ok()) << key_one.error().message;
  EXPECT_EQ(key_one->type(), KeyType::kEcP256);
  EXPECT_EQ(key_one->public_key().EcX(), GeneratorX());
  EXPECT_EQ(key_one->public_key().EcY(), GeneratorY());
  const Secret d = key_one->RawPrivate();
  EXPECT_EQ(Bytes(d.view().begin(), d.view().end()), one);
  // d = n - 1: the public key is -G.
  Bytes n_minus_one = CurveN();
  n_minus_one[31] -= 1;
  Result<PrivateKey> key_last = PrivateKey::FromEcScalar(n_minus_one);
  ASSERT_TRUE(key_last.ok()) << key_last.error().message;
  EXPECT_EQ(key_last->public_key().EcX(), GeneratorX());
  EXPECT_EQ(key_last->public_key().EcY(), NegatedGeneratorY());
}

TEST(KeysEcScalar, OutOfRangeOrWrongLengthIsRefused) {
  ExpectKeyInvalid(PrivateKey::FromEcScalar(Bytes(32, 0)), "d = 0");
  ExpectKeyInvalid(PrivateKey::FromEcScalar(CurveN()), "d = n");
  ExpectKeyInvalid(PrivateKey::FromEcScalar(Increment(CurveN())), "d = n + 1");
  ExpectKeyInvalid(PrivateKey::FromEcScalar(Bytes(32, 0xff)), "d = 2^256 - 1");
  for (std::size_t length : {0u, 1u, 31u, 33u}) {
    ExpectKeyInvalid(PrivateKey::FromEcScalar(Bytes(length, 0x01)),
                     std::to_string(length) + "-byte scalar");
  }
}

TEST(KeysEcScalar, RawPrivateRoundTrip) {
  PrivateKey key = MustGenerate(KeyType::kEcP256);
  const Secret d = key.RawPrivate();
  ASSERT_EQ(d.size(), 32u);
  Result<PrivateKey> rebuilt = PrivateKey::FromEcScalar(d.view());
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_EQ(rebuilt->public_key().ToSpkiDer(), key.public_key().ToSpkiDer());
  const Bytes signature = MustSign(*rebuilt, SignatureAlgorithm::kEcdsaP256Sha256Raw, AsBytes("m"));
  EXPECT_TRUE(key.public_key()
                  .Verify(SignatureAlgorithm::kEcdsaP256Sha256Raw, AsBytes("m"), signature)
                  .ok());
}

// ---------------------------------------------------------------------------------------------
// PEM and DER.

class KeysEncodingTest : public ::testing::TestWithParam<KeyType> {};

TEST_P(KeysEncodingTest, PublicKeyRoundTrips) {
  PrivateKey key = MustGenerate(GetParam());
  const PublicKey& public_key = key.public_key();
  const Bytes spki = public_key.ToSpkiDer();
  Result<PublicKey> from_der = PublicKey::FromSpkiDer(spki);
  ASSERT_TRUE(from_der.ok()) << from_der.error().message;
  EXPECT_EQ(from_der->type(), GetParam());
  EXPECT_EQ(from_der->ToSpkiDer(), spki);

  const std::string pem = public_key.ToPem();
  EXPECT_EQ(pem.rfind("-----BEGIN PUBLIC KEY-----", 0), 0u) << pem;
  Result<PublicKey> from_pem = PublicKey::FromPem(pem);
  ASSERT_TRUE(from_pem.ok()) << from_pem.error().message;
  EXPECT_EQ(from_pem->ToSpkiDer(), spki);
}

TEST_P(KeysEncodingTest, PrivateKeyRoundTrips) {
  PrivateKey key = MustGenerate(GetParam());
  const Bytes spki = key.public_key().ToSpkiDer();
  const SignatureAlgorithm algorithm = GetParam() == KeyType::kEcP256
                                           ? SignatureAlgorithm::kEcdsaP256Sha256Raw
                                           : SignatureAlgorithm::kEd25519;

  const Secret pkcs8 = key.ToPkcs8Der();
  Result<PrivateKey> from_der = PrivateKey::FromPkcs8Der(pkcs8.view());
  ASSERT_TRUE(from_der.ok()) << from_der.error().message;
  EXPECT_EQ(from_der->type(), GetParam());
  EXPECT_EQ(from_der->public_key().ToSpkiDer(), spki);
  EXPECT_TRUE(from_der->RawPrivate() == key.RawPrivate());

  const std::string pem = key.ToPem();
  EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
  Result<PrivateKey> from_pem = PrivateKey::FromPem(pem);
  ASSERT_TRUE(from_pem.ok()) << from_pem.error().message;
  EXPECT_EQ(from_pem->public_key().ToSpkiDer(), spki);
  const Bytes signature = MustSign(*from_pem, algorithm, AsBytes("m"));
  EXPECT_TRUE(key.public_key().Verify(algorithm, AsBytes("m"), signature).ok());
}

TEST_P(KeysEncodingTest, PublicAndPrivateFormsAreNotConfused) {
  PrivateKey key = MustGenerate(GetParam());
  EXPECT_FALSE(PublicKey::FromPem(key.ToPem()).ok()) << "private PEM accepted as a public key";
  EXPECT_FALSE(PublicKey::FromSpkiDer(key.ToPkcs8Der().view()).ok());
  EXPECT_FALSE(PrivateKey::FromPem(key.public_key().ToPem()).ok());
  EXPECT_FALSE(PrivateKey::FromPkcs8Der(key.public_key().ToSpkiDer()).ok());
}

TEST_P(KeysEncodingTest, TruncatedOrExtendedDerIsRefused) {
  PrivateKey key = MustGenerate(GetParam());
  const Bytes spki = key.public_key().ToSpkiDer();
  for (std::size_t length = 0; length < spki.size(); ++length) {
    ExpectKeyInvalid(PublicKey::FromSpkiDer(ByteView(spki).first(length)),
                     "SPKI prefix of " + std::to_string(length) + " bytes");
  }
  // A DER parser that stops after the first object would accept trailing bytes.
  ExpectKeyInvalid(PublicKey::FromSpkiDer(Concat(spki, Bytes{0x00})), "SPKI + 1 byte");
  ExpectKeyInvalid(PublicKey::FromSpkiDer(Concat(spki, spki)), "SPKI twice");
  const Secret pkcs8 = key.ToPkcs8Der();
  ExpectKeyInvalid(PrivateKey::FromPkcs8Der(Concat(pkcs8.view(), Bytes{0x00})), "PKCS#8 + 1 byte");
  ExpectKeyInvalid(PrivateKey::FromPkcs8Der(pkcs8.view().first(pkcs8.size() - 1)),
                   "PKCS#8 - 1 byte");
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, KeysEncodingTest,
                         ::testing::Values(KeyType::kEcP256, KeyType::kEd25519),
                         [](const auto& param_info) {
                           return std::string(param_info.param == KeyType::kEcP256 ? "EcP256"
                                                                                   : "Ed25519");
                         });

TEST(KeysPem, Sec1EcPrivateKeyIsAccepted) {
  // RFC 9421 Appendix B.1.3 test key, "-----BEGIN EC PRIVATE KEY-----" (SEC 1 / RFC 5915).
  Result<PrivateKey> key =
      PrivateKey::FromPem(ztm::testing::ReadTestdata("rfc-crypto/test-key-ecc-p256.key"));
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->type(), KeyType::kEcP256);
  Result<PublicKey> expected =
      PublicKey::FromPem(ztm::testing::ReadTestdata("rfc-crypto/test-key-ecc-p256.pem"));
  ASSERT_TRUE(expected.ok()) << expected.error().message;
  EXPECT_EQ(key->public_key().ToSpkiDer(), expected->ToSpkiDer());
  const Bytes signature = MustSign(*key, SignatureAlgorithm::kEcdsaP256Sha256Der, AsBytes("m"));
  EXPECT_TRUE(
      expected->Verify(SignatureAlgorithm::kEcdsaP256Sha256Der, AsBytes("m"), signature).ok());
  // Re-exported as PKCS#8, it still describes the same key.
  Result<PrivateKey> reparsed = PrivateKey::FromPem(key->ToPem());
  ASSERT_TRUE(reparsed.ok());
  EXPECT_TRUE(reparsed->RawPrivate() == key->RawPrivate());
}

TEST(KeysPem, Pkcs8Ed25519IsAccepted) {
  // RFC 9421 Appendix B.1.4 test key.
  Result<PrivateKey> key =
      PrivateKey::FromPem(ztm::testing::ReadTestdata("rfc-crypto/test-key-ed25519.key"));
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->type(), KeyType::kEd25519);
  Result<PublicKey> expected =
      PublicKey::FromPem(ztm::testing::ReadTestdata("rfc-crypto/test-key-ed25519.pem"));
  ASSERT_TRUE(expected.ok()) << expected.error().message;
  EXPECT_EQ(expected->type(), KeyType::kEd25519);
  EXPECT_EQ(key->public_key().ToSpkiDer(), expected->ToSpkiDer());
}

TEST(KeysPem, GarbageIsRefused) {
  const std::string valid = MustGenerate(KeyType::kEcP256).public_key().ToPem();
  const std::vector<std::pair<std::string, std::string>> garbage = {
      {"empty", ""},
      {"text", "garbage"},
      {"header only", "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"},
      {"bad base64", "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n"},
      {"random body", "-----BEGIN PUBLIC KEY-----\n" + Base64Encode(RandomBytes(91)) +
                          "\n-----END PUBLIC KEY-----\n"},
      {"truncated", valid.substr(0, valid.size() / 2)},
      {"body cut", valid.substr(0, 40) + valid.substr(60)},
      {"no end line", valid.substr(0, valid.find("-----END"))},
      {"NUL bytes", std::string(64, '\0')},
  };
  for (const auto& [what, text] : garbage) {
    ExpectKeyInvalid(PublicKey::FromPem(text), "public PEM: " + what);
    ExpectKeyInvalid(PrivateKey::FromPem(text), "private PEM: " + what);
  }
  ExpectKeyInvalid(PublicKey::FromSpkiDer(RandomBytes(91)), "random SPKI DER");
  ExpectKeyInvalid(PublicKey::FromSpkiDer({}), "empty SPKI DER");
  ExpectKeyInvalid(PrivateKey::FromPkcs8Der(RandomBytes(138)), "random PKCS#8 DER");
  ExpectKeyInvalid(PrivateKey::FromPkcs8Der({}), "empty PKCS#8 DER");
}

TEST(KeysPem, UnsupportedKeyTypesAreRefused) {
  // ztm supports P-256 and Ed25519 only.
  const std::vector<std::string> public_files = {
      "rfc-crypto/test-key-rsa.pem",              // PKCS#1 RSA PUBLIC KEY
      "rfc-crypto/rsa-spki.derived.pem",          // RSA in SPKI
      "rfc-crypto/p384-spki.generated.pem",       // EC, but P-384
      "rfc-crypto/secp256k1-spki.generated.pem",  // EC, but secp256k1
      "rfc-crypto/x25519-spki.generated.pem",     // X25519 is not Ed25519
  };
  for (const std::string& file : public_files) {
    ExpectKeyRefused(PublicKey::FromPem(ztm::testing::ReadTestdata(file)), file);
  }
  const std::vector<std::string> private_files = {
      "rfc-crypto/test-key-rsa.key",          // PKCS#1 RSA PRIVATE KEY
      "rfc-crypto/rsa-pkcs8.derived.pem",     // RSA in PKCS#8
      "rfc-crypto/p384-pkcs8.generated.pem",  // EC P-384 in PKCS#8
  };
  for (const std::string& file : private_files) {
    ExpectKeyRefused(PrivateKey::FromPem(ztm::testing::ReadTestdata(file)), file);
  }
}

TEST(KeysPem, ExplicitCurveParametersAreRefused) {
  // RFC 5480 §2.1.1: specifiedCurve MUST NOT be used; a key must name its curve. With explicit
  // parameters an attacker chooses the generator (CVE-2020-0601, "CurveBall"); the second file
  // is P-256 with the generator replaced by 2G.
  for (const char* file : {"rfc-crypto/p256-explicit-params-spki.generated.pem",
                           "rfc-crypto/p256-explicit-params-other-generator-spki.derived.pem"}) {
    ExpectKeyRefused(PublicKey::FromPem(ztm::testing::ReadTestdata(file)), file);
  }
}

TEST(KeysPem, PrivateKeyWithMismatchedPublicKeyIsRefused) {
  // SEC 1 and PKCS#8 EC keys may carry the public point next to d. If it is not d·G, the key
  // would sign with d while public_key() advertises another point: refuse it at parse time.
  ExpectKeyInvalid(PrivateKey::FromPem(ztm::testing::ReadTestdata(
                       "rfc-crypto/p256-sec1-mismatched-public.derived.pem")),
                   "SEC 1 key whose public point is G");

  PrivateKey key = MustGenerate(KeyType::kEcP256);
  const Secret pkcs8 = key.ToPkcs8Der();
  const Bytes point = Concat(Bytes{0x04}, Concat(key.public_key().EcX(), key.public_key().EcY()));
  Bytes tampered(pkcs8.view().begin(), pkcs8.view().end());
  ASSERT_GE(tampered.size(), point.size());
  ASSERT_TRUE(std::equal(point.begin(), point.end(), tampered.end() - 65))
      << "expected the PKCS#8 encoding to end with the public point";
  std::copy(GeneratorX().begin(), GeneratorX().end(), tampered.end() - 64);
  std::copy(GeneratorY().begin(), GeneratorY().end(), tampered.end() - 32);
  ExpectKeyInvalid(PrivateKey::FromPkcs8Der(tampered), "PKCS#8 key whose public point is G");
}

TEST(KeysEvp, FromEvpTakesAReferenceAndChecksTheType) {
  PrivateKey key = MustGenerate(KeyType::kEcP256);
  EVP_PKEY* evp = key.public_key().get0_evp();
  ASSERT_NE(evp, nullptr);
  Result<PublicKey> adopted = PublicKey::FromEvp(evp);
  ASSERT_TRUE(adopted.ok()) << adopted.error().message;
  EXPECT_EQ(adopted->ToSpkiDer(), key.public_key().ToSpkiDer());

  // An RSA key built directly with OpenSSL is refused; our own reference stays ours.
  EVP_PKEY* rsa = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  ASSERT_NE(rsa, nullptr);
  ExpectKeyRefused(PublicKey::FromEvp(rsa), "RSA EVP_PKEY");
  EVP_PKEY_free(rsa);
  // A P-384 key likewise.
  EVP_PKEY* p384 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  ASSERT_NE(p384, nullptr);
  ExpectKeyRefused(PublicKey::FromEvp(p384), "P-384 EVP_PKEY");
  EVP_PKEY_free(p384);

  // The adopted key holds its own reference: it survives our freeing of ours.
  EVP_PKEY* p256 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  ASSERT_NE(p256, nullptr);
  Result<PublicKey> owned = PublicKey::FromEvp(p256);
  EVP_PKEY_free(p256);
  ASSERT_TRUE(owned.ok()) << owned.error().message;
  EXPECT_EQ(owned->type(), KeyType::kEcP256);
  EXPECT_EQ(owned->EcX().size(), 32u);
}

// ---------------------------------------------------------------------------------------------
// SPKI pins (RFC 7469 §2.4 form "sha256/<base64>").

std::string ExpectedPin(const std::string& pin_file) {
  std::string pin = ztm::testing::ReadTestdata(pin_file);
  while (!pin.empty() && (pin.back() == '\n' || pin.back() == '\r')) pin.pop_back();
  return "sha256/" + pin;
}

TEST(KeysSpkiPin, PemAndDerCertificates) {
  const std::string expected = ExpectedPin("rfc-crypto/spki-pin-cert.pin.txt");
  Result<std::string> from_pem =
      SpkiPinOfCertificate(AsBytes(ztm::testing::ReadTestdata("rfc-crypto/spki-pin-cert.pem")));
  ASSERT_TRUE(from_pem.ok()) << from_pem.error().message;
  EXPECT_EQ(*from_pem, expected);
  Result<std::string> from_der =
      SpkiPinOfCertificate(AsBytes(ztm::testing::ReadTestdata("rfc-crypto/spki-pin-cert.der")));
  ASSERT_TRUE(from_der.ok()) << from_der.error().message;
  EXPECT_EQ(*from_der, expected);

  Result<std::string> ed25519 = SpkiPinOfCertificate(
      AsBytes(ztm::testing::ReadTestdata("rfc-crypto/spki-pin-cert-ed25519.pem")));
  ASSERT_TRUE(ed25519.ok()) << ed25519.error().message;
  EXPECT_EQ(*ed25519, ExpectedPin("rfc-crypto/spki-pin-cert-ed25519.pin.txt"));
}

TEST(KeysSpkiPin, NotACertificateIsRefused) {
  const std::string der = ztm::testing::ReadTestdata("rfc-crypto/spki-pin-cert.der");
  EXPECT_FALSE(SpkiPinOfCertificate({}).ok());
  EXPECT_FALSE(SpkiPinOfCertificate(AsBytes("garbage")).ok());
  EXPECT_FALSE(SpkiPinOfCertificate(AsBytes(der.substr(0, der.size() - 1))).ok())
      << "truncated DER certificate";
  EXPECT_FALSE(SpkiPinOfCertificate(AsBytes(der + std::string(1, '\0'))).ok())
      << "DER certificate with a trailing byte";
  // A public key is not a certificate.
  EXPECT_FALSE(
      SpkiPinOfCertificate(AsBytes(ztm::testing::ReadTestdata("rfc-crypto/test-key-ecc-p256.pem")))
          .ok());
}

}  // namespace
}  // namespace ztm::crypto
