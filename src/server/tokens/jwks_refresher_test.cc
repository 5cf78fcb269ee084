// JwksRefresher's thread (first round before Start returns, prompt Stop even mid-fetch) and
// its wiring into the gateway: a jwks_url issuer is fetched at start, counted in
// ztm_oidc_jwks_fetches_total, and an issuer that cannot be fetched does not stop the gateway.
#include "server/tokens/jwks_refresher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/jose/jwk.h"
#include "core/json.h"
#include "server/api/gateway.h"
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

class JwksRefresherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ca_ = new TestCertificateAuthority(dir_->File(""), "refresher");
    certificate_ = new TestServerCertificate(ca_->IssueServer("idp", "IP:127.0.0.1"));
  }
  static void TearDownTestSuite() {
    delete certificate_;
    delete ca_;
    delete dir_;
  }

  void SetUp() override {
    log_ = std::tmpfile();
    logger_ = std::make_unique<JsonLogger>(LogLevel::kDebug, log_);
    auto key = Must(crypto::PrivateKey::Generate(crypto::KeyType::kEcP256));
    boost::json::object jwk = Must(jose::Jwk::FromPublicKey(key.public_key()).ToPublicObject());
    jwk["kid"] = "k1";
    boost::json::array keys;
    keys.push_back(jwk);
    server_.SetJson(json::Serialize(boost::json::object{{"keys", keys}}));
  }
  void TearDown() override { std::fclose(log_); }

  UrlJwksOptions Options() {
    UrlJwksOptions options;
    options.issuer = kIssuer;
    options.url = server_.Url();
    options.ca_file = ca_->ca_file();
    return options;
  }
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
  SteppingClock clock_{kTestNow};
  std::FILE* log_ = nullptr;
  std::unique_ptr<JsonLogger> logger_;
  ScriptedHttpsServer server_{*certificate_};
};

TempDir* JwksRefresherTest::dir_ = nullptr;
TestCertificateAuthority* JwksRefresherTest::ca_ = nullptr;
TestServerCertificate* JwksRefresherTest::certificate_ = nullptr;

TEST_F(JwksRefresherTest, StartFetchesBeforeReturningAndRefreshesWhenDue) {
  JwksRefresher refresher(clock_, *logger_, nullptr);
  auto source = Must(refresher.AddSource(Options()));
  EXPECT_FALSE(refresher.empty());
  refresher.Start();
  EXPECT_EQ(server_.requests(), 1u);
  EXPECT_NE(source->KeysAt(kTestNow), nullptr);
  // Sources are fixed once started.
  EXPECT_FALSE(refresher.AddSource(Options()).ok());
  // Due again after the refresh period; Wake() makes the thread look now.
  clock_.Advance(kDefaultJwksRefreshSeconds);
  refresher.Wake();
  EXPECT_TRUE(server_.WaitForRequests(2, 5s));
  refresher.Stop();
  refresher.Stop();  // idempotent
}

TEST_F(JwksRefresherTest, StopAbortsAFetchInFlight) {
  JwksRefresher refresher(clock_, *logger_, nullptr);
  auto source = Must(refresher.AddSource(Options()));
  refresher.Start();
  server_.SetDelay(8s);
  clock_.Advance(kDefaultJwksRefreshSeconds);
  refresher.Wake();
  ASSERT_TRUE(server_.WaitForRequests(2, 5s));
  const auto start = std::chrono::steady_clock::now();
  refresher.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  // An aborted fetch is not a failure: the keys are kept.
  EXPECT_NE(source->KeysAt(clock_.NowSeconds()), nullptr);
}

TEST_F(JwksRefresherTest, WithoutSourcesStartsNoThread) {
  JwksRefresher refresher(clock_, *logger_, nullptr);
  EXPECT_TRUE(refresher.empty());
  refresher.Start();
  EXPECT_EQ(refresher.FetchDue(), 0u);
}

class JwksGatewayTest : public JwksRefresherTest {
 protected:
  std::unique_ptr<Gateway> StartGateway(bool trust_test_ca) {
    GatewayConfig config = testing::TestConfig(gateway_dir_);
    OidcIssuerConfig issuer{kIssuer, "ztm-app", "", server_.Url()};
    if (trust_test_ca) issuer.jwks_ca_file = ca_->ca_file();
    config.oidc_issuers.push_back(issuer);
    config_ = config;
    return Must(Gateway::Create(config_, *store_, testing::TestMasterKey(), clock_, *logger_));
  }

  TempDir gateway_dir_;
  std::unique_ptr<SqliteStore> store_ = testing::OpenTestStore(gateway_dir_);
  GatewayConfig config_;
};

TEST_F(JwksGatewayTest, FetchesJwksUrlIssuersAtStart) {
  auto gateway = StartGateway(true);
  EXPECT_EQ(server_.requests(), 1u);
  const std::string metrics = gateway->metrics().RenderPrometheus();
  EXPECT_NE(
      metrics.find(R"(ztm_oidc_jwks_fetches_total{issuer="https://idp.test",outcome="ok"} 1)"),
      std::string::npos)
      << metrics;
}

TEST_F(JwksGatewayTest, StartsWhenAnIssuerCannotBeFetched) {
  auto gateway = StartGateway(false);  // the system trust store does not know the test CA
  const std::string metrics = gateway->metrics().RenderPrometheus();
  EXPECT_NE(
      metrics.find(R"(ztm_oidc_jwks_fetches_total{issuer="https://idp.test",outcome="failed"} 1)"),
      std::string::npos)
      << metrics;
  EXPECT_NE(Logs().find("oidc jwks fetch failed"), std::string::npos);
  gateway.reset();  // joins the refresher
}

}  // namespace
}  // namespace ztm::server
