// Pin set validation, host matching and chain evaluation.
#include "client/transport/pin_set.h"

#include <gtest/gtest.h>

#include "core/crypto/crypto.h"
#include "core/encoding.h"

namespace ztm::client {
namespace {

std::string PinOf(std::string_view spki) { return "sha256/" + Base64Encode(crypto::Sha256(spki)); }

const std::string kPinA = PinOf("spki-a");
const std::string kPinB = PinOf("spki-b");

PinSetConfig Config(std::string host = "api.example.com") {
  PinSetConfig config;
  config.host = std::move(host);
  config.pins = {kPinA, kPinB};
  return config;
}

TEST(PinSetTest, AcceptsTwoPins) {
  auto set = PinSet::Create(Config());
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->host(), "api.example.com");
  EXPECT_EQ(set->pin_strings(), (std::vector<std::string>{kPinA, kPinB}));
  EXPECT_TRUE(set->Contains(SpkiHash(AsBytes("spki-a"))));
  EXPECT_FALSE(set->Contains(SpkiHash(AsBytes("spki-c"))));
}

TEST(PinSetTest, RefusesFewerThanTwoPins) {
  PinSetConfig config = Config();
  config.pins = {kPinA};
  EXPECT_EQ(PinSet::Create(config).code(), Code::kPinSetInvalid);
  config.pins = {};
  EXPECT_EQ(PinSet::Create(config).code(), Code::kPinSetInvalid);
}

TEST(PinSetTest, RefusesTooManyPins) {
  PinSetConfig config = Config();
  config.pins.clear();
  for (std::size_t i = 0; i <= kMaxPinsPerSet; ++i) config.pins.push_back(PinOf(std::to_string(i)));
  EXPECT_EQ(PinSet::Create(config).code(), Code::kPinSetInvalid);
}

TEST(PinSetTest, RefusesDuplicatePins) {
  PinSetConfig config = Config();
  config.pins = {kPinA, kPinA};
  EXPECT_EQ(PinSet::Create(config).code(), Code::kPinSetInvalid);
}

TEST(PinSetTest, RefusesMalformedPins) {
  const std::string base64 = kPinA.substr(7);
  for (const std::string& bad : {
           "sha384/" + base64,                               // other hash
           base64,                                           // no prefix
           "SHA256/" + base64,                               // prefix is case-sensitive
           "sha256/" + base64.substr(0, base64.size() - 1),  // padding missing
           "sha256/" + Base64Encode(crypto::Sha256("x")).substr(0, 40) + "====",
           "sha256/" + Base64Encode(Bytes(31, 1)),              // 31 bytes
           "sha256/" + Base64Encode(Bytes(33, 1)),              // 33 bytes
           "sha256/" + Base64UrlEncode(Bytes(32, 0xfb)) + "=",  // base64url alphabet
           "sha256/ " + base64,                                 // whitespace
           "sha256/" + base64.substr(0, 42) + "B=",             // non-zero unused bits
       }) {
    PinSetConfig config = Config();
    config.pins = {bad, kPinB};
    EXPECT_EQ(PinSet::Create(config).code(), Code::kPinSetInvalid) << bad;
  }
}

TEST(PinSetTest, RefusesBadHosts) {
  for (const char* host :
       {"", "*.example.com", "exa*mple.com", "-a.example.com", "a..b", ".example.com",
        "example.com.", "ex ample.com", "under_score.com", "[::1", "a/b"}) {
    EXPECT_EQ(PinSet::Create(Config(host)).code(), Code::kPinSetInvalid) << host;
  }
  EXPECT_EQ(PinSet::Create(Config(std::string(254, 'a'))).code(), Code::kPinSetInvalid);
  EXPECT_EQ(PinSet::Create(Config(std::string(64, 'a') + ".com")).code(), Code::kPinSetInvalid);
}

TEST(PinSetTest, IpLiteralsOnlyExact) {
  PinSetConfig config = Config("127.0.0.1");
  ASSERT_TRUE(PinSet::Create(config).ok());
  config.include_subdomains = true;
  EXPECT_EQ(PinSet::Create(config).code(), Code::kPinSetInvalid);

  auto v6 = PinSet::Create(Config("[2001:DB8::1]"));
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host(), "2001:db8::1");
  EXPECT_TRUE(v6->AppliesTo("2001:db8::1"));
}

TEST(PinSetTest, ReportUriMustBeHttps) {
  PinSetConfig config = Config();
  config.report_uri = "http://reports.example.com/pins";
  EXPECT_EQ(PinSet::Create(config).code(), Code::kPinSetInvalid);
  config.report_uri = "https://reports.example.com/pins";
  EXPECT_TRUE(PinSet::Create(config).ok());
  config.report_uri = "https://" + std::string(kMaxReportUriLength, 'a');
  EXPECT_EQ(PinSet::Create(config).code(), Code::kPinSetInvalid);
}

