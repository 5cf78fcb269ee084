#include "server/tokens/id_token_verifier.h"

#include <gtest/gtest.h>

#include <fstream>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/encoding.h"
#include "core/json.h"
#include "server/testing/gateway_test_support.h"

namespace ztm::server {
namespace {

using testing::kTestNow;
using testing::Must;
using testing::TempDir;

constexpr const char* kIssuer = "https://idp.test";
constexpr const char* kAudience = "ztm-app";

class IdTokenVerifierTest : public ::testing::Test {
 protected:
  std::string WriteJwks(const std::vector<boost::json::object>& keys, const std::string& name) {
    boost::json::array array;
    for (const auto& key : keys) array.push_back(key);
    const std::string path = dir_.File(name);
    std::ofstream(path) << json::Serialize(boost::json::object{{"keys", array}});
    return path;
  }
  boost::json::object PublicJwk(const crypto::PrivateKey& key, const std::string& kid) {
    boost::json::object jwk = Must(jose::Jwk::FromPublicKey(key.public_key()).ToPublicObject());
    jwk["kid"] = kid;
    return jwk;
  }
  std::unique_ptr<IdTokenVerifier> Verifier() {
    OidcIssuerConfig issuer{kIssuer, kAudience,
                            WriteJwks({PublicJwk(idp_key_, "k1"), rsa_jwk_}, "jwks.json"),
                            std::nullopt};
    return Must(IdTokenVerifier::Create({issuer}, 5));
  }
  boost::json::object Claims() {
    return {{"iss", kIssuer},       {"aud", kAudience},      {"sub", "user-123"},
            {"iat", kTestNow - 10}, {"exp", kTestNow + 300}, {"auth_time", kTestNow - 60}};
  }
  std::string Sign(const boost::json::object& claims, const std::string& kid = "k1",
                   const crypto::PrivateKey* key = nullptr) {
    return Must(jose::SignCompact({{"kid", kid}, {"typ", "JWT"}}, AsBytes(json::Serialize(claims)),
                                  jose::Jwk::FromPrivateKey(key ? *key : idp_key_),
                                  jose::JwsAlgorithm::kEs256));
  }

  TempDir dir_;
  crypto::PrivateKey idp_key_ = Must(crypto::PrivateKey::Generate(crypto::KeyType::kEcP256));
  // An RSA key as real issuers publish: skipped, not fatal.
  boost::json::object rsa_jwk_{{"kty", "RSA"}, {"kid", "rsa1"}, {"n", "sXch"}, {"e", "AQAB"}};
};

TEST_F(IdTokenVerifierTest, AcceptsAGoodToken) {
  auto verified = Verifier()->Verify(Sign(Claims()), kTestNow);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->issuer(), kIssuer);
  EXPECT_EQ(verified->subject(), "user-123");
  EXPECT_EQ(verified->ztm_subject(), "https://idp.test#user-123");
  EXPECT_EQ(verified->auth_time(), kTestNow - 60);
  EXPECT_EQ(verified->expires_at(), kTestNow + 300);
}

TEST_F(IdTokenVerifierTest, RefusesWhatIsNotForUs) {
  auto verifier = Verifier();
  auto check = [&](const std::string& token, const char* what) {
    auto verified = verifier->Verify(token, kTestNow);
    EXPECT_FALSE(verified.ok()) << what;
    if (!verified.ok()) {
      EXPECT_EQ(verified.code(), Code::kOAuthInvalidGrant) << what;
    }
  };
  auto claims = Claims();
  claims["aud"] = "another-client";
  check(Sign(claims), "audience");
  claims = Claims();
  claims["iss"] = "https://evil.test";
  check(Sign(claims), "issuer");
  claims = Claims();
  claims["exp"] = kTestNow - 10;
  check(Sign(claims), "expired");
  claims = Claims();
  claims["iat"] = kTestNow - kMaxIdTokenAgeSeconds - 1;
  check(Sign(claims), "too old");
  claims = Claims();
  claims.erase("sub");
  check(Sign(claims), "no sub");
  claims = Claims();
  claims["sub"] = "a\nb";
  check(Sign(claims), "unprintable sub");
  auto other = Must(crypto::PrivateKey::Generate(crypto::KeyType::kEcP256));
  check(Sign(Claims(), "k1", &other), "wrong key");
  check(Sign(Claims(), "unknown-kid"), "unknown kid");
  check("not.a.token", "garbage");
  const std::string good = Sign(Claims());
  check(Base64UrlEncode(std::string(R"({"alg":"none","kid":"k1"})")) +
            good.substr(good.find('.'), good.rfind('.') - good.find('.') + 1),
        "alg none");
}

TEST_F(IdTokenVerifierTest, IssuersWithoutUsableKeysAreRefusedAtStart) {
  OidcIssuerConfig rsa_only{kIssuer, kAudience, WriteJwks({rsa_jwk_}, "rsa.json"), std::nullopt};
  auto created = IdTokenVerifier::Create({rsa_only}, 5);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.code(), Code::kConfigInvalid);
  EXPECT_NE(created.error().message.find("RSA"), std::string::npos);
  OidcIssuerConfig url_only{kIssuer, kAudience, "", "https://idp.test/jwks"};
  EXPECT_FALSE(IdTokenVerifier::Create({url_only}, 5).ok());
  OidcIssuerConfig missing{kIssuer, kAudience, dir_.File("absent.json"), std::nullopt};
  EXPECT_FALSE(IdTokenVerifier::Create({missing}, 5).ok());
  EXPECT_TRUE(Must(IdTokenVerifier::Create({}, 5))->empty());
}

}  // namespace
}  // namespace ztm::server
