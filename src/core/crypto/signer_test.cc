// crypto::Signer and the protocol code that signs through it: DPoP proofs and RFC 9421
// signatures made with a Signer verify like those made with a PrivateKey, a signer of the
// wrong kind is refused, and a signer's failure or malformed output never becomes a request.
#include <gtest/gtest.h>

#include <memory>

#include "core/clock.h"
#include "core/crypto/keys.h"
#include "core/dpop/dpop.h"
#include "core/httpsig/message_signature.h"
#include "core/httpsig/signature_base.h"
#include "core/jose/jwk.h"

namespace ztm::crypto {
namespace {

constexpr std::int64_t kNow = 1'760'000'000;

// A signer standing in for a platform keystore: signs with `key`, or fails / misbehaves.
class FakeSigner final : public Signer {
 public:
  enum class Mode { kSign, kFail, kWrongLength };
  FakeSigner(PrivateKey key, SignatureAlgorithm algorithm, Mode mode)
      : key_(std::move(key)), algorithm_(algorithm), mode_(mode) {}
  SignatureAlgorithm algorithm() const override { return algorithm_; }
  const PublicKey& public_key() const override { return key_.public_key(); }

 private:
  Result<Bytes> SignMessage(ByteView message) const override {
    if (mode_ == Mode::kFail) return Error{Code::kUserPresenceRequired, "no user"};
    ZTM_ASSIGN_OR_RETURN(Bytes signature, key_.Sign(algorithm_, message));
    if (mode_ == Mode::kWrongLength) signature.push_back(0);
    return signature;
  }
  PrivateKey key_;
  SignatureAlgorithm algorithm_;
  Mode mode_;
};

PrivateKey NewKey(KeyType type) { return std::move(PrivateKey::Generate(type)).value(); }

TEST(SignerTest, PrivateKeySignerChecksTheAlgorithm) {
  const PrivateKey p256 = NewKey(KeyType::kEcP256);
  EXPECT_EQ(PrivateKeySigner::Create(p256, SignatureAlgorithm::kEd25519).code(),
            Code::kCryptoKeyTypeMismatch);
  auto signer = PrivateKeySigner::Create(p256, SignatureAlgorithm::kEcdsaP256Sha256Raw);
  ASSERT_TRUE(signer.ok());
  auto signature = signer->Sign(AsBytes("hello"));
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(signature->size(), 64u);
  EXPECT_TRUE(p256.public_key()
                  .Verify(SignatureAlgorithm::kEcdsaP256Sha256Raw, AsBytes("hello"), *signature)
                  .ok());
  EXPECT_EQ(RawSignatureAlgorithmFor(KeyType::kEd25519), SignatureAlgorithm::kEd25519);
  EXPECT_EQ(RawSignatureAlgorithmFor(KeyType::kEcP256), SignatureAlgorithm::kEcdsaP256Sha256Raw);
}

TEST(SignerTest, WrongLengthSignatureIsRefused) {
  const FakeSigner bad(NewKey(KeyType::kEcP256), SignatureAlgorithm::kEcdsaP256Sha256Raw,
                       FakeSigner::Mode::kWrongLength);
  EXPECT_EQ(bad.Sign(AsBytes("m")).code(), Code::kInternal);
  // DER has no fixed length; its consumers parse it.
  const FakeSigner der(NewKey(KeyType::kEcP256), SignatureAlgorithm::kEcdsaP256Sha256Der,
                       FakeSigner::Mode::kSign);
  EXPECT_TRUE(der.Sign(AsBytes("m")).ok());
}

dpop::ProofInput Input() {
  dpop::ProofInput input;
  input.htm = "POST";
  input.htu = "https://api.example.com/v1/orders?x=1";
  input.iat = kNow;
  input.access_token = "token-123";
  input.nonce = "srv";
  return input;
}

TEST(SignerTest, DpopProofFromASignerVerifies) {
  for (KeyType type : {KeyType::kEcP256, KeyType::kEd25519}) {
    const PrivateKey key = NewKey(type);
    const FakeSigner signer(key, RawSignatureAlgorithmFor(type), FakeSigner::Mode::kSign);
    auto proof = dpop::CreateProof(signer, Input());
    ASSERT_TRUE(proof.ok()) << proof.error().message;
    auto verifier = dpop::DpopVerifier::Create({});
    const std::string jkt = jose::Jwk::FromPublicKey(key.public_key()).Thumbprint();
    dpop::DpopRequestContext context;
    context.access_token = "token-123";
    context.expected_jkt = jkt;
    context.expected_nonce = "srv";
    auto verified = verifier->Verify(*proof, "POST", "https://api.example.com/v1/orders", context,
                                     FixedClock(kNow));
    EXPECT_TRUE(verified.ok()) << verified.error().message;
  }
}

TEST(SignerTest, DpopRefusesDerSignersAndPassesSignerErrorsOn) {
  const FakeSigner der(NewKey(KeyType::kEcP256), SignatureAlgorithm::kEcdsaP256Sha256Der,
                       FakeSigner::Mode::kSign);
  EXPECT_EQ(dpop::CreateProof(der, Input()).code(), Code::kCryptoUnsupportedAlgorithm);
  const FakeSigner failing(NewKey(KeyType::kEcP256), SignatureAlgorithm::kEcdsaP256Sha256Raw,
                           FakeSigner::Mode::kFail);
  EXPECT_EQ(dpop::CreateProof(failing, Input()).code(), Code::kUserPresenceRequired);
  const FakeSigner bad(NewKey(KeyType::kEcP256), SignatureAlgorithm::kEcdsaP256Sha256Raw,
                       FakeSigner::Mode::kWrongLength);
  EXPECT_EQ(dpop::CreateProof(bad, Input()).code(), Code::kInternal);
}

httpsig::HttpRequest Message() {
  httpsig::HttpRequest message;
  message.method = "POST";
  message.target = "/v1/orders";
  message.authority = "api.example.com";
  EXPECT_TRUE(message.fields.Add("authorization", "DPoP abc").ok());
  return message;
}

httpsig::SignatureParameters Params() {
  httpsig::SignatureParameters params;
  params.components = {httpsig::Component("@method"), httpsig::Component("@target-uri"),
                       httpsig::Component("authorization")};
  params.created = kNow;
  params.nonce = "n1";
  params.keyid = "dev";
  return params;
}

TEST(SignerTest, HttpSignatureFromASignerVerifies) {
  const PrivateKey key = NewKey(KeyType::kEcP256);
  auto signer = httpsig::HttpSigner::Create(
      httpsig::HttpSigAlgorithm::kEcdsaP256Sha256,
      std::make_shared<FakeSigner>(key, SignatureAlgorithm::kEcdsaP256Sha256Raw,
                                   FakeSigner::Mode::kSign));
  ASSERT_TRUE(signer.ok()) << signer.error().message;
  httpsig::HttpRequest message = Message();
  auto fields = signer->Sign(message, "sig1", Params());
  ASSERT_TRUE(fields.ok()) << fields.error().message;
  ASSERT_TRUE(message.fields.Add("signature-input", fields->signature_input).ok());
  ASSERT_TRUE(message.fields.Add("signature", fields->signature).ok());
  const FixedClock clock(kNow);
  httpsig::HttpSigVerifierOptions options;
  options.required_components = Params().components;
  options.clock = &clock;
  auto verifier = httpsig::HttpSigVerifier::Create(httpsig::HttpSigAlgorithm::kEcdsaP256Sha256,
                                                   key.public_key(), options);
  ASSERT_TRUE(verifier.ok());
  EXPECT_TRUE(verifier->Verify(message).ok());
}

TEST(SignerTest, HttpSignerRefusesSignersThatDoNotFit) {
  using httpsig::HttpSigAlgorithm;
  using httpsig::HttpSigner;
  EXPECT_EQ(HttpSigner::Create(HttpSigAlgorithm::kEcdsaP256Sha256, std::shared_ptr<const Signer>())
                .code(),
            Code::kInvalidArgument);
  auto der = std::make_shared<FakeSigner>(
      NewKey(KeyType::kEcP256), SignatureAlgorithm::kEcdsaP256Sha256Der, FakeSigner::Mode::kSign);
  EXPECT_EQ(HttpSigner::Create(HttpSigAlgorithm::kEcdsaP256Sha256, der).code(),
            Code::kCryptoKeyTypeMismatch);
  auto ed = std::make_shared<FakeSigner>(NewKey(KeyType::kEd25519), SignatureAlgorithm::kEd25519,
                                         FakeSigner::Mode::kSign);
  EXPECT_EQ(HttpSigner::Create(HttpSigAlgorithm::kEcdsaP256Sha256, ed).code(),
            Code::kCryptoKeyTypeMismatch);
  EXPECT_EQ(HttpSigner::Create(HttpSigAlgorithm::kHmacSha256, ed).code(), Code::kInvalidArgument);
  EXPECT_TRUE(HttpSigner::Create(HttpSigAlgorithm::kEd25519, ed).ok());
}

TEST(SignerTest, HttpSignerPassesSignerFailuresOn) {
  for (auto mode : {FakeSigner::Mode::kFail, FakeSigner::Mode::kWrongLength}) {
    auto signer = httpsig::HttpSigner::Create(
        httpsig::HttpSigAlgorithm::kEcdsaP256Sha256,
        std::make_shared<FakeSigner>(NewKey(KeyType::kEcP256),
                                     SignatureAlgorithm::kEcdsaP256Sha256Raw, mode));
    ASSERT_TRUE(signer.ok());
    EXPECT_FALSE(signer->Sign(Message(), "sig1", Params()).ok());
  }
}

}  // namespace
}  // namespace ztm::crypto