TEST(PinSetTest, HostMatchingIsCaseInsensitiveAndExactWithoutSubdomains) {
  auto set = PinSet::Create(Config("API.Example.COM"));
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->host(), "api.example.com");
  EXPECT_TRUE(set->AppliesTo("api.example.com"));
  EXPECT_FALSE(set->AppliesTo("a.api.example.com"));
  EXPECT_FALSE(set->AppliesTo("example.com"));
}

TEST(PinSetTest, IncludeSubdomainsMatchesLabelsOnly) {
  PinSetConfig config = Config("example.com");
  config.include_subdomains = true;
  auto set = PinSet::Create(config);
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE(set->AppliesTo("example.com"));
  EXPECT_TRUE(set->AppliesTo("a.example.com"));
  EXPECT_TRUE(set->AppliesTo("b.a.example.com"));
  EXPECT_FALSE(set->AppliesTo("badexample.com"));
  EXPECT_FALSE(set->AppliesTo("example.com.evil.net"));
}

TEST(PinSetTest, ExpiryIsAfterTheGivenSecond) {
  PinSetConfig config = Config();
  config.expires = 1000;
  auto set = PinSet::Create(config);
  ASSERT_TRUE(set.ok());
  EXPECT_FALSE(set->ExpiredAt(1000));
  EXPECT_TRUE(set->ExpiredAt(1001));
}

TEST(PinPolicyTest, RefusesTwoSetsForOneHost) {
  EXPECT_EQ(PinPolicy::Create({Config("a.com"), Config("A.com")}).code(), Code::kPinSetInvalid);
}

TEST(PinPolicyTest, RefusesTooManySets) {
  std::vector<PinSetConfig> configs;
  for (std::size_t i = 0; i <= kMaxPinSets; ++i)
    configs.push_back(Config("h" + std::to_string(i) + ".com"));
  EXPECT_EQ(PinPolicy::Create(configs).code(), Code::kPinSetInvalid);
}

TEST(PinPolicyTest, PropagatesSetErrors) {
  PinSetConfig bad = Config("b.com");
  bad.pins = {kPinA};
  EXPECT_EQ(PinPolicy::Create({Config("a.com"), bad}).code(), Code::kPinSetInvalid);
}

TEST(PinPolicyTest, FindsTheMostSpecificSet) {
  PinSetConfig parent = Config("example.com");
  parent.include_subdomains = true;
  PinSetConfig child = Config("api.example.com");
  child.pins = {PinOf("c"), PinOf("d")};
  auto policy = PinPolicy::Create({parent, child});
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ(policy->Find("api.example.com")->host(), "api.example.com");
  EXPECT_EQ(policy->Find("API.EXAMPLE.COM")->host(), "api.example.com");
  EXPECT_EQ(policy->Find("x.api.example.com")->host(), "example.com");
  EXPECT_EQ(policy->Find("www.example.com")->host(), "example.com");
  EXPECT_EQ(policy->Find("example.org"), nullptr);
  EXPECT_EQ(policy->Find(""), nullptr);
}

TEST(PinPolicyTest, EvaluatesAnyCertificateOfTheVerifiedChain) {
  PinSetConfig config = Config();
  config.expires = 2000;
  auto policy = PinPolicy::Create({config});
  ASSERT_TRUE(policy.ok());
  const Bytes leaf = ToBytes("spki-leaf"), intermediate = ToBytes("spki-a"),
              root = ToBytes("spki-root");
  EXPECT_EQ(policy->Evaluate("api.example.com", {leaf, intermediate, root}, 1000).verdict,
            PinVerdict::kMatched);
  EXPECT_EQ(policy->Evaluate("api.example.com", {leaf, root, ToBytes("spki-b")}, 1000).verdict,
            PinVerdict::kMatched);
  auto failed = policy->Evaluate("api.example.com", {leaf, root}, 1000);
  EXPECT_EQ(failed.verdict, PinVerdict::kFailed);
  ASSERT_NE(failed.pin_set, nullptr);
  EXPECT_EQ(failed.pin_set->host(), "api.example.com");
  EXPECT_EQ(policy->Evaluate("api.example.com", {}, 1000).verdict, PinVerdict::kFailed);
  EXPECT_EQ(policy->Evaluate("api.example.com", {leaf, root}, 2001).verdict,
            PinVerdict::kNotEnforced);
  auto unpinned = policy->Evaluate("other.example.com", {leaf}, 1000);
  EXPECT_EQ(unpinned.verdict, PinVerdict::kNotPinned);
  EXPECT_EQ(unpinned.pin_set, nullptr);
}

}  // namespace
}  // namespace ztm::client
