#include "server/tokens/access_token.h"

#include <gtest/gtest.h>

#include <boost/json/object.hpp>

#include "core/encoding.h"
#include "core/json.h"
#include "server/testing/gateway_test_support.h"

namespace ztm::server {
namespace {

using testing::kTestNow;
using testing::Must;
using testing::TempDir;

class AccessTokenTest : public ::testing::Test {
 protected:
  AccessTokenService Service(std::string issuer = testing::kTestIssuer,
                             std::string audience = testing::kTestAudience) {
    return Must(AccessTokenService::Create(*ring_, std::move(issuer), std::move(audience), 900, 5));
  }
  // A compact JWS with this header and payload, signed by `key` (or unsigned for alg none).
  static std::string Forge(const boost::json::object& header, const boost::json::object& payload,
                           const std::string& signature) {
    return Base64UrlEncode(json::Serialize(header)) + "." +
           Base64UrlEncode(json::Serialize(payload)) + "." + signature;
  }
  boost::json::object ClaimsOf(const std::string& token) {
    const std::size_t first = token.find('.');
    const std::size_t second = token.find('.', first + 1);
    auto payload = Must(Base64UrlDecode(token.substr(first + 1, second - first - 1)));
    return Must(json::ParseObject(AsString(payload)));
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_ = testing::OpenTestStore(dir_);
  std::unique_ptr<KeyRing> ring_ =
      Must(KeyRing::Load(*store_, testing::TestMasterKey(), kTestNow, 3600));
  AccessTokenClaims claims_{"alice", "device-1", "thumbprint-1", "pwd", kTestNow - 5, "sid-1"};
};

TEST_F(AccessTokenTest, IssueAndVerifyRfc9068Shape) {
  AccessTokenService service = Service();
  auto issued = service.Issue(claims_, kTestNow);
  ASSERT_TRUE(issued.ok()) << issued.error().message;
  EXPECT_EQ(issued->expires_in, 900);
  boost::json::object claims = ClaimsOf(issued->token);
  EXPECT_EQ(claims.at("iss").as_string(), testing::kTestIssuer);
  EXPECT_EQ(claims.at("aud").as_string(), testing::kTestAudience);
  EXPECT_EQ(claims.at("sub").as_string(), "alice");
  EXPECT_EQ(claims.at("client_id").as_string(), "ztm");
  EXPECT_EQ(claims.at("iat").as_int64(), kTestNow);
  EXPECT_EQ(claims.at("exp").as_int64(), kTestNow + 900);
  EXPECT_EQ(claims.at("jti").as_string(), issued->jti);
  EXPECT_EQ(claims.at("cnf").as_object().at("jkt").as_string(), "thumbprint-1");
  EXPECT_EQ(claims.at("device_id").as_string(), "device-1");
  EXPECT_EQ(claims.at("acr").as_string(), "pwd");
  EXPECT_EQ(claims.at("auth_time").as_int64(), kTestNow - 5);
  EXPECT_EQ(claims.at("sid").as_string(), "sid-1");

  auto verified = service.Verify(issued->token, kTestNow + 10);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->claims().subject, "alice");
  EXPECT_EQ(verified->claims().device_id, "device-1");
  EXPECT_EQ(verified->claims().jkt, "thumbprint-1");
  EXPECT_EQ(verified->claims().acr, "pwd");
  EXPECT_EQ(verified->claims().auth_time, kTestNow - 5);
  EXPECT_EQ(verified->claims().session_id, "sid-1");
  EXPECT_EQ(verified->jti(), issued->jti);
  EXPECT_EQ(verified->expires_at(), kTestNow + 900);
}

TEST_F(AccessTokenTest, HeaderIsAtJwtWithKid) {
  auto issued = Must(Service().Issue(claims_, kTestNow));
  auto header_bytes = Must(Base64UrlDecode(issued.token.substr(0, issued.token.find('.'))));
  auto header = Must(json::ParseObject(AsString(header_bytes)));
  EXPECT_EQ(header.at("alg").as_string(), "ES256");
  EXPECT_EQ(header.at("typ").as_string(), "at+jwt");
  EXPECT_EQ(header.at("kid").as_string(), ring_->active_kid());
}

TEST_F(AccessTokenTest, ExpiredTokenHasItsOwnCode) {
  AccessTokenService service = Service();
  auto issued = Must(service.Issue(claims_, kTestNow));
  EXPECT_TRUE(service.Verify(issued.token, kTestNow + 900 + 4).ok());  // within skew
  auto expired = service.Verify(issued.token, kTestNow + 900 + 5);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.code(), Code::kAccessTokenExpired);
}

TEST_F(AccessTokenTest, WrongIssuerOrAudienceIsInvalid) {
  auto issued = Must(Service("https://other.issuer").Issue(claims_, kTestNow));
  auto verified = Service().Verify(issued.token, kTestNow);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kAccessTokenInvalid);
  issued = Must(Service(testing::kTestIssuer, "https://other.api").Issue(claims_, kTestNow));
  verified = Service().Verify(issued.token, kTestNow);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kAccessTokenInvalid);
}

