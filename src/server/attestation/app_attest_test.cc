// Tests for Apple App Attest verification with the real device-generated attestations and
// assertions of testdata/app-attest/cases.json (see its SOURCES.md), each verified at the time
// the collector gives and rejected after any tampering, with another app, challenge, time or root.
#include "server/attestation/app_attest.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <ctime>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "core/crypto/keys.h"
#include "core/encoding.h"
#include "core/json.h"
#include "server/attestation/strict_cbor.h"
#include "testdata.h"

namespace ztm::server {
namespace {

// cases.json is 117 KB; the project's JSON parser bound is for protocol messages.
constexpr std::size_t kMaxCasesFileBytes = 1024 * 1024;

struct Case {
  std::string id;
  std::string kind;
  std::string team_id;
  std::string bundle_id;
  std::string environment;  // attestations only
  Bytes evidence;           // attestation object or assertion, decoded
  std::string evidence_b64;
  Bytes client_data;
  std::string public_key_pem;
  std::int64_t verify_at = 0;       // attestations only
  std::int64_t leaf_not_after = 0;  // attestations only
  std::uint32_t counter = 0;        // assertions only
};

std::ostream& operator<<(std::ostream& out, const Case& c) { return out << c.id; }

std::int64_t ParseUtc(const std::string& text) {
  std::tm time{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &time);
  if (end == nullptr || *end != '\0') {
    ADD_FAILURE() << "bad time " << text;
    return 0;
  }
  return timegm(&time);
}

std::string StringField(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

Bytes Base64Field(const boost::json::object& object, std::string_view key) {
  auto decoded = Base64Decode(StringField(object, key));
  return decoded.ok() ? *decoded : Bytes();
}

std::vector<Case> LoadCases(std::string_view kind) {
  auto parsed =
      json::ParseObject(testing::ReadTestdata("app-attest/cases.json"), kMaxCasesFileBytes);
  if (!parsed.ok() || !parsed->contains("cases") || !(*parsed)["cases"].is_array()) return {};
  std::vector<Case> cases;
  for (const boost::json::value& entry : (*parsed)["cases"].as_array()) {
    if (!entry.is_object()) continue;
    const boost::json::object& object = entry.as_object();
    if (StringField(object, "kind") != kind) continue;
    Case c;
    c.id = StringField(object, "id");
    std::replace(c.id.begin(), c.id.end(), '-', '_');
    std::replace(c.id.begin(), c.id.end(), '.', '_');
    c.kind = StringField(object, "kind");
    c.team_id = StringField(object, "team_id");
    c.bundle_id = StringField(object, "bundle_id");
    c.client_data = Base64Field(object, "client_data_b64");
    if (kind == "attestation") {
      c.environment = StringField(object, "environment");
      c.evidence_b64 = StringField(object, "attestation_b64");
      c.public_key_pem = StringField(object, "credential_public_key_pem");
      c.verify_at = ParseUtc(StringField(object, "verify_at"));
      c.leaf_not_after = ParseUtc(StringField(object, "leaf_not_after"));
    } else {
      c.evidence_b64 = StringField(object, "assertion_b64");
      c.public_key_pem = StringField(object, "public_key_pem");
      const boost::json::value* counter = object.if_contains("counter");
      if (counter != nullptr && counter->is_int64()) {
        c.counter = static_cast<std::uint32_t>(counter->as_int64());
      }
    }
    auto evidence = Base64Decode(c.evidence_b64);
    if (evidence.ok()) c.evidence = *evidence;
    cases.push_back(std::move(c));
  }
  return cases;
}

std::string RootPem() {
  return testing::ReadTestdata("app-attest/roots/Apple_App_Attestation_Root_CA.pem");
}

// Another real Apple root (the App Attest receipts' anchor), DER in the source: as PEM.
std::string OtherAppleRootPem() {
  const std::string der = testing::ReadTestdata("app-attest/roots/AppleRootCA-G3.cer");
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  X509* certificate = d2i_X509(nullptr, &cursor, static_cast<long>(der.size()));
  if (certificate == nullptr) return {};
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, certificate);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  X509_free(certificate);
  return pem;
}

std::unique_ptr<AppAttestVerifier> MakeVerifier(const Case& c, bool allow_development = true,
                                                std::string root_pem = RootPem()) {
  auto verifier =
      AppAttestVerifier::Create({std::move(root_pem), c.team_id, c.bundle_id, allow_development});
  EXPECT_TRUE(verifier.ok()) << verifier.error().message;
  return verifier.ok() ? std::move(*verifier) : nullptr;
}

jose::Jwk KeyOf(const Case& c) {
  auto key = crypto::PublicKey::FromPem(c.public_key_pem);
  EXPECT_TRUE(key.ok()) << c.id;
  return jose::Jwk::FromPublicKey(*key);
}

std::string_view ChallengeOf(const Case& c) { return AsString(c.client_data); }

TEST(AppAttestCasesTest, LoadsEveryRealCase) {
  // SOURCES.md: 11 attestations and 10 assertions; a missing or unreadable file must fail here.
  EXPECT_EQ(LoadCases("attestation").size(), 11u);
  EXPECT_EQ(LoadCases("assertion").size(), 10u);
  for (const Case& c : LoadCases("attestation")) {
    EXPECT_FALSE(c.evidence.empty()) << c.id;
    EXPECT_GT(c.verify_at, 0) << c.id;
  }
}

class AppAttestAttestationTest : public ::testing::TestWithParam<Case> {};

TEST_P(AppAttestAttestationTest, VerifiesAtTheGivenTime) {
  const Case& c = GetParam();
  auto verifier = MakeVerifier(c);
  ASSERT_NE(verifier, nullptr);
  auto device = verifier->Verify(c.evidence_b64, ChallengeOf(c), KeyOf(c), c.verify_at);
  ASSERT_TRUE(device.ok()) << device.error().message;
  EXPECT_EQ(device->format(), "apple-appattest");
  EXPECT_EQ(device->public_key().public_key()->ToSpkiDer(), KeyOf(c).public_key()->ToSpkiDer());
  EXPECT_NE(device->details().find(c.team_id + "." + c.bundle_id), std::string::npos);
  EXPECT_NE(device->details().find(c.environment), std::string::npos) << device->details();
}

TEST_P(AppAttestAttestationTest, RejectsOtherAppOrChallenge) {
  const Case& c = GetParam();
  Case other_team = c;
  other_team.team_id = "ABCDE12345";
  auto verifier = MakeVerifier(other_team);
  ASSERT_NE(verifier, nullptr);
  EXPECT_EQ(verifier->Verify(c.evidence_b64, ChallengeOf(c), KeyOf(c), c.verify_at).code(),
            Code::kAttestationInvalid);

  Case other_bundle = c;
  other_bundle.bundle_id += "x";
  verifier = MakeVerifier(other_bundle);
  ASSERT_NE(verifier, nullptr);
  EXPECT_EQ(verifier->Verify(c.evidence_b64, ChallengeOf(c), KeyOf(c), c.verify_at).code(),
            Code::kAttestationInvalid);

  verifier = MakeVerifier(c);
  ASSERT_NE(verifier, nullptr);
  const std::string other_challenge = std::string(ChallengeOf(c)) + "x";
  auto result = verifier->Verify(c.evidence_b64, other_challenge, KeyOf(c), c.verify_at);
  EXPECT_EQ(result.code(), Code::kAttestationInvalid);
  EXPECT_NE(result.error().message.find("nonce"), std::string::npos) << result.error().message;
  EXPECT_EQ(verifier->Verify(c.evidence_b64, "", KeyOf(c), c.verify_at).code(),
            Code::kAttestationInvalid);
}

TEST_P(AppAttestAttestationTest, RejectsExpiredLeafAndEarlyTime) {
  const Case& c = GetParam();
  auto verifier = MakeVerifier(c);
  ASSERT_NE(verifier, nullptr);
  // SOURCES.md: "verify at leaf_not_after or later: reject".
  auto expired = verifier->Verify(c.evidence_b64, ChallengeOf(c), KeyOf(c), c.leaf_not_after);
  EXPECT_EQ(expired.code(), Code::kAttestationInvalid);
  EXPECT_NE(expired.error().message.find("expired"), std::string::npos) << expired.error().message;
  // Today (every credCert in the data has expired).
  EXPECT_FALSE(verifier->Verify(c.evidence_b64, ChallengeOf(c), KeyOf(c), std::time(nullptr)).ok());
  // Before Apple's intermediate existed (2020-03-18).
  EXPECT_FALSE(verifier->Verify(c.evidence_b64, ChallengeOf(c), KeyOf(c), 1577836800).ok());
}

TEST_P(AppAttestAttestationTest, RejectsAnotherRoot) {
  const Case& c = GetParam();
  const std::string other_root = OtherAppleRootPem();
  ASSERT_FALSE(other_root.empty());
  auto verifier = MakeVerifier(c, true, other_root);
  ASSERT_NE(verifier, nullptr);
  auto result = verifier->Verify(c.evidence_b64, ChallengeOf(c), KeyOf(c), c.verify_at);
  EXPECT_EQ(result.code(), Code::kAttestationInvalid);
  EXPECT_NE(result.error().message.find("certificate chain"), std::string::npos);
}

TEST_P(AppAttestAttestationTest, EnforcesTheEnvironmentPolicy) {
  const Case& c = GetParam();
  auto production_only = MakeVerifier(c, /*allow_development=*/false);
  ASSERT_NE(production_only, nullptr);
  auto result = production_only->Verify(c.evidence_b64, ChallengeOf(c), KeyOf(c), c.verify_at);
  if (c.environment == "production") {
    EXPECT_TRUE(result.ok()) << result.error().message;
  } else {
    ASSERT_EQ(result.code(), Code::kAttestationInvalid);
    EXPECT_NE(result.error().message.find("production keys only"), std::string::npos);
  }
}

TEST_P(AppAttestAttestationTest, RejectsAnotherClaimedKey) {
  const Case& c = GetParam();
  auto verifier = MakeVerifier(c);
  ASSERT_NE(verifier, nullptr);
  auto other = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(other.ok());
  const jose::Jwk other_key = jose::Jwk::FromPublicKey(other->public_key());
  EXPECT_EQ(verifier->Verify(c.evidence_b64, ChallengeOf(c), other_key, c.verify_at).code(),
            Code::kAttestationKeyMismatch);
  // A private key is never a device key claim.
  EXPECT_EQ(
      verifier
          ->Verify(c.evidence_b64, ChallengeOf(c), jose::Jwk::FromPrivateKey(*other), c.verify_at)
          .code(),
      Code::kAttestationInvalid);
}

// Offsets in the attestation object of the byte strings the single-byte changes target.
struct Layout {
  std::size_t auth_data = 0, auth_data_size = 0;
  std::size_t leaf = 0, leaf_size = 0;
  std::size_t intermediate = 0, intermediate_size = 0;
};

std::size_t OffsetOf(const Bytes& haystack, const Bytes& needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end());
  return static_cast<std::size_t>(it - haystack.begin());
}

Layout LayoutOf(const Bytes& object) {
  Layout layout;
  auto decoded = cbor::DecodeStrict(object);
  if (!decoded.ok()) return layout;
  const Bytes& auth_data = decoded->Find("authData")->bytes();
  const auto& x5c = decoded->Find("attStmt")->Find("x5c")->items();
  layout.auth_data = OffsetOf(object, auth_data);
  layout.auth_data_size = auth_data.size();
  layout.leaf = OffsetOf(object, x5c[0].bytes());
  layout.leaf_size = x5c[0].bytes().size();
  layout.intermediate = OffsetOf(object, x5c[1].bytes());
  layout.intermediate_size = x5c[1].bytes().size();
  return layout;
}

TEST_P(AppAttestAttestationTest, RejectsEverySingleByteChangeTried) {
  const Case& c = GetParam();
  auto verifier = MakeVerifier(c);
  ASSERT_NE(verifier, nullptr);
  const Layout layout = LayoutOf(c.evidence);
  ASSERT_GT(layout.auth_data_size, 0u);
  const std::vector<std::pair<std::string, std::size_t>> positions = {
      {"CBOR map header", 0},
      {"\"fmt\" key", 2},
      {"fmt value", 6},
      {"authData rpIdHash", layout.auth_data},
      {"authData flags", layout.auth_data + 32},
      {"authData counter", layout.auth_data + 36},
      {"authData AAGUID", layout.auth_data + 40},
      {"authData credential id", layout.auth_data + 60},
      {"authData COSE key", layout.auth_data + layout.auth_data_size - 1},
      {"credCert serial", layout.leaf + 15},
      {"credCert public key", layout.leaf + layout.leaf_size / 2},
      {"credCert signature", layout.leaf + layout.leaf_size - 1},
      {"intermediate body", layout.intermediate + layout.intermediate_size / 2},
      {"intermediate signature", layout.intermediate + layout.intermediate_size - 1},
  };
  for (const auto& [name, position] : positions) {
    ASSERT_LT(position, c.evidence.size()) << name;
    Bytes changed = c.evidence;
    changed[position] ^= 0x01;
    auto result = verifier->Verify(Base64Encode(changed), ChallengeOf(c), KeyOf(c), c.verify_at);
    EXPECT_FALSE(result.ok()) << name << " at " << position;
  }
  // Unchanged, it still verifies (the loop changed copies).
  EXPECT_TRUE(verifier->Verify(c.evidence_b64, ChallengeOf(c), KeyOf(c), c.verify_at).ok());
}

TEST_P(AppAttestAttestationTest, RejectsMalformedEncodings) {
  const Case& c = GetParam();
  auto verifier = MakeVerifier(c);
  ASSERT_NE(verifier, nullptr);
  // Trailing bytes after the attestation object.
  Bytes trailing = c.evidence;
  trailing.push_back(0x00);
  EXPECT_EQ(verifier->Verify(Base64Encode(trailing), ChallengeOf(c), KeyOf(c), c.verify_at).code(),
            Code::kAttestationInvalid);
  // Truncated.
  Bytes truncated(c.evidence.begin(), c.evidence.end() - 1);
  EXPECT_EQ(verifier->Verify(Base64Encode(truncated), ChallengeOf(c), KeyOf(c), c.verify_at).code(),
            Code::kAttestationInvalid);
  // base64url instead of base64, and no padding.
  EXPECT_FALSE(
      verifier->Verify(Base64UrlEncode(c.evidence), ChallengeOf(c), KeyOf(c), c.verify_at).ok());
}

INSTANTIATE_TEST_SUITE_P(RealDevices, AppAttestAttestationTest,
                         ::testing::ValuesIn(LoadCases("attestation")),
                         [](const ::testing::TestParamInfo<Case>& case_info) {
                           return case_info.param.id;
                         });

class AppAttestAssertionTest : public ::testing::TestWithParam<Case> {};

TEST_P(AppAttestAssertionTest, VerifiesWithItsKeyAndCounter) {
  const Case& c = GetParam();
  auto verifier = MakeVerifier(c);
  ASSERT_NE(verifier, nullptr);
  ASSERT_GT(c.counter, 0u);
  auto verified = verifier->VerifyAssertion(c.evidence, c.client_data, KeyOf(c), c.counter - 1);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->counter(), c.counter);
  EXPECT_TRUE(verifier->VerifyAssertion(c.evidence, c.client_data, KeyOf(c), 0).ok());
}

