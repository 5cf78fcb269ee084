#include "server/tokens/id_token_verifier.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/encoding.h"
#include "core/json.h"
#include "server/testing/gateway_test_support.h"
#include "server/testing/test_clock.h"
#include "server/testing/test_https_server.h"
#include "server/testing/test_pki.h"

namespace ztm::server {
namespace {

using namespace std::chrono_literals;
using testing::kTestNow;
using testing::Must;
using testing::ScriptedHttpsServer;
using testing::SteppingClock;
using testing::TempDir;
using testing::TestCertificateAuthority;
using testing::TestServerCertificate;

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
  // A jwks_url issuer needs the refresher that fetches its keys.
  OidcIssuerConfig url_only{kIssuer, kAudience, "", "https://idp.test/jwks"};
  auto without_refresher = IdTokenVerifier::Create({url_only}, 5);
  ASSERT_FALSE(without_refresher.ok());
  EXPECT_EQ(without_refresher.code(), Code::kConfigInvalid);
  OidcIssuerConfig missing{kIssuer, kAudience, dir_.File("absent.json"), std::nullopt};
  EXPECT_FALSE(IdTokenVerifier::Create({missing}, 5).ok());
  EXPECT_TRUE(Must(IdTokenVerifier::Create({}, 5))->empty());
}

// Issuers whose keys come from a jwks_url: a real HTTPS server on 127.0.0.1 with a CA made at
// test time, the refresher driven by hand (FetchDue) or on its thread, and a clock the test
// moves.
class IdTokenVerifierUrlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ca_ = new TestCertificateAuthority(dir_->File(""), "idp");
    certificate_ = new TestServerCertificate(ca_->IssueServer("idp", "IP:127.0.0.1"));
    wrong_host_ = new TestServerCertificate(ca_->IssueServer("elsewhere", "DNS:idp.example"));
  }
  static void TearDownTestSuite() {
    delete wrong_host_;
    delete certificate_;
    delete ca_;
    delete dir_;
  }

  void SetUp() override {
    log_ = std::tmpfile();
    logger_ = std::make_unique<JsonLogger>(LogLevel::kDebug, log_);
    fetches_ =
        Must(registry_.AddCounter("ztm_oidc_jwks_fetches_total", "fetches", {"issuer", "outcome"}));
    refresher_ = std::make_unique<JwksRefresher>(clock_, *logger_, fetches_);
    server_.SetJson(Jwks({PublicJwk(key1_, "k1")}));
  }
  void TearDown() override {
    refresher_.reset();
    std::fclose(log_);
  }

  boost::json::object PublicJwk(const crypto::PrivateKey& key, const std::string& kid) {
    boost::json::object jwk = Must(jose::Jwk::FromPublicKey(key.public_key()).ToPublicObject());
    jwk["kid"] = kid;
    return jwk;
  }
  static std::string Jwks(const std::vector<boost::json::object>& keys) {
    boost::json::array array;
    for (const auto& key : keys) array.push_back(key);
    return json::Serialize(boost::json::object{{"keys", array}});
  }
  std::unique_ptr<IdTokenVerifier> Verifier(const std::string& url, bool trust_test_ca = true) {
    OidcIssuerConfig issuer{kIssuer, kAudience, "", url};
    if (trust_test_ca) issuer.jwks_ca_file = ca_->ca_file();
    return Must(IdTokenVerifier::Create({issuer}, 5, refresher_.get()));
  }
  // A token issued now by `key` under `kid`.
  std::string Token(const crypto::PrivateKey& key, const std::string& kid) {
    const std::int64_t now = clock_.NowSeconds();
    boost::json::object claims{{"iss", kIssuer},
                               {"aud", kAudience},
                               {"sub", "user-123"},
                               {"iat", now - 5},
                               {"exp", now + 300}};
    return Must(jose::SignCompact({{"kid", kid}}, AsBytes(json::Serialize(claims)),
                                  jose::Jwk::FromPrivateKey(key), jose::JwsAlgorithm::kEs256));
  }
  Result<VerifiedIdToken> Verify(const IdTokenVerifier& verifier, const std::string& token) {
    return verifier.Verify(token, clock_.NowSeconds());
  }
  // Expects `verified` to be refused as invalid_grant because the issuer's keys are missing.
  static void ExpectKeysUnavailable(const Result<VerifiedIdToken>& verified) {
    ASSERT_FALSE(verified.ok());
    EXPECT_EQ(verified.code(), Code::kOAuthInvalidGrant);
    EXPECT_NE(verified.error().message.find("keys are not available"), std::string::npos)
        << verified.error().message;
  }
  std::uint64_t Fetches(const char* outcome) const { return fetches_->Value({kIssuer, outcome}); }
  std::string Logs() {
    std::fflush(log_);
    std::rewind(log_);
    std::string text;
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, log_)) > 0) text.append(buffer, n);
    return text;
  }

  static TempDir* dir_;
  static TestCertificateAuthority* ca_;
  static TestServerCertificate* certificate_;
  static TestServerCertificate* wrong_host_;
  SteppingClock clock_{kTestNow};
  std::FILE* log_ = nullptr;
  std::unique_ptr<JsonLogger> logger_;
  MetricsRegistry registry_;
  Counter* fetches_ = nullptr;
  crypto::PrivateKey key1_ = Must(crypto::PrivateKey::Generate(crypto::KeyType::kEcP256));
  crypto::PrivateKey key2_ = Must(crypto::PrivateKey::Generate(crypto::KeyType::kEcP256));
  ScriptedHttpsServer server_{*certificate_};
  // Last: stopped first, while the server and clock it uses still exist.
  std::unique_ptr<JwksRefresher> refresher_;
};

