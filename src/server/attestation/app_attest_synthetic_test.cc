// Tests for the App Attest checks real evidence cannot reach (Apple signs every byte a client
// could change): attestation objects, credCerts and assertions built at test time under a
// test root standing in for Apple's, each with one field wrong.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/crypto/crypto.h"
#include "core/crypto/keys.h"
#include "core/encoding.h"
#include "server/attestation/app_attest.h"

namespace ztm::server {
namespace {

constexpr char kTeamId[] = "ABCDE12345";
constexpr char kBundleId[] = "com.example.app";
constexpr char kChallenge[] = "server-challenge-0123456789";
// Unix times: certificates valid over [kNotBefore, kNotAfter]; verification at kNow.
constexpr std::int64_t kNotBefore = 1700000000;
constexpr std::int64_t kNotAfter = 1800000000;
constexpr std::int64_t kNow = 1750000000;

// CBOR (RFC 8949) encoders for hand-built objects: shortest-form heads.
Bytes Head(std::uint8_t major, std::uint64_t argument) {
  const std::uint8_t type = static_cast<std::uint8_t>(major << 5);
  if (argument < 24) return {static_cast<std::uint8_t>(type | argument)};
  Bytes out;
  int length;
  if (argument <= 0xFF) {
    out.push_back(type | 24);
    length = 1;
  } else if (argument <= 0xFFFF) {
    out.push_back(type | 25);
    length = 2;
  } else {
    out.push_back(type | 26);
    length = 4;
  }
  for (int i = length - 1; i >= 0; --i)
    out.push_back(static_cast<std::uint8_t>(argument >> (8 * i)));
  return out;
}
Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}
Bytes Text(std::string_view text) {
  Bytes out = Head(3, text.size());
  out.insert(out.end(), text.begin(), text.end());
  return out;
}
Bytes ByteString(const Bytes& bytes) { return Cat({Head(2, bytes.size()), bytes}); }

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

KeyPtr NewKey() { return KeyPtr(EVP_EC_gen("P-256"), EVP_PKEY_free); }

void AddConfExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
}

void AddRawExtension(X509* cert, const char* oid_text, const Bytes& der) {
  ASN1_OBJECT* oid = OBJ_txt2obj(oid_text, 1);
  ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(data, der.data(), static_cast<int>(der.size()));
  X509_EXTENSION* extension = X509_EXTENSION_create_by_OBJ(nullptr, oid, 0, data);
  X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
  ASN1_OCTET_STRING_free(data);
  ASN1_OBJECT_free(oid);
}

// A certificate for `key` issued by `issuer` (self-signed when null), valid over
// [kNotBefore, kNotAfter]; `ca` adds CA basic constraints; `extensions` the raw ones.
CertPtr MakeCertificate(EVP_PKEY* key, const char* name, X509* issuer, EVP_PKEY* issuer_key,
                        bool ca, const std::vector<Bytes>& nonce_extensions = {}) {
  static long serial = 1;
  CertPtr cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : subject);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(kNotBefore));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(kNotAfter));
  X509_set_pubkey(cert.get(), key);
  X509* issuer_cert = issuer != nullptr ? issuer : cert.get();
  if (ca) {
    AddConfExtension(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    AddConfExtension(cert.get(), issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  }
  for (const Bytes& der : nonce_extensions) {
    AddRawExtension(cert.get(), "1.2.840.113635.100.8.2", der);
  }
  X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256());
  return cert;
}

Bytes Der(X509* cert) {
  unsigned char* out = nullptr;
  const int length = i2d_X509(cert, &out);
  Bytes der(out, out + length);
  OPENSSL_free(out);
  return der;
}

std::string Pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  return pem;
}

// SEQUENCE { [1] EXPLICIT OCTET STRING nonce }, for 32-byte nonces (short-form lengths).
Bytes NonceExtension(const Bytes& nonce) {
  const Bytes octets = Cat({{0x04, static_cast<std::uint8_t>(nonce.size())}, nonce});
  const Bytes tagged = Cat({{0xA1, static_cast<std::uint8_t>(octets.size())}, octets});
  return Cat({{0x30, static_cast<std::uint8_t>(tagged.size())}, tagged});
}