TEST_F(AccessTokenTest, AlgNoneIsInvalid) {
  auto issued = Must(Service().Issue(claims_, kTestNow));
  boost::json::object header{{"alg", "none"}, {"typ", "at+jwt"}, {"kid", ring_->active_kid()}};
  auto verified = Service().Verify(Forge(header, ClaimsOf(issued.token), ""), kTestNow);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kAccessTokenInvalid);
  // "none" with a signature part present too.
  verified = Service().Verify(Forge(header, ClaimsOf(issued.token), "AAAA"), kTestNow);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kAccessTokenInvalid);
}

TEST_F(AccessTokenTest, TokenSignedByAnUnknownKeyIsInvalid) {
  // A key the gateway never had, announcing a kid it does have, and one announcing a new kid.
  auto attacker = Must(crypto::PrivateKey::Generate(crypto::KeyType::kEcP256));
  auto issued = Must(Service().Issue(claims_, kTestNow));
  for (const std::string& kid : {ring_->active_kid(), std::string("attacker-kid")}) {
    boost::json::object header{{"typ", "at+jwt"}, {"kid", kid}};
    auto forged =
        Must(jose::SignCompact(header, AsBytes(json::Serialize(ClaimsOf(issued.token))),
                               jose::Jwk::FromPrivateKey(attacker), jose::JwsAlgorithm::kEs256));
    auto verified = Service().Verify(forged, kTestNow);
    ASSERT_FALSE(verified.ok()) << kid;
    EXPECT_EQ(verified.code(), Code::kAccessTokenInvalid);
  }
}

TEST_F(AccessTokenTest, TamperedClaimsAreInvalid) {
  auto issued = Must(Service().Issue(claims_, kTestNow));
  boost::json::object claims = ClaimsOf(issued.token);
  claims["sub"] = "mallory";
  const std::size_t first = issued.token.find('.');
  const std::size_t second = issued.token.find('.', first + 1);
  const std::string tampered = issued.token.substr(0, first + 1) +
                               Base64UrlEncode(json::Serialize(claims)) +
                               issued.token.substr(second);
  auto verified = Service().Verify(tampered, kTestNow);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), Code::kAccessTokenInvalid);
}

TEST_F(AccessTokenTest, MissingKidOrTypeOrClaimsAreInvalid) {
  auto issued = Must(Service().Issue(claims_, kTestNow));
  Secret master = testing::TestMasterKey();
  // Signed by the real key (obtained from the ring's store) but shaped wrongly.
  auto sign = [&](boost::json::object header, boost::json::object payload) {
    return Must(ring_->Sign(header, AsBytes(json::Serialize(payload))));
  };
  boost::json::object good = ClaimsOf(issued.token);
  // typ other than at+jwt (e.g. an ID token or a DPoP proof).
  auto verified = Service().Verify(sign({{"typ", "JWT"}}, good), kTestNow);
  EXPECT_EQ(verified.code(), Code::kAccessTokenInvalid);
  for (const char* claim :
       {"sub", "jti", "device_id", "cnf", "acr", "auth_time", "sid", "client_id", "iat", "exp"}) {
    boost::json::object missing = good;
    missing.erase(claim);
    verified = Service().Verify(sign({{"typ", "at+jwt"}}, missing), kTestNow);
    ASSERT_FALSE(verified.ok()) << claim;
    EXPECT_EQ(verified.code(), Code::kAccessTokenInvalid) << claim;
  }
  // No kid at all: the header is built by hand.
  const std::size_t dot = issued.token.find('.');
  const std::string no_kid =
      Base64UrlEncode(std::string(R"({"alg":"ES256","typ":"at+jwt"})")) + issued.token.substr(dot);
  verified = Service().Verify(no_kid, kTestNow);
  EXPECT_EQ(verified.code(), Code::kAccessTokenInvalid);
}

TEST_F(AccessTokenTest, GarbageIsInvalidWithoutEchoingIt) {
  for (const std::string& garbage :
       {std::string(""), std::string("abc"), std::string("a.b.c"), std::string(20000, 'A')}) {
    auto verified = Service().Verify(garbage, kTestNow);
    ASSERT_FALSE(verified.ok());
    EXPECT_EQ(verified.code(), Code::kAccessTokenInvalid);
  }
  auto issued = Must(Service().Issue(claims_, kTestNow));
  auto verified = Service().Verify(issued.token + "x", kTestNow);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().message.find(issued.token.substr(0, 20)), std::string::npos);
}

TEST_F(AccessTokenTest, CreateRefusesBadSettings) {
  EXPECT_FALSE(AccessTokenService::Create(*ring_, "", testing::kTestAudience, 900, 5).ok());
  EXPECT_FALSE(AccessTokenService::Create(*ring_, testing::kTestIssuer, "", 900, 5).ok());
  EXPECT_FALSE(
      AccessTokenService::Create(*ring_, testing::kTestIssuer, testing::kTestAudience, 59, 5).ok());
  EXPECT_FALSE(
      AccessTokenService::Create(*ring_, testing::kTestIssuer, testing::kTestAudience, 3601, 5)
          .ok());
  EXPECT_FALSE(
      AccessTokenService::Create(*ring_, testing::kTestIssuer, testing::kTestAudience, 900, 601)
          .ok());
}

}  // namespace
}  // namespace ztm::server