TempDir* IdTokenVerifierUrlTest::dir_ = nullptr;
TestCertificateAuthority* IdTokenVerifierUrlTest::ca_ = nullptr;
TestServerCertificate* IdTokenVerifierUrlTest::certificate_ = nullptr;
TestServerCertificate* IdTokenVerifierUrlTest::wrong_host_ = nullptr;

TEST_F(IdTokenVerifierUrlTest, VerifiesATokenSignedByAKeyFromTheUrl) {
  auto verifier = Verifier(server_.Url());
  // Not fetched yet: fail closed.
  ExpectKeysUnavailable(Verify(*verifier, Token(key1_, "k1")));
  ASSERT_EQ(refresher_->FetchDue(), 1u);
  auto verified = Verify(*verifier, Token(key1_, "k1"));
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->ztm_subject(), "https://idp.test#user-123");
  EXPECT_EQ(Fetches("ok"), 1u);
  // Another key under a known kid still fails on the signature.
  EXPECT_FALSE(Verify(*verifier, Token(key2_, "k1")).ok());
}

TEST_F(IdTokenVerifierUrlTest, PicksUpARotatedKeyOnTheBackgroundThread) {
  auto verifier = Verifier(server_.Url());
  refresher_->Start();  // returns after the first fetch
  EXPECT_EQ(server_.requests(), 1u);
  ASSERT_TRUE(Verify(*verifier, Token(key1_, "k1")).ok());

  // The issuer rotates to k2. The first token under k2 is refused and asks for a refresh,
  // which happens once the rate-limit interval since the last fetch has passed.
  server_.SetJson(Jwks({PublicJwk(key2_, "k2")}));
  clock_.Advance(kJwksOnDemandRefreshSeconds);
  auto first = Verify(*verifier, Token(key2_, "k2"));
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.code(), Code::kOAuthInvalidGrant);
  ASSERT_TRUE(server_.WaitForRequests(2, 5s));
  bool accepted = false;
  for (int i = 0; i < 100 && !accepted; ++i) {
    accepted = Verify(*verifier, Token(key2_, "k2")).ok();
    if (!accepted) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(accepted);
  // k1 left the issuer's JWKS, so it no longer verifies.
  EXPECT_FALSE(Verify(*verifier, Token(key1_, "k1")).ok());

  // A flood of unknown kids right after that fetch: the thread does not fetch again.
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(Verify(*verifier, Token(key2_, "random-" + std::to_string(i))).ok());
  }
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(server_.requests(), 2u);
  refresher_->Stop();
}

TEST_F(IdTokenVerifierUrlTest, UnknownKidsCauseAtMostOneFetchPerInterval) {
  auto verifier = Verifier(server_.Url());
  ASSERT_EQ(refresher_->FetchDue(), 1u);
  clock_.Advance(1);
  for (int i = 0; i < 200; ++i) {
    auto verified = Verify(*verifier, Token(key1_, "unknown-" + std::to_string(i)));
    ASSERT_FALSE(verified.ok());
    EXPECT_NE(verified.error().message.find("does not have"), std::string::npos);
  }
  EXPECT_EQ(refresher_->FetchDue(), 0u);
  clock_.Set(kTestNow + kJwksOnDemandRefreshSeconds - 1);
  EXPECT_EQ(refresher_->FetchDue(), 0u);
  clock_.Set(kTestNow + kJwksOnDemandRefreshSeconds);
  EXPECT_EQ(refresher_->FetchDue(), 1u);
  for (int i = 0; i < 200; ++i) (void)Verify(*verifier, Token(key1_, "again-" + std::to_string(i)));
  EXPECT_EQ(refresher_->FetchDue(), 0u);
  EXPECT_EQ(server_.requests(), 2u);
  // The requests made since then are one pending fetch, due an interval after the last.
  clock_.Advance(kJwksOnDemandRefreshSeconds);
  EXPECT_EQ(refresher_->FetchDue(), 1u);
  EXPECT_EQ(server_.requests(), 3u);
}