Bytes CoseKey(const crypto::PublicKey& key, std::uint8_t alg_argument = 0x26 /* -7 */) {
  return Cat({Head(5, 5),
              {0x01, 0x02, 0x03, alg_argument, 0x20, 0x01, 0x21},
              ByteString(key.EcX()),
              {0x22},
              ByteString(key.EcY())});
}

Bytes KeyIdOf(const crypto::PublicKey& key) {
  return crypto::Sha256(Cat({{0x04}, key.EcX(), key.EcY()}));
}

// What one synthetic attestation holds; each test changes one field from the valid default.
struct Spec {
  std::string app_id = std::string(kTeamId) + "." + kBundleId;
  std::uint8_t flags = 0x40;
  std::uint32_t counter = 0;
  Bytes aaguid = {'a', 'p', 'p', 'a', 't', 't', 'e', 's', 't', 0, 0, 0, 0, 0, 0, 0};
  std::optional<Bytes> credential_id;                  // default: the key id
  std::optional<Bytes> cose_key;                       // default: the device key
  std::optional<Bytes> nonce;                          // default: the correct nonce
  std::optional<std::vector<Bytes>> nonce_extensions;  // default: one, with `nonce`
  std::string fmt = "apple-appattest";
  Bytes receipt = {0x30, 0x00};
  bool include_intermediate = true;
  std::function<Bytes(const Bytes& x5c, const Bytes& auth_data)> object;  // default: canonical
};

class AppAttestSyntheticTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_cert_ =
        MakeCertificate(root_key_.get(), "Test App Attestation Root CA", nullptr, nullptr, true);
    intermediate_cert_ = MakeCertificate(intermediate_key_.get(), "Test App Attestation CA 1",
                                         root_cert_.get(), root_key_.get(), true);
    auto device = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256);
    ASSERT_TRUE(device.ok());
    device_ = std::make_unique<crypto::PrivateKey>(std::move(*device));
    auto verifier = AppAttestVerifier::Create(
        {Pem(root_cert_.get()), kTeamId, kBundleId, /*allow_development=*/false});
    ASSERT_TRUE(verifier.ok()) << verifier.error().message;
    verifier_ = std::move(*verifier);
  }

  Bytes AuthData(const Spec& spec) const {
    const crypto::PublicKey& key = device_->public_key();
    const Bytes credential_id = spec.credential_id.value_or(KeyIdOf(key));
    return Cat(
        {crypto::Sha256(spec.app_id),
         {spec.flags, static_cast<std::uint8_t>(spec.counter >> 24),
          static_cast<std::uint8_t>(spec.counter >> 16),
          static_cast<std::uint8_t>(spec.counter >> 8), static_cast<std::uint8_t>(spec.counter)},
         spec.aaguid,
         {static_cast<std::uint8_t>(credential_id.size() >> 8),
          static_cast<std::uint8_t>(credential_id.size())},
         credential_id,
         spec.cose_key.value_or(CoseKey(key))});
  }

  // The base64 attestation object for `spec`.
  std::string Evidence(const Spec& spec) const {
    const Bytes auth_data = AuthData(spec);
    const Bytes nonce = spec.nonce.value_or(
        crypto::Sha256(Cat({auth_data, crypto::Sha256(std::string_view(kChallenge))})));
    CertPtr leaf =
        MakeCertificate(device_->public_key().get0_evp(), "credCert", intermediate_cert_.get(),
                        intermediate_key_.get(), false,
                        spec.nonce_extensions.value_or(std::vector<Bytes>{NonceExtension(nonce)}));
    const Bytes x5c = spec.include_intermediate ? Cat({Head(4, 2), ByteString(Der(leaf.get())),
                                                       ByteString(Der(intermediate_cert_.get()))})
                                                : Cat({Head(4, 1), ByteString(Der(leaf.get()))});
    const Bytes object =
        spec.object ? spec.object(x5c, auth_data)
                    : Cat({Head(5, 3), Text("fmt"), Text(spec.fmt), Text("attStmt"), Head(5, 2),
                           Text("x5c"), x5c, Text("receipt"), ByteString(spec.receipt),
                           Text("authData"), ByteString(auth_data)});
    return Base64Encode(object);
  }

  jose::Jwk DeviceJwk() const { return jose::Jwk::FromPublicKey(device_->public_key()); }

  Result<AttestedDevice> Verify(const Spec& spec) const {
    return verifier_->Verify(Evidence(spec), kChallenge, DeviceJwk(), kNow);
  }

  void ExpectRejected(const Spec& spec, std::string_view reason) const {
    auto result = Verify(spec);
    ASSERT_FALSE(result.ok()) << reason;
    EXPECT_EQ(result.code(), Code::kAttestationInvalid);
    EXPECT_NE(result.error().message.find(reason), std::string::npos) << result.error().message;
  }

  // An assertion {"signature", "authenticatorData"} by the device key over `client_data`.
  Bytes Assertion(std::uint32_t counter, std::string_view client_data, std::string_view app_id = "",
                  std::uint8_t extra_byte_count = 0) const {
    const std::string id =
        app_id.empty() ? std::string(kTeamId) + "." + kBundleId : std::string(app_id);
    Bytes authenticator_data = Cat(
        {crypto::Sha256(id),
         {0x00, static_cast<std::uint8_t>(counter >> 24), static_cast<std::uint8_t>(counter >> 16),
          static_cast<std::uint8_t>(counter >> 8), static_cast<std::uint8_t>(counter)}});
    authenticator_data.resize(authenticator_data.size() + extra_byte_count, 0);
    const Bytes nonce = crypto::Sha256(Cat({authenticator_data, crypto::Sha256(client_data)}));
    auto signature = device_->Sign(crypto::SignatureAlgorithm::kEcdsaP256Sha256Der, nonce);
    EXPECT_TRUE(signature.ok());
    return Cat({Head(5, 2), Text("signature"), ByteString(*signature), Text("authenticatorData"),
                ByteString(authenticator_data)});
  }

  KeyPtr root_key_ = NewKey();
  KeyPtr intermediate_key_ = NewKey();
  CertPtr root_cert_{nullptr, X509_free};
  CertPtr intermediate_cert_{nullptr, X509_free};
  std::unique_ptr<crypto::PrivateKey> device_;
  std::unique_ptr<AppAttestVerifier> verifier_;
};

TEST_F(AppAttestSyntheticTest, AcceptsAWellFormedAttestation) {
  auto device = Verify(Spec{});
  ASSERT_TRUE(device.ok()) << device.error().message;
  EXPECT_EQ(device->public_key().public_key()->ToSpkiDer(), device_->public_key().ToSpkiDer());
  EXPECT_NE(device->details().find("production"), std::string::npos);
}

TEST_F(AppAttestSyntheticTest, RejectsANonZeroCounter) {
  Spec spec;
  spec.counter = 1;
  ExpectRejected(spec, "counter is not 0");
}

TEST_F(AppAttestSyntheticTest, RejectsAnotherAaguid) {
  Spec spec;
  spec.aaguid = {'a', 'p', 'p', 'a', 't', 't', 'e', 's', 't', 0, 0, 0, 0, 0, 0, 1};
  ExpectRejected(spec, "AAGUID");
  spec.aaguid = {'a', 'p', 'p', 'a', 't', 't', 'e', 's', 't', 'd', 'e', 'v', 'e', 'l', 'o', 'p'};
  ExpectRejected(spec, "production keys only");
}

TEST_F(AppAttestSyntheticTest, RejectsACredentialIdOtherThanTheKeyId) {
  Spec spec;
  spec.credential_id = crypto::Sha256(std::string_view("another key"));
  ExpectRejected(spec, "credential id is not credCert's key id");
  spec.credential_id = Bytes(16, 0x01);
  ExpectRejected(spec, "32-byte key id");
}

