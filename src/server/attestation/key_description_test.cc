// Tests for the strict KeyDescription parser: the leaves of Google's real attestation chains
// parse to the facts recorded in cases.json; truncated, garbage and non-DER inputs fail cleanly.
#include "server/attestation/key_description.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <boost/json.hpp>

#include "core/encoding.h"
#include "server/attestation/android_key_testing.h"
#include "testdata.h"

namespace ztm::server::android {
namespace {

using namespace testing;  // NOLINT: DER builders

constexpr char kDir[] = "android-key-attestation/";

// The KeyDescription extension of the first certificate in a PEM file.
Bytes LeafExtension(const std::string& relative) {
  const std::string pem = ztm::testing::ReadTestdata(kDir + relative);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* leaf = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  Bytes out;
  if (leaf == nullptr) return out;
  ASN1_OBJECT* oid = OBJ_txt2obj(kKeyDescriptionOid, 1);
  const int index = X509_get_ext_by_OBJ(leaf, oid, -1);
  if (index >= 0) {
    const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(leaf, index));
    out.assign(ASN1_STRING_get0_data(data), ASN1_STRING_get0_data(data) + ASN1_STRING_length(data));
  }
  ASN1_OBJECT_free(oid);
  X509_free(leaf);
  ERR_clear_error();
  return out;
}

SecurityLevel LevelFromName(std::string_view name) {
  if (name == "STRONG_BOX") return SecurityLevel::kStrongBox;
  if (name == "TRUSTED_ENVIRONMENT") return SecurityLevel::kTrustedEnvironment;
  return SecurityLevel::kSoftware;
}

TEST(KeyDescriptionConformance, RealLeavesMatchTheCollectorsParse) {
  const boost::json::value cases =
      boost::json::parse(ztm::testing::ReadTestdata(std::string(kDir) + "cases.json"));
  std::size_t checked = 0;
  for (const boost::json::value& entry : cases.at("cases").as_array()) {
    const boost::json::object& c = entry.as_object();
    if (!c.contains("chain_file") || !c.contains("challenge_b64")) continue;
    SCOPED_TRACE(std::string(c.at("id").as_string()));
    const Bytes extension = LeafExtension(std::string(c.at("chain_file").as_string()));
    ASSERT_FALSE(extension.empty());
    auto description = ParseKeyDescription(extension);
    ASSERT_TRUE(description.ok()) << description.error().message;
    EXPECT_EQ(description->attestation_challenge,
              *Base64Decode(std::string(c.at("challenge_b64").as_string())));
    EXPECT_EQ(std::to_string(description->attestation_version),
              std::string(c.at("attestation_version").as_string()));
    EXPECT_EQ(description->attestation_security_level,
              LevelFromName(c.at("attestation_security_level").as_string()));
    if (c.at("verified_boot_state").is_string()) {
      ASSERT_TRUE(description->hardware_enforced.root_of_trust.has_value());
      const RootOfTrust& root = *description->hardware_enforced.root_of_trust;
      EXPECT_EQ(root.verified_boot_state == VerifiedBootState::kVerified,
                c.at("verified_boot_state").as_string() == "VERIFIED");
      EXPECT_EQ(root.device_locked, c.at("device_locked").as_bool());
      EXPECT_EQ(std::to_string(description->hardware_enforced.os_patch_level.value_or(-1)),
                std::string(c.at("os_patch_level").as_string()));
    }
    if (c.contains("attestation_application_id")) {
      ASSERT_TRUE(description->software_enforced.attestation_application_id.has_value());
      const auto& id = *description->software_enforced.attestation_application_id;
      const auto& packages = c.at("attestation_application_id").at("packages").as_array();
      ASSERT_EQ(id.packages.size(), packages.size());
      EXPECT_EQ(id.packages[0].name, std::string(packages[0].at("name").as_string()));
    }
    ++checked;
  }
  EXPECT_GE(checked, 20u);  // a missing or emptied cases.json must fail, not pass vacuously
}

TEST(KeyDescriptionConformance, TagsOutOfOrderAreRejected) {
  const Bytes extension =
      LeafExtension("android-keyattestation/invalid/tags_not_in_ascending_order.pem");
  ASSERT_FALSE(extension.empty());
  auto description = ParseKeyDescription(extension);
  ASSERT_FALSE(description.ok());
  EXPECT_NE(description.error().message.find("ascending"), std::string::npos);
}

TEST(KeyDescriptionConformance, AllowWhileOnBodyParses) {
  const Bytes extension = LeafExtension("android-keyattestation/allow_while_on_body.pem");
  ASSERT_FALSE(extension.empty());
  EXPECT_TRUE(ParseKeyDescription(extension).ok());
}

TEST(KeyDescriptionConformance, MalformedDeviceLockedIsRejectedNotGuessed) {
  // Google's parser reads this non-DER deviceLocked leniently as true; ztm fails closed.
  const Bytes extension =
      LeafExtension("android-keyattestation/invalid/malformed_rot_device_locked.pem");
  ASSERT_FALSE(extension.empty());
  auto description = ParseKeyDescription(extension);
  ASSERT_FALSE(description.ok());
  EXPECT_EQ(description.code(), Code::kAttestationInvalid);
}

TEST(KeyDescription, SyntheticParses) {
  auto description = ParseKeyDescription(BuildKeyDescription(KeyDescriptionSpec{}));
  ASSERT_TRUE(description.ok()) << description.error().message;
  EXPECT_EQ(description->attestation_security_level, SecurityLevel::kTrustedEnvironment);
  EXPECT_EQ(description->hardware_enforced.os_patch_level, 202405);
  ASSERT_TRUE(description->hardware_enforced.root_of_trust.has_value());
  EXPECT_TRUE(description->hardware_enforced.root_of_trust->device_locked);
  ASSERT_TRUE(description->software_enforced.attestation_application_id.has_value());
  EXPECT_EQ(description->software_enforced.attestation_application_id->packages[0].name,
            "com.example.app");
}

TEST(KeyDescription, EveryTruncationFails) {
  const Bytes der = BuildKeyDescription(KeyDescriptionSpec{});
  for (std::size_t length = 0; length < der.size(); ++length) {
    EXPECT_FALSE(ParseKeyDescription(ByteView(der.data(), length)).ok()) << length;
  }
}

TEST(KeyDescription, TrailingBytesFail) {
  Bytes der = BuildKeyDescription(KeyDescriptionSpec{});
  der.push_back(0x00);
  EXPECT_FALSE(ParseKeyDescription(der).ok());
}

TEST(KeyDescription, GarbageFailsWithoutCrashing) {
  std::uint32_t state = 12345;
  const Bytes valid = BuildKeyDescription(KeyDescriptionSpec{});
  for (int round = 0; round < 2000; ++round) {
    Bytes input = valid;
    for (int flips = 0; flips < 3; ++flips) {
      state = state * 1664525u + 1013904223u;
      input[state % input.size()] ^= static_cast<std::uint8_t>(state >> 24);
    }
    (void)ParseKeyDescription(input);  // must return, never crash or over-read (ASan)
  }
  for (const Bytes& junk : {Bytes{}, Bytes{0x30}, Bytes{0x30, 0x80}, Bytes{0x30, 0x84, 0xff, 0xff},
                            Bytes{0xff, 0xff, 0xff}, Bytes(100, 0x30)}) {
    EXPECT_FALSE(ParseKeyDescription(junk).ok());
  }
}

Bytes WithAuthorizations(const Bytes& hardware) {
  return Sequence({Integer(300), Enumerated(1), Integer(300), Enumerated(1), Octets("c"),
                   Octets(""), Sequence({}), hardware});
}

TEST(KeyDescription, UnknownHighTagsAreSkipped) {
  auto description = ParseKeyDescription(WithAuthorizations(
      Sequence({Explicit(720, Sequence({Integer(1), Octets("x")})), Explicit(16000, Integer(1))})));
  ASSERT_TRUE(description.ok()) << description.error().message;
  EXPECT_FALSE(description->hardware_enforced.root_of_trust.has_value());
}

TEST(KeyDescription, DuplicateOrDescendingTagsAreRejected) {
  EXPECT_FALSE(ParseKeyDescription(WithAuthorizations(Sequence({Explicit(706, Integer(202401)),
                                                                Explicit(706, Integer(202501))})))
                   .ok());
  EXPECT_FALSE(ParseKeyDescription(WithAuthorizations(Sequence({Explicit(706, Integer(202401)),
                                                                Explicit(705, Integer(1))})))
                   .ok());
}

TEST(KeyDescription, ExplicitTagMustWrapExactlyOneElement) {
  EXPECT_FALSE(ParseKeyDescription(WithAuthorizations(Sequence(
                                       {Der(0xa0, 706, Concat({Integer(202401), Integer(1)}))})))
                   .ok());
  EXPECT_FALSE(ParseKeyDescription(WithAuthorizations(Sequence({Der(0xa0, 706, {})}))).ok());
  // A primitive or universal entry is not an explicit tag.
  EXPECT_FALSE(ParseKeyDescription(WithAuthorizations(Sequence({Integer(5)}))).ok());
}

TEST(KeyDescription, NonDerEncodingsAreRejected) {
  // BOOLEAN TRUE other than 0xFF.
  const Bytes root_of_trust = Explicit(
      704, Sequence({Octets(Bytes(32, 1)), Der(0x00, 1, {0x01}), Enumerated(0), Octets("")}));
  EXPECT_FALSE(ParseKeyDescription(WithAuthorizations(Sequence({root_of_trust}))).ok());
  // INTEGER with a superfluous leading zero.
  EXPECT_FALSE(
      ParseKeyDescription(WithAuthorizations(Sequence({Explicit(706, Der(0x00, 2, {0x00, 0x05}))})))
          .ok());
  // Long-form length for a short element.
  Bytes long_length = {0x30, 0x81, 0x03, 0x02, 0x01, 0x01};
  EXPECT_FALSE(ParseKeyDescription(long_length).ok());
  // Indefinite length.
  Bytes indefinite = {0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00};
  EXPECT_FALSE(ParseKeyDescription(indefinite).ok());
  // High-tag-number form for a low tag number.
  EXPECT_FALSE(
      ParseKeyDescription(WithAuthorizations(Sequence({Bytes{0xbf, 0x02, 0x03, 0x02, 0x01, 0x03}})))
          .ok());
}

TEST(KeyDescription, UnknownEnumValuesAreRejected) {
  EXPECT_FALSE(
      ParseKeyDescription(Sequence({Integer(300), Enumerated(7), Integer(300), Enumerated(1),
                                    Octets("c"), Octets(""), Sequence({}), Sequence({})}))
          .ok());
  const Bytes root_of_trust =
      Explicit(704, Sequence({Octets(Bytes(32, 1)), Boolean(true), Enumerated(9)}));
  EXPECT_FALSE(ParseKeyDescription(WithAuthorizations(Sequence({root_of_trust}))).ok());
}

TEST(KeyDescription, OversizedInputIsRejected) {
  EXPECT_FALSE(ParseKeyDescription(Bytes(kMaxKeyDescriptionBytes + 1, 0x30)).ok());
}

TEST(AttestationApplicationId, ParsesAndRejectsMalformed) {
  auto id = ParseAttestationApplicationId(
      Sequence({SetOf({Sequence({Octets("a.b"), Integer(3)})}), SetOf({Octets(Bytes(32, 7))})}));
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->packages[0].name, "a.b");
  EXPECT_EQ(id->packages[0].version, 3);
  EXPECT_EQ(id->signature_digests.size(), 1u);
  EXPECT_FALSE(ParseAttestationApplicationId(Sequence({SetOf({})})).ok());
  EXPECT_FALSE(
      ParseAttestationApplicationId(Sequence({SetOf({Sequence({Octets("a.b")})}), SetOf({})}))
          .ok());
  EXPECT_FALSE(ParseAttestationApplicationId(Sequence({SetOf({}), SetOf({}), SetOf({})})).ok());
}

}  // namespace
}  // namespace ztm::server::android