TEST_F(IdTokenVerifierUrlTest, AnUntrustedCertificateFailsClosed) {
  auto verifier = Verifier(server_.Url(), /*trust_test_ca=*/false);
  EXPECT_EQ(refresher_->FetchDue(), 1u);
  ExpectKeysUnavailable(Verify(*verifier, Token(key1_, "k1")));
  EXPECT_EQ(Fetches("failed"), 1u);
  EXPECT_EQ(server_.requests(), 0u);
  const std::string logs = Logs();
  EXPECT_NE(logs.find("oidc jwks fetch failed"), std::string::npos);
  EXPECT_NE(logs.find("no usable JWKS"), std::string::npos);
  // No token material in the logs.
  EXPECT_EQ(logs.find(Token(key1_, "k1").substr(0, 20)), std::string::npos);
}

TEST_F(IdTokenVerifierUrlTest, ACertificateForAnotherHostFailsClosed) {
  ScriptedHttpsServer elsewhere(*wrong_host_);
  elsewhere.SetJson(Jwks({PublicJwk(key1_, "k1")}));
  auto verifier = Verifier(elsewhere.Url());
  EXPECT_EQ(refresher_->FetchDue(), 1u);
  ExpectKeysUnavailable(Verify(*verifier, Token(key1_, "k1")));
  EXPECT_EQ(elsewhere.requests(), 0u);
}

TEST_F(IdTokenVerifierUrlTest, ResponsesThatAreNotAUsableJwksFailClosed) {
  struct Case {
    const char* what;
    int status;
    http::HeaderList headers;
    std::string body;
  };
  const boost::json::object rsa{{"kty", "RSA"}, {"kid", "k1"}, {"n", "sXch"}, {"e", "AQAB"}};
  const std::string good = Jwks({PublicJwk(key1_, "k1")});
  const std::vector<Case> cases = {
      {"oversized",
       200,
       {{"content-type", "application/json"}},
       good + std::string(kMaxJwksBytes, ' ')},
      {"404", 404, {{"content-type", "application/json"}}, good},
      {"500", 500, {{"content-type", "application/json"}}, good},
      {"not JSON", 200, {{"content-type", "application/json"}}, "<html>login</html>"},
      {"HTML media type", 200, {{"content-type", "text/html"}}, good},
      {"RSA only", 200, {{"content-type", "application/json"}}, Jwks({rsa})},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    ScriptedHttpsServer server(*certificate_);
    server.SetResponse(c.status, c.headers, c.body);
    refresher_ = std::make_unique<JwksRefresher>(clock_, *logger_, nullptr);
    auto verifier = Verifier(server.Url());
    EXPECT_EQ(refresher_->FetchDue(), 1u);
    EXPECT_EQ(server.requests(), 1u);
    ExpectKeysUnavailable(Verify(*verifier, Token(key1_, "k1")));
    refresher_.reset();
  }
}

TEST_F(IdTokenVerifierUrlTest, AStaleKeySetIsDroppedAfterItsBound) {
  auto verifier = Verifier(server_.Url());
  ASSERT_EQ(refresher_->FetchDue(), 1u);
  server_.SetResponse(503, {}, "");
  // Refreshes fail from the refresh time on; the last good set keeps working...
  const std::int64_t usable_until =
      kTestNow + kDefaultJwksRefreshSeconds + kMaxJwksStalenessSeconds;
  clock_.Set(kTestNow + kDefaultJwksRefreshSeconds);
  EXPECT_EQ(refresher_->FetchDue(), 1u);
  EXPECT_TRUE(Verify(*verifier, Token(key1_, "k1")).ok());
  clock_.Set(usable_until);
  EXPECT_EQ(refresher_->FetchDue(), 1u);
  EXPECT_TRUE(Verify(*verifier, Token(key1_, "k1")).ok());
  // ...until the staleness bound, then the issuer's tokens are refused.
  clock_.Set(usable_until + 1);
  ExpectKeysUnavailable(Verify(*verifier, Token(key1_, "k1")));
  // The refusal asked for a fetch; once the issuer answers again, tokens verify again.
  server_.SetJson(Jwks({PublicJwk(key1_, "k1")}));
  clock_.Advance(kJwksMaxRetrySeconds);
  EXPECT_EQ(refresher_->FetchDue(), 1u);
  EXPECT_TRUE(Verify(*verifier, Token(key1_, "k1")).ok());
}

}  // namespace
}  // namespace ztm::server