TEST_F(AppAttestSyntheticTest, RejectsACoseKeyOtherThanCredCertsKey) {
  auto other = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(other.ok());
  Spec spec;
  spec.cose_key = CoseKey(other->public_key());
  ExpectRejected(spec, "differs from credCert's key");
  spec.cose_key = CoseKey(device_->public_key(), /*alg -8=*/0x27);
  ExpectRejected(spec, "not an ES256 P-256 COSE key");
  spec.cose_key = Cat({CoseKey(device_->public_key()), {0x00}});
  ExpectRejected(spec, "trailing bytes");
}

TEST_F(AppAttestSyntheticTest, RejectsFlagsWithoutAttestedDataOrWithExtensions) {
  Spec spec;
  spec.flags = 0x00;
  ExpectRejected(spec, "flags");
  spec.flags = 0xC0;
  ExpectRejected(spec, "flags");
}

TEST_F(AppAttestSyntheticTest, RejectsAnotherAppId) {
  Spec spec;
  spec.app_id = std::string(kTeamId) + ".com.example.other";
  ExpectRejected(spec, "another App ID");
}

TEST_F(AppAttestSyntheticTest, RejectsAWrongOrMalformedNonceExtension) {
  Spec spec;
  spec.nonce = crypto::Sha256(std::string_view("another nonce"));
  ExpectRejected(spec, "nonce does not match");

  spec = Spec{};
  spec.nonce_extensions = std::vector<Bytes>{};
  ExpectRejected(spec, "no nonce extension");

  const Bytes nonce = crypto::Sha256(std::string_view("any"));
  spec.nonce_extensions = std::vector<Bytes>{NonceExtension(nonce), NonceExtension(nonce)};
  ExpectRejected(spec, "more than one nonce extension");
  // The OCTET STRING without its SEQUENCE and [1] wrapper.
  spec.nonce_extensions = std::vector<Bytes>{Cat({{0x04, 0x20}, nonce})};
  ExpectRejected(spec, "not DER");
  // [0] instead of [1].
  Bytes wrong_tag = NonceExtension(nonce);
  wrong_tag[2] = 0xA0;
  spec.nonce_extensions = std::vector<Bytes>{wrong_tag};
  ExpectRejected(spec, "not DER");
  // Trailing bytes inside the extension value.
  spec.nonce_extensions = std::vector<Bytes>{Cat({NonceExtension(nonce), {0x00}})};
  ExpectRejected(spec, "trailing bytes");
  // A 31-byte nonce.
  spec.nonce_extensions = std::vector<Bytes>{NonceExtension(Bytes(31, 0x01))};
  ExpectRejected(spec, "32-byte nonce");
}

TEST_F(AppAttestSyntheticTest, RejectsAnotherFormatOrStructure) {
  Spec spec;
  spec.fmt = "packed";
  ExpectRejected(spec, "fmt");
  spec = Spec{};
  spec.receipt = {};
  ExpectRejected(spec, "receipt is empty");
  spec = Spec{};
  spec.include_intermediate = false;
  ExpectRejected(spec, "x5c");
  // An extra top-level member.
  spec.include_intermediate = true;
  spec.object = [](const Bytes& x5c, const Bytes& auth_data) {
    return Cat({Head(5, 4), Text("fmt"), Text("apple-appattest"), Text("attStmt"), Head(5, 2),
                Text("x5c"), x5c, Text("receipt"), ByteString({0x30, 0x00}), Text("authData"),
                ByteString(auth_data), Text("extra"), Head(0, 1)});
  };
  ExpectRejected(spec, "not a map of fmt, attStmt and authData");
  // authData as text.
  spec.object = [](const Bytes& x5c, const Bytes&) {
    return Cat({Head(5, 3), Text("fmt"), Text("apple-appattest"), Text("attStmt"), Head(5, 2),
                Text("x5c"), x5c, Text("receipt"), ByteString({0x30, 0x00}), Text("authData"),
                Text("authData")});
  };
  ExpectRejected(spec, "\"authData\" is missing or not a byte string");
}