TEST_P(AppAttestAssertionTest, RejectsAReplayedOrLowerCounter) {
  const Case& c = GetParam();
  auto verifier = MakeVerifier(c);
  ASSERT_NE(verifier, nullptr);
  EXPECT_EQ(verifier->VerifyAssertion(c.evidence, c.client_data, KeyOf(c), c.counter).code(),
            Code::kAttestationCounterNotIncreasing);
  EXPECT_EQ(verifier->VerifyAssertion(c.evidence, c.client_data, KeyOf(c), c.counter + 1).code(),
            Code::kAttestationCounterNotIncreasing);
  EXPECT_EQ(verifier->VerifyAssertion(c.evidence, c.client_data, KeyOf(c), 0xFFFFFFFF).code(),
            Code::kAttestationCounterNotIncreasing);
}

TEST_P(AppAttestAssertionTest, RejectsOtherClientDataAppOrKey) {
  const Case& c = GetParam();
  auto verifier = MakeVerifier(c);
  ASSERT_NE(verifier, nullptr);
  Bytes other_data = c.client_data;
  other_data.push_back('x');
  EXPECT_EQ(verifier->VerifyAssertion(c.evidence, other_data, KeyOf(c), 0).code(),
            Code::kAttestationInvalid);

  Case other_bundle = c;
  other_bundle.bundle_id += "x";
  auto other_verifier = MakeVerifier(other_bundle);
  ASSERT_NE(other_verifier, nullptr);
  auto result = other_verifier->VerifyAssertion(c.evidence, c.client_data, KeyOf(c), 0);
  EXPECT_EQ(result.code(), Code::kAttestationInvalid);
  EXPECT_NE(result.error().message.find("App ID"), std::string::npos);

  auto other = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(verifier
                ->VerifyAssertion(c.evidence, c.client_data,
                                  jose::Jwk::FromPublicKey(other->public_key()), 0)
                .code(),
            Code::kAttestationInvalid);
}

