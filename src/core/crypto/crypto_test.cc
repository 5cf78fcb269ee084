// Known-answer and negative tests for crypto.h: hashes (FIPS 180-4 examples), HMAC
// (RFC 4231), HKDF (RFC 5869), AES-256-GCM (GCM specification test cases, tamper and size
// checks), randomness and constant-time comparison. The vectors are transcribed from the
// documents named next to them; Wycheproof coverage is in wycheproof_test.cc.
#include "core/crypto/crypto.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/encoding.h"

namespace ztm::crypto {
namespace {

Bytes FromHex(std::string_view hex) {
  Result<Bytes> bytes = HexDecode(hex);
  if (!bytes.ok()) ADD_FAILURE() << "bad hex in test: " << hex;
  return bytes.ok() ? std::move(bytes).value() : Bytes{};
}

Bytes Repeat(std::uint8_t byte, std::size_t count) { return Bytes(count, byte); }

Bytes Range(int first, int end) {
  Bytes out;
  for (int b = first; b < end; ++b) out.push_back(static_cast<std::uint8_t>(b));
  return out;
}

Bytes Concat(ByteView a, ByteView b) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Hashes: FIPS 180-4 / the NIST "Cryptographic Standards and Guidelines" examples.

TEST(CryptoHash, DigestLengths) {
  EXPECT_EQ(DigestLength(HashAlgorithm::kSha256), 32u);
  EXPECT_EQ(DigestLength(HashAlgorithm::kSha384), 48u);
  EXPECT_EQ(DigestLength(HashAlgorithm::kSha512), 64u);
}

TEST(CryptoHash, HasherInPiecesEqualsOneShotHash) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data.push_back(static_cast<char>('a' + i % 26));
  for (const auto algorithm :
       {HashAlgorithm::kSha256, HashAlgorithm::kSha384, HashAlgorithm::kSha512}) {
    Hasher hasher(algorithm);
    // Uneven pieces, an empty one among them.
    std::size_t offset = 0;
    for (std::size_t piece : {0UL, 1UL, 63UL, 64UL, 65UL, 4096UL, 12345UL}) {
      hasher.Update(AsBytes(std::string_view(data).substr(offset, piece)));
      offset += piece;
    }
    hasher.Update(AsBytes(std::string_view(data).substr(offset)));
    EXPECT_EQ(hasher.Finish(), Hash(algorithm, AsBytes(data)));
  }
  Hasher empty(HashAlgorithm::kSha256);
  EXPECT_EQ(HexEncode(empty.Finish()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CryptoHashDeathTest, SpentHasherAborts) {
  Hasher hasher(HashAlgorithm::kSha256);
  (void)hasher.Finish();
  EXPECT_DEATH(hasher.Update(AsBytes(std::string_view("x"))), "");
  EXPECT_DEATH((void)hasher.Finish(), "");
}

TEST(CryptoHash, Sha256KnownAnswers) {
  EXPECT_EQ(HexEncode(Sha256(std::string_view("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Sha256(std::string_view(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // Two-block message.
  EXPECT_EQ(HexEncode(Sha256(
                std::string_view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Hash(HashAlgorithm::kSha256, AsBytes("abc")), Sha256(AsBytes("abc")));
}

TEST(CryptoHash, Sha384KnownAnswers) {
  EXPECT_EQ(HexEncode(Sha384(AsBytes("abc"))),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7");
  EXPECT_EQ(HexEncode(Sha384(AsBytes(
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
                "klmnopqrlmnopqrsmnopqrstnopqrstu"))),
            "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712"
            "fcc7c71a557e2db966c3e9fa91746039");
}

TEST(CryptoHash, Sha512KnownAnswers) {
  EXPECT_EQ(HexEncode(Sha512(AsBytes("abc"))),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(HexEncode(Sha512(AsBytes(
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
                "klmnopqrlmnopqrsmnopqrstnopqrstu"))),
            "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
            "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
}

// ---------------------------------------------------------------------------------------------
// HMAC: RFC 4231 §4.

struct HmacVector {
  const char* name;
  Bytes key;
  Bytes data;
  const char* sha256;
  const char* sha384;
  const char* sha512;
};

std::vector<HmacVector> Rfc4231Vectors() {
  return {
      // RFC 4231 §4.2, Test Case 1.
      {"TestCase1", Repeat(0x0b, 20), ToBytes("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
       "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
       "faea9ea9076ede7f4af152e8b2fa9cb6",
       "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
       "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
      // RFC 4231 §4.3, Test Case 2: a key shorter than the output.
      {"TestCase2", ToBytes("Jefe"), ToBytes("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
       "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
       "8e2240ca5e69e2c78b3239ecfab21649",
       "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
       "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
      // RFC 4231 §4.7, Test Case 6: a 131-byte key, longer than the block size (hashed first).
      {"TestCase6LongKey", Repeat(0xaa, 131),
       ToBytes("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
       "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
       "0c2ef6ab4030fe8296248df163f44952",
       "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
       "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
      // RFC 4231 §4.8, Test Case 7: long key and long data.
      {"TestCase7LongKeyLongData", Repeat(0xaa, 131),
       ToBytes("This is a test using a larger than block-size key and a larger than block-size "
               "data. The key needs to be hashed before being used by the HMAC algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
       "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5"
       "a678cc31e799176d3860e6110c46523e",
       "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
       "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"},
  };
}

class CryptoHmacRfc4231Test : public ::testing::TestWithParam<HmacVector> {};

TEST_P(CryptoHmacRfc4231Test, ComputesAndVerifies) {
  const HmacVector& v = GetParam();
  const std::pair<HashAlgorithm, const char*> expected[] = {
      {HashAlgorithm::kSha256, v.sha256},
      {HashAlgorithm::kSha384, v.sha384},
      {HashAlgorithm::kSha512, v.sha512},
  };
  for (const auto& [algorithm, mac_hex] : expected) {
    SCOPED_TRACE(DigestLength(algorithm) * 8);
    EXPECT_EQ(HexEncode(Hmac(algorithm, v.key, v.data)), mac_hex);
    EXPECT_TRUE(HmacVerify(algorithm, v.key, v.data, FromHex(mac_hex)).ok());
  }
  EXPECT_EQ(HexEncode(HmacSha256(v.key, v.data)), v.sha256);
}

INSTANTIATE_TEST_SUITE_P(Rfc4231, CryptoHmacRfc4231Test, ::testing::ValuesIn(Rfc4231Vectors()),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(CryptoHmac, AcceptsEmptyKey) {
  // HMAC defines any key length, including zero (RFC 2104 §2: the key is zero-padded).
  EXPECT_EQ(HexEncode(HmacSha256({}, {})),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(CryptoHmac, VerifyRejectsEveryModifiedBit) {
  const Bytes key = Repeat(0x0b, 20);
  const Bytes data = ToBytes("Hi There");
  const Bytes mac = HmacSha256(key, data);
  for (std::size_t i = 0; i < mac.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes bad = mac;
      bad[i] ^= static_cast<std::uint8_t>(1u << bit);
      Status status = HmacVerify(HashAlgorithm::kSha256, key, data, bad);
      ASSERT_FALSE(status.ok()) << "byte " << i << " bit " << bit;
      EXPECT_EQ(status.code(), Code::kCryptoSignatureInvalid);
    }
  }
}

TEST(CryptoHmac, VerifyRejectsWrongLengths) {
  const Bytes key = ToBytes("Jefe");
  const Bytes data = ToBytes("what do ya want for nothing?");
  const Bytes mac = HmacSha256(key, data);
  const std::vector<Bytes> wrong_lengths = {
      Bytes{},                               // empty: must never verify
      Bytes(mac.begin(), mac.begin() + 16),  // truncated (a correct prefix)
      Bytes(mac.begin(), mac.end() - 1),     // one byte short
      Concat(mac, Bytes{0x00}),              // one byte too many
      Concat(mac, mac),                      // doubled
  };
  for (const Bytes& bad : wrong_lengths) {
    Status status = HmacVerify(HashAlgorithm::kSha256, key, data, bad);
    ASSERT_FALSE(status.ok()) << "accepted a " << bad.size() << "-byte MAC";
    EXPECT_EQ(status.code(), Code::kCryptoSignatureInvalid);
  }
}

TEST(CryptoHmac, VerifyRejectsOtherKeyDataOrHash) {
  const Bytes key = ToBytes("Jefe");
  const Bytes data = ToBytes("what do ya want for nothing?");
  const Bytes mac = HmacSha256(key, data);
  EXPECT_EQ(HmacVerify(HashAlgorithm::kSha256, ToBytes("Jeff"), data, mac).code(),
            Code::kCryptoSignatureInvalid);
  EXPECT_EQ(
      HmacVerify(HashAlgorithm::kSha256, key, ToBytes("what do ya want for nothing!"), mac).code(),
      Code::kCryptoSignatureInvalid);
  // A SHA-512 MAC's first 32 bytes are not a SHA-256 MAC, and a SHA-512 MAC is not accepted
  // as SHA-384 either.
  const Bytes mac512 = Hmac(HashAlgorithm::kSha512, key, data);
  EXPECT_FALSE(HmacVerify(HashAlgorithm::kSha256, key, data, ByteView(mac512).first(32)).ok());
  EXPECT_FALSE(HmacVerify(HashAlgorithm::kSha384, key, data, mac512).ok());
}

// ---------------------------------------------------------------------------------------------
// HKDF: RFC 5869 Appendix A (SHA-256 cases).

struct HkdfVector {
  const char* name;
  Bytes ikm;
  Bytes salt;
  Bytes info;
  std::size_t length;
  const char* okm;
};

std::vector<HkdfVector> Rfc5869Vectors() {
  return {
      // A.1 Test Case 1: basic test case with SHA-256.
      {"TestCase1", Repeat(0x0b, 22), Range(0x00, 0x0d), Range(0xf0, 0xfa), 42,
       "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
       "34007208d5b887185865"},
      // A.2 Test Case 2: longer inputs/outputs.
      {"TestCase2", Range(0x00, 0x50), Range(0x60, 0xb0), Range(0xb0, 0x100), 82,
       "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
       "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
       "cc30c58179ec3e87c14c01d5c1f3434f1d87"},
      // A.3 Test Case 3: zero-length salt and info.
      {"TestCase3", Repeat(0x0b, 22), Bytes{}, Bytes{}, 42,
       "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
       "9d201395faa4b61a96c8"},
  };
}

class CryptoHkdfRfc5869Test : public ::testing::TestWithParam<HkdfVector> {};

TEST_P(CryptoHkdfRfc5869Test, ExactOutputKeyingMaterial) {
  const HkdfVector& v = GetParam();
  Result<Secret> okm = Hkdf(HashAlgorithm::kSha256, v.ikm, v.salt, v.info, v.length);
  ASSERT_TRUE(okm.ok()) << okm.error().message;
  EXPECT_EQ(okm->size(), v.length);
  EXPECT_EQ(HexEncode(okm->view()), v.okm);
}

INSTANTIATE_TEST_SUITE_P(Rfc5869, CryptoHkdfRfc5869Test, ::testing::ValuesIn(Rfc5869Vectors()),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(CryptoHkdf, ShorterOutputIsPrefix) {
  // RFC 5869 §2.3: OKM is the first L octets of T(1) | T(2) | ...
  const HkdfVector v = Rfc5869Vectors()[0];
  Result<Secret> okm = Hkdf(HashAlgorithm::kSha256, v.ikm, v.salt, v.info, 10);
  ASSERT_TRUE(okm.ok());
  EXPECT_EQ(HexEncode(okm->view()), std::string(v.okm).substr(0, 20));
}

TEST(CryptoHkdf, InfoSeparatesKeys) {
  const Bytes ikm = Repeat(0x0b, 22);
  Result<Secret> a = Hkdf(HashAlgorithm::kSha256, ikm, {}, AsBytes("ztm a"), 32);
  Result<Secret> b = Hkdf(HashAlgorithm::kSha256, ikm, {}, AsBytes("ztm b"), 32);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(*a == *b);
}

TEST(CryptoHkdf, LengthLimitIs255Blocks) {
  // RFC 5869 §2.3: L <= 255*HashLen.
  const Bytes ikm = Repeat(0x0b, 22);
  for (HashAlgorithm algorithm :
       {HashAlgorithm::kSha256, HashAlgorithm::kSha384, HashAlgorithm::kSha512}) {
    const std::size_t limit = 255 * DigestLength(algorithm);
    SCOPED_TRACE(limit);
    Result<Secret> at_limit = Hkdf(algorithm, ikm, {}, {}, limit);
    ASSERT_TRUE(at_limit.ok()) << at_limit.error().message;
    EXPECT_EQ(at_limit->size(), limit);
    EXPECT_FALSE(Hkdf(algorithm, ikm, {}, {}, limit + 1).ok());
    EXPECT_FALSE(Hkdf(algorithm, ikm, {}, {}, 1u << 20).ok());
    EXPECT_FALSE(Hkdf(algorithm, ikm, {}, {}, static_cast<std::size_t>(-1)).ok());
  }
}

// ---------------------------------------------------------------------------------------------
// AES-256-GCM.

const Bytes& TestKey() {
  static const Bytes key =
      FromHex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  return key;
}
const Bytes& TestNonce() {
  static const Bytes nonce = FromHex("cafebabefacedbaddecaf888");
  return nonce;
}

TEST(CryptoAesGcm, GcmSpecificationTestCases) {
  // McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", Appendix B.
  // Test Case 13: zero key, zero nonce, empty plaintext → tag only.
  Result<Bytes> tc13 = AesGcmSeal(Bytes(32), Bytes(12), {}, {});
  ASSERT_TRUE(tc13.ok()) << tc13.error().message;
  EXPECT_EQ(HexEncode(*tc13), "530f8afbc74536b9a963b4f1c4cb738b");
  // Test Case 14: one zero block.
  Result<Bytes> tc14 = AesGcmSeal(Bytes(32), Bytes(12), Bytes(16), {});
  ASSERT_TRUE(tc14.ok());
  EXPECT_EQ(HexEncode(*tc14), "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
  // Test Case 16: 60-byte plaintext with 20 bytes of associated data.
  const Bytes plaintext = FromHex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
  const Bytes aad = FromHex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const char* expected =
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
      "76fc6ece0f4e1768cddf8853bb2d551b";
  Result<Bytes> tc16 = AesGcmSeal(TestKey(), TestNonce(), plaintext, aad);
  ASSERT_TRUE(tc16.ok());
  EXPECT_EQ(HexEncode(*tc16), expected);
  Result<Bytes> opened = AesGcmOpen(TestKey(), TestNonce(), FromHex(expected), aad);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, plaintext);
}

TEST(CryptoAesGcm, RoundTrip) {
  for (std::size_t length : {0u, 1u, 15u, 16u, 17u, 1000u}) {
    const Bytes plaintext = RandomBytes(length);
    Result<Bytes> sealed = AesGcmSeal(TestKey(), TestNonce(), plaintext, AsBytes("header"));
    ASSERT_TRUE(sealed.ok());
    EXPECT_EQ(sealed->size(), length + kAesGcmTagBytes);
    Result<Bytes> opened = AesGcmOpen(TestKey(), TestNonce(), *sealed, AsBytes("header"));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ(*opened, plaintext);
  }
}

class CryptoAesGcmTamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<Bytes> result = AesGcmSeal(TestKey(), TestNonce(), plaintext_, aad_);
    ASSERT_TRUE(result.ok());
    sealed_ = std::move(result).value();
  }
  static void ExpectDecryptFailed(const Result<Bytes>& result, const std::string& what) {
    ASSERT_FALSE(result.ok()) << what << " was accepted";
    EXPECT_EQ(result.code(), Code::kCryptoDecryptFailed) << what;
  }
  const Bytes plaintext_ = ToBytes("attack at dawn, bring the keys");
  const Bytes aad_ = ToBytes("ztm associated data");
  Bytes sealed_;
};

TEST_F(CryptoAesGcmTamperTest, EveryCiphertextByte) {
  const std::size_t ciphertext_length = sealed_.size() - kAesGcmTagBytes;
  for (std::size_t i = 0; i < ciphertext_length; ++i) {
    Bytes bad = sealed_;
    bad[i] ^= 0x01;
    ExpectDecryptFailed(AesGcmOpen(TestKey(), TestNonce(), bad, aad_),
                        "ciphertext byte " + std::to_string(i));
  }
}

TEST_F(CryptoAesGcmTamperTest, EveryTagByte) {
  for (std::size_t i = sealed_.size() - kAesGcmTagBytes; i < sealed_.size(); ++i) {
    Bytes bad = sealed_;
    bad[i] ^= 0x80;
    ExpectDecryptFailed(AesGcmOpen(TestKey(), TestNonce(), bad, aad_),
                        "tag byte " + std::to_string(i));
  }
}

TEST_F(CryptoAesGcmTamperTest, EveryNonceByte) {
  for (std::size_t i = 0; i < kAesGcmNonceBytes; ++i) {
    Bytes nonce = TestNonce();
    nonce[i] ^= 0x01;
    ExpectDecryptFailed(AesGcmOpen(TestKey(), nonce, sealed_, aad_),
                        "nonce byte " + std::to_string(i));
  }
}

TEST_F(CryptoAesGcmTamperTest, AssociatedData) {
  for (std::size_t i = 0; i < aad_.size(); ++i) {
    Bytes aad = aad_;
    aad[i] ^= 0x01;
    ExpectDecryptFailed(AesGcmOpen(TestKey(), TestNonce(), sealed_, aad),
                        "aad byte " + std::to_string(i));
  }
  ExpectDecryptFailed(AesGcmOpen(TestKey(), TestNonce(), sealed_, {}), "empty aad");
  ExpectDecryptFailed(AesGcmOpen(TestKey(), TestNonce(), sealed_, Concat(aad_, Bytes{0})),
                      "extended aad");
  ExpectDecryptFailed(
      AesGcmOpen(TestKey(), TestNonce(), sealed_, ByteView(aad_).first(aad_.size() - 1)),
      "truncated aad");
}

TEST_F(CryptoAesGcmTamperTest, WrongKey) {
  for (std::size_t i = 0; i < kAesGcmKeyBytes; i += 7) {
    Bytes key = TestKey();
    key[i] ^= 0x01;
    ExpectDecryptFailed(AesGcmOpen(key, TestNonce(), sealed_, aad_),
                        "key byte " + std::to_string(i));
  }
  ExpectDecryptFailed(AesGcmOpen(Bytes(kAesGcmKeyBytes), TestNonce(), sealed_, aad_), "zero key");
}

TEST_F(CryptoAesGcmTamperTest, TruncatedOrExtended) {
  // Dropping a byte moves the tag boundary; adding one likewise.
  ExpectDecryptFailed(
      AesGcmOpen(TestKey(), TestNonce(), ByteView(sealed_).first(sealed_.size() - 1), aad_),
      "truncated");
  ExpectDecryptFailed(AesGcmOpen(TestKey(), TestNonce(), Concat(sealed_, Bytes{0}), aad_),
                      "extended");
  // Swapping two ciphertext blocks' worth of bytes.
  Bytes swapped = sealed_;
  std::swap(swapped[0], swapped[16]);
  if (swapped != sealed_) {
    ExpectDecryptFailed(AesGcmOpen(TestKey(), TestNonce(), swapped, aad_), "swapped bytes");
  }
}

TEST_F(CryptoAesGcmTamperTest, ShorterThanTagIsRefused) {
  // Fewer bytes than a tag cannot be a GCM message; the only acceptable outcome is an error.
  for (std::size_t length = 0; length < kAesGcmTagBytes; ++length) {
    EXPECT_FALSE(AesGcmOpen(TestKey(), TestNonce(), ByteView(sealed_).first(length), aad_).ok())
        << length;
  }
}

TEST(CryptoAesGcm, WrongKeySizesAreRefused) {
  // Only AES-256 is supported (crypto.h); AES-128/192 keys must not be silently accepted.
  const Bytes plaintext = ToBytes("x");
  Result<Bytes> sealed = AesGcmSeal(TestKey(), TestNonce(), plaintext, {});
  ASSERT_TRUE(sealed.ok());
  for (std::size_t size : {0u, 1u, 16u, 24u, 31u, 33u, 64u}) {
    const Bytes key(size, 0x42);
    EXPECT_FALSE(AesGcmSeal(key, TestNonce(), plaintext, {}).ok()) << size;
    EXPECT_FALSE(AesGcmOpen(key, TestNonce(), *sealed, {}).ok()) << size;
    EXPECT_FALSE(AesGcmSealRandomNonce(key, plaintext, {}).ok()) << size;
  }
}

TEST(CryptoAesGcm, WrongNonceSizesAreRefused) {
  const Bytes plaintext = ToBytes("x");
  Result<Bytes> sealed = AesGcmSeal(TestKey(), TestNonce(), plaintext, {});
  ASSERT_TRUE(sealed.ok());
  for (std::size_t size : {0u, 1u, 8u, 11u, 13u, 16u, 32u}) {
    const Bytes nonce(size, 0x24);
    EXPECT_FALSE(AesGcmSeal(TestKey(), nonce, plaintext, {}).ok()) << size;
    EXPECT_FALSE(AesGcmOpen(TestKey(), nonce, *sealed, {}).ok()) << size;
  }
}

TEST(CryptoAesGcm, SealIsDeterministicForOneNonce) {
  // Same key and nonce give the same output: this is why a nonce must never repeat.
  Result<Bytes> a = AesGcmSeal(TestKey(), TestNonce(), AsBytes("m"), {});
  Result<Bytes> b = AesGcmSeal(TestKey(), TestNonce(), AsBytes("m"), {});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(CryptoAesGcm, RandomNonceRoundTrip) {
  const Bytes plaintext = ToBytes("session state");
  const Bytes aad = ToBytes("v1");
  Result<Bytes> sealed = AesGcmSealRandomNonce(TestKey(), plaintext, aad);
  ASSERT_TRUE(sealed.ok()) << sealed.error().message;
  ASSERT_EQ(sealed->size(), kAesGcmNonceBytes + plaintext.size() + kAesGcmTagBytes);
  Result<Bytes> opened = AesGcmOpenWithNonce(TestKey(), *sealed, aad);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, plaintext);
  // The layout is nonce || ciphertext || tag, interoperable with AesGcmOpen.
  const ByteView view(*sealed);
  Result<Bytes> opened_split =
      AesGcmOpen(TestKey(), view.first(kAesGcmNonceBytes), view.subspan(kAesGcmNonceBytes), aad);
  ASSERT_TRUE(opened_split.ok());
  EXPECT_EQ(*opened_split, plaintext);
}

TEST(CryptoAesGcm, RandomNoncesDiffer) {
  Result<Bytes> a = AesGcmSealRandomNonce(TestKey(), AsBytes("same"), {});
  Result<Bytes> b = AesGcmSealRandomNonce(TestKey(), AsBytes("same"), {});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(Bytes(a->begin(), a->begin() + kAesGcmNonceBytes),
            Bytes(b->begin(), b->begin() + kAesGcmNonceBytes));
  EXPECT_NE(*a, *b);
}

TEST(CryptoAesGcm, RandomNonceTamperAndShortInput) {
  Result<Bytes> sealed = AesGcmSealRandomNonce(TestKey(), AsBytes("payload"), AsBytes("aad"));
  ASSERT_TRUE(sealed.ok());
  for (std::size_t i = 0; i < sealed->size(); ++i) {
    Bytes bad = *sealed;
    bad[i] ^= 0x01;
    Result<Bytes> opened = AesGcmOpenWithNonce(TestKey(), bad, AsBytes("aad"));
    ASSERT_FALSE(opened.ok()) << "byte " << i;
    EXPECT_EQ(opened.code(), Code::kCryptoDecryptFailed) << "byte " << i;
  }
  EXPECT_EQ(AesGcmOpenWithNonce(TestKey(), *sealed, AsBytes("AAD")).code(),
            Code::kCryptoDecryptFailed);
  // Anything shorter than nonce + tag is refused.
  for (std::size_t length = 0; length < kAesGcmNonceBytes + kAesGcmTagBytes; ++length) {
    EXPECT_FALSE(
        AesGcmOpenWithNonce(TestKey(), ByteView(*sealed).first(length), AsBytes("aad")).ok())
        << length;
  }
}

// ---------------------------------------------------------------------------------------------
// Randomness.

TEST(CryptoRandom, Lengths) {
  for (std::size_t length : {0u, 1u, 12u, 32u, 1000u}) {
    EXPECT_EQ(RandomBytes(length).size(), length);
    EXPECT_EQ(RandomSecret(length).size(), length);
  }
}

TEST(CryptoRandom, TwoDrawsDiffer) {
  // 2^-256 chance of a false failure.
  EXPECT_NE(RandomBytes(32), RandomBytes(32));
  EXPECT_FALSE(RandomSecret(32) == RandomSecret(32));
}

TEST(CryptoRandom, FillRandomWritesTheWholeBuffer) {
  // A buffer of 64 zero bytes stays all-zero with probability 2^-512 only if filled; check
  // that both halves were written (guards against filling only a prefix).
  std::array<std::uint8_t, 64> buffer{};
  FillRandom(buffer);
  const Bytes zeros(32, 0);
  EXPECT_NE(Bytes(buffer.begin(), buffer.begin() + 32), zeros);
  EXPECT_NE(Bytes(buffer.begin() + 32, buffer.end()), zeros);
}

// ---------------------------------------------------------------------------------------------
// Constant-time comparison (bytes.h) and Secret equality.

TEST(CryptoConstantTimeEqual, Behaviour) {
  const Bytes a = ToBytes("0123456789abcdef");
  EXPECT_TRUE(ConstantTimeEqual(a, a));
  EXPECT_TRUE(ConstantTimeEqual(a, Bytes(a)));
  EXPECT_TRUE(ConstantTimeEqual(ByteView{}, ByteView{}));
  Bytes first = a;
  first.front() ^= 1;
  Bytes last = a;
  last.back() ^= 1;
  EXPECT_FALSE(ConstantTimeEqual(a, first));
  EXPECT_FALSE(ConstantTimeEqual(a, last));
  // A prefix is not equal, in either order, and neither is empty vs non-empty.
  EXPECT_FALSE(ConstantTimeEqual(a, ByteView(a).first(a.size() - 1)));
  EXPECT_FALSE(ConstantTimeEqual(ByteView(a).first(a.size() - 1), a));
  EXPECT_FALSE(ConstantTimeEqual(ByteView{}, a));
  EXPECT_FALSE(ConstantTimeEqual(a, ByteView{}));
  EXPECT_TRUE(ConstantTimeEqual(std::string_view("token"), std::string_view("token")));
  EXPECT_FALSE(ConstantTimeEqual(std::string_view("token"), std::string_view("tokem")));
}

TEST(CryptoConstantTimeEqual, SecretEquality) {
  const Secret a(ToBytes("key material"));
  const Secret b(ToBytes("key material"));
  const Secret c(ToBytes("key materiaL"));
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
  EXPECT_FALSE(a == Secret(ToBytes("key")));
}

}  // namespace
}  // namespace ztm::crypto