TEST_F(AppAttestSyntheticTest, RejectsADecoyDuplicateAuthData) {
  // A lenient parser keeps one of two authData members: here the decoy comes second.
  Spec spec;
  spec.object = [](const Bytes& x5c, const Bytes& auth_data) {
    Bytes decoy = auth_data;
    decoy[32] ^= 0x01;
    return Cat({Head(5, 4), Text("fmt"), Text("apple-appattest"), Text("attStmt"), Head(5, 2),
                Text("x5c"), x5c, Text("receipt"), ByteString({0x30, 0x00}), Text("authData"),
                ByteString(auth_data), Text("authData"), ByteString(decoy)});
  };
  ExpectRejected(spec, "duplicate map key");
}

TEST_F(AppAttestSyntheticTest, RejectsIndefiniteLengthAuthData) {
  Spec spec;
  spec.object = [](const Bytes& x5c, const Bytes& auth_data) {
    return Cat({Head(5, 3),
                Text("fmt"),
                Text("apple-appattest"),
                Text("attStmt"),
                Head(5, 2),
                Text("x5c"),
                x5c,
                Text("receipt"),
                ByteString({0x30, 0x00}),
                Text("authData"),
                {0x5F},
                ByteString(auth_data),
                {0xFF}});
  };
  ExpectRejected(spec, "indefinite-length");
}

TEST_F(AppAttestSyntheticTest, RejectsTooManyCertificates) {
  Spec spec;
  spec.object = [](const Bytes& x5c, const Bytes& auth_data) {
    // Five copies of the chain's first entry: over kMaxChainCertificates.
    Bytes entries = Head(4, 5);
    const Bytes first(x5c.begin() + 1, x5c.end());
    for (int i = 0; i < 5; ++i) entries = Cat({entries, first});
    return Cat({Head(5, 3), Text("fmt"), Text("apple-appattest"), Text("attStmt"), Head(5, 2),
                Text("x5c"), entries, Text("receipt"), ByteString({0x30, 0x00}), Text("authData"),
                ByteString(auth_data)});
  };
  ExpectRejected(spec, "too many items");
}

TEST_F(AppAttestSyntheticTest, RejectsAChainToAnotherRootOrOutsideItsValidity) {
  KeyPtr other_root_key = NewKey();
  CertPtr other_root = MakeCertificate(other_root_key.get(), "Other Root", nullptr, nullptr, true);
  auto other_verifier =
      AppAttestVerifier::Create({Pem(other_root.get()), kTeamId, kBundleId, false});
  ASSERT_TRUE(other_verifier.ok());
  EXPECT_EQ((*other_verifier)->Verify(Evidence(Spec{}), kChallenge, DeviceJwk(), kNow).code(),
            Code::kAttestationInvalid);
  const std::string evidence = Evidence(Spec{});
  // OpenSSL treats notAfter itself as expired (X509_cmp_time).
  EXPECT_TRUE(verifier_->Verify(evidence, kChallenge, DeviceJwk(), kNotAfter - 1).ok());
  EXPECT_FALSE(verifier_->Verify(evidence, kChallenge, DeviceJwk(), kNotAfter).ok());
  EXPECT_TRUE(verifier_->Verify(evidence, kChallenge, DeviceJwk(), kNotBefore).ok());
  EXPECT_FALSE(verifier_->Verify(evidence, kChallenge, DeviceJwk(), kNotBefore - 1).ok());
}

TEST_F(AppAttestSyntheticTest, RejectsOversizedEvidence) {
  const std::string huge((kMaxAppAttestObjectBytes + 3) / 3 * 4 + 4, 'A');
  auto result = verifier_->Verify(huge, kChallenge, DeviceJwk(), kNow);
  EXPECT_EQ(result.code(), Code::kAttestationInvalid);
  EXPECT_NE(result.error().message.find("larger than allowed"), std::string::npos);
}