TEST_P(AppAttestAssertionTest, RejectsSingleByteChanges) {
  const Case& c = GetParam();
  auto verifier = MakeVerifier(c);
  ASSERT_NE(verifier, nullptr);
  for (std::size_t position = 0; position < c.evidence.size(); ++position) {
    Bytes changed = c.evidence;
    changed[position] ^= 0x01;
    EXPECT_FALSE(verifier->VerifyAssertion(changed, c.client_data, KeyOf(c), 0).ok())
        << "byte " << position;
  }
}

INSTANTIATE_TEST_SUITE_P(RealDevices, AppAttestAssertionTest,
                         ::testing::ValuesIn(LoadCases("assertion")),
                         [](const ::testing::TestParamInfo<Case>& case_info) {
                           return case_info.param.id;
                         });

TEST(AppAttestCreateTest, ValidatesOptions) {
  const std::string root = RootPem();
  EXPECT_TRUE(AppAttestVerifier::Create({root, "ABCDE12345", "com.example.app", false}).ok());
  EXPECT_EQ(AppAttestVerifier::Create({root, "abcde12345", "com.example.app", false}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(AppAttestVerifier::Create({root, "ABCDE1234", "com.example.app", false}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(AppAttestVerifier::Create({root, "ABCDE12345", "", false}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(AppAttestVerifier::Create({root, "ABCDE12345", "com.example/app", false}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(AppAttestVerifier::Create({"", "ABCDE12345", "com.example.app", false}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(AppAttestVerifier::Create({root + root, "ABCDE12345", "com.example.app", false}).code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace ztm::server
