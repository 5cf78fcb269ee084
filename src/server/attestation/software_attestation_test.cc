#include "server/attestation/software_attestation.h"

#include <gtest/gtest.h>

#include <boost/json/object.hpp>

#include "core/encoding.h"
#include "core/json.h"
#include "server/testing/gateway_test_support.h"

namespace ztm::server {
namespace {

using testing::kTestNow;
using testing::Must;
using testing::TestDevice;

constexpr const char* kChallenge = "p4H3sPsJ8Wj8b1lR1e9b6uZy3iUuKk7cSGr4b1dJ2Tk";

TEST(SoftwareAttestation, AcceptsTheClaimedKeySigningTheChallenge) {
  auto verifier = SoftwareAttestationVerifier::Create(true);
  EXPECT_EQ(verifier->format(), "software");
  for (crypto::KeyType type : {crypto::KeyType::kEcP256, crypto::KeyType::kEd25519}) {
    TestDevice device(type);
    auto attested =
        verifier->Verify(device.Evidence(kChallenge), kChallenge, device.public_jwk(), kTestNow);
    ASSERT_TRUE(attested.ok()) << attested.error().message;
    EXPECT_EQ(attested->format(), "software");
    EXPECT_EQ(attested->public_key().Thumbprint(), device.jkt());
    EXPECT_FALSE(attested->details().empty());
  }
}

TEST(SoftwareAttestation, RefusedWhenNotAllowed) {
  auto verifier = SoftwareAttestationVerifier::Create(false);
  TestDevice device;
  auto attested =
      verifier->Verify(device.Evidence(kChallenge), kChallenge, device.public_jwk(), kTestNow);
  ASSERT_FALSE(attested.ok());
  EXPECT_EQ(attested.code(), Code::kAttestationFormatDisabled);
  EXPECT_NE(attested.error().message.find("allow_software"), std::string::npos);
}

TEST(SoftwareAttestation, WrongChallengeIsRefused) {
  auto verifier = SoftwareAttestationVerifier::Create(true);
  TestDevice device;
  auto attested = verifier->Verify(device.Evidence("another-challenge"), kChallenge,
                                   device.public_jwk(), kTestNow);
  ASSERT_FALSE(attested.ok());
  EXPECT_EQ(attested.code(), Code::kAttestationInvalid);
}

TEST(SoftwareAttestation, EvidenceByAnotherKeyIsAKeyMismatch) {
  auto verifier = SoftwareAttestationVerifier::Create(true);
  TestDevice device;
  TestDevice other;
  auto attested =
      verifier->Verify(other.Evidence(kChallenge), kChallenge, device.public_jwk(), kTestNow);
  ASSERT_FALSE(attested.ok());
  EXPECT_EQ(attested.code(), Code::kAttestationKeyMismatch);
}

TEST(SoftwareAttestation, AlgorithmFollowsTheKeyNotTheEvidence) {
  auto verifier = SoftwareAttestationVerifier::Create(true);
  TestDevice p256;
  TestDevice ed25519(crypto::KeyType::kEd25519);
  // EdDSA evidence presented for a P-256 key: refused before any signature check.
  auto attested =
      verifier->Verify(ed25519.Evidence(kChallenge), kChallenge, p256.public_jwk(), kTestNow);
  ASSERT_FALSE(attested.ok());
  EXPECT_EQ(attested.code(), Code::kAttestationInvalid);
  // alg none.
  const std::string none = Base64UrlEncode(std::string(R"({"alg":"none"})")) + "." +
                           Base64UrlEncode(std::string(R"({"challenge":")") + kChallenge + "\"}") +
                           ".";
  attested = verifier->Verify(none, kChallenge, p256.public_jwk(), kTestNow);
  ASSERT_FALSE(attested.ok());
  EXPECT_EQ(attested.code(), Code::kAttestationInvalid);
}

TEST(SoftwareAttestation, MalformedEvidenceAndPayloadAreRefused) {
  auto verifier = SoftwareAttestationVerifier::Create(true);
  TestDevice device;
  for (const std::string& evidence : {std::string(""), std::string("x.y.z"), std::string("abc")}) {
    auto attested = verifier->Verify(evidence, kChallenge, device.public_jwk(), kTestNow);
    ASSERT_FALSE(attested.ok());
    EXPECT_EQ(attested.code(), Code::kAttestationInvalid);
  }
  // A well-signed payload without a "challenge" string.
  boost::json::object payload{{"challenge", 42}};
  auto signed_payload =
      Must(jose::SignCompact({}, AsBytes(json::Serialize(payload)),
                             jose::Jwk::FromPrivateKey(device.key()), jose::JwsAlgorithm::kEs256));
  auto attested = verifier->Verify(signed_payload, kChallenge, device.public_jwk(), kTestNow);
  ASSERT_FALSE(attested.ok());
  EXPECT_EQ(attested.code(), Code::kAttestationInvalid);
}

TEST(SoftwareAttestation, PrivateClaimedKeyIsRefused) {
  auto verifier = SoftwareAttestationVerifier::Create(true);
  TestDevice device;
  auto attested = verifier->Verify(device.Evidence(kChallenge), kChallenge,
                                   jose::Jwk::FromPrivateKey(device.key()), kTestNow);
  ASSERT_FALSE(attested.ok());
  EXPECT_EQ(attested.code(), Code::kAttestationInvalid);
}

TEST(AttestationRegistry, FindsByFormatAndRefusesUnknownAndDuplicates) {
  AttestationRegistry registry;
  ASSERT_TRUE(registry.Add(SoftwareAttestationVerifier::Create(true)).ok());
  EXPECT_FALSE(registry.Add(SoftwareAttestationVerifier::Create(true)).ok());
  auto found = registry.Find("software");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ((*found)->format(), "software");
  auto unknown = registry.Find("apple-appattest");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.code(), Code::kAttestationFormatUnsupported);
  EXPECT_NE(unknown.error().message.find("apple-appattest"), std::string::npos);
  // A hostile format name is not echoed.
  auto hostile = registry.Find("<script>\n");
  ASSERT_FALSE(hostile.ok());
  EXPECT_EQ(hostile.error().message.find("<script>"), std::string::npos);
}

}  // namespace
}  // namespace ztm::server