TEST_F(AppAttestSyntheticTest, AssertionCounterMustIncrease) {
  const Bytes assertion = Assertion(5, "request body");
  auto verified = verifier_->VerifyAssertion(assertion, AsBytes("request body"), DeviceJwk(), 4);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->counter(), 5u);
  EXPECT_EQ(verifier_->VerifyAssertion(assertion, AsBytes("request body"), DeviceJwk(), 5).code(),
            Code::kAttestationCounterNotIncreasing);
  EXPECT_EQ(verifier_->VerifyAssertion(assertion, AsBytes("request body"), DeviceJwk(), 6).code(),
            Code::kAttestationCounterNotIncreasing);
}

TEST_F(AppAttestSyntheticTest, RejectsMalformedAssertions) {
  const ByteView data = AsBytes("request body");
  // Another App ID, correctly signed.
  auto result = verifier_->VerifyAssertion(
      Assertion(1, "request body", "ABCDE12345.com.example.other"), data, DeviceJwk(), 0);
  EXPECT_EQ(result.code(), Code::kAttestationInvalid);
  EXPECT_NE(result.error().message.find("App ID"), std::string::npos);
  // authenticatorData with extra bytes, correctly signed.
  result = verifier_->VerifyAssertion(Assertion(1, "request body", "", 1), data, DeviceJwk(), 0);
  EXPECT_NE(result.error().message.find("37 bytes"), std::string::npos);
  // A duplicate member (in a map of the right size) and an extra member.
  const Bytes good = Assertion(1, "request body");
  const Bytes duplicate = Cat({Head(5, 2), Text("signature"), ByteString({0x30, 0x00}),
                               Text("signature"), ByteString({0x30, 0x00})});
  result = verifier_->VerifyAssertion(duplicate, data, DeviceJwk(), 0);
  EXPECT_NE(result.error().message.find("duplicate map key"), std::string::npos);
  Bytes extra = good;
  extra[0] = 0xA3;
  extra = Cat({extra, Text("extra"), Head(0, 1)});
  result = verifier_->VerifyAssertion(extra, data, DeviceJwk(), 0);
  EXPECT_NE(result.error().message.find("too many items"), std::string::npos);
  const Bytes missing = Cat({Head(5, 2), Text("signature"), ByteString({0x30, 0x00}),
                             Text("authData"), ByteString(Bytes(37, 0))});
  result = verifier_->VerifyAssertion(missing, data, DeviceJwk(), 0);
  EXPECT_NE(result.error().message.find("\"authenticatorData\" is missing"), std::string::npos);
  // A raw (P1363) signature instead of DER.
  Bytes authenticator_data =
      Cat({crypto::Sha256(std::string(kTeamId) + "." + kBundleId), {0x00, 0x00, 0x00, 0x00, 0x01}});
  const Bytes nonce = crypto::Sha256(Cat({authenticator_data, crypto::Sha256(data)}));
  auto raw = device_->Sign(crypto::SignatureAlgorithm::kEcdsaP256Sha256Raw, nonce);
  ASSERT_TRUE(raw.ok());
  const Bytes raw_assertion = Cat({Head(5, 2), Text("signature"), ByteString(*raw),
                                   Text("authenticatorData"), ByteString(authenticator_data)});
  EXPECT_EQ(verifier_->VerifyAssertion(raw_assertion, data, DeviceJwk(), 0).code(),
            Code::kAttestationInvalid);
  // A stored key that is not P-256.
  auto ed25519 = crypto::PrivateKey::Generate(crypto::KeyType::kEd25519);
  ASSERT_TRUE(ed25519.ok());
  EXPECT_EQ(
      verifier_->VerifyAssertion(good, data, jose::Jwk::FromPublicKey(ed25519->public_key()), 0)
          .code(),
      Code::kInvalidArgument);
}

}  // namespace
}  // namespace ztm::server
