// JWKS key sets and sources: which keys a JWKS yields, the file source, and the URL source's
// fetch, schedule (max-age clamp, backoff, rate-limited early refresh) and staleness bound,
// against a real HTTPS server with an injected clock.
#include "server/tokens/jwks_source.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/crypto/keys.h"
#include "core/jose/jwk.h"
#include "core/json.h"
#include "server/testing/gateway_test_support.h"
#include "server/testing/test_clock.h"
#include "server/testing/test_https_server.h"
#include "server/testing/test_pki.h"

namespace ztm::server {
namespace {

using testing::kTestNow;
using testing::Must;
using testing::ScriptedHttpsServer;
using testing::SteppingClock;
using testing::TempDir;
using testing::TestCertificateAuthority;
using testing::TestServerCertificate;

boost::json::object PublicJwk(crypto::KeyType type, const std::string& kid) {
  auto key = Must(crypto::PrivateKey::Generate(type));
  boost::json::object jwk = Must(jose::Jwk::FromPublicKey(key.public_key()).ToPublicObject());
  if (!kid.empty()) jwk["kid"] = kid;
  return jwk;
}

std::string Jwks(const std::vector<boost::json::object>& keys) {
  boost::json::array array;
  for (const auto& key : keys) array.push_back(key);
  return json::Serialize(boost::json::object{{"keys", array}});
}

const boost::json::object kRsaJwk{{"kty", "RSA"}, {"kid", "rsa1"}, {"n", "sXch"}, {"e", "AQAB"}};

TEST(JwksKeySetTest, KeepsOnlyEs256AndEdDsaSigningKeys) {
  boost::json::object encryption = PublicJwk(crypto::KeyType::kEcP256, "enc");
  encryption["use"] = "enc";
  boost::json::object with_private = PublicJwk(crypto::KeyType::kEcP256, "private");
  with_private["d"] = "AAAA";
  boost::json::object wrong_alg = PublicJwk(crypto::KeyType::kEcP256, "hs");
  wrong_alg["alg"] = "HS256";
  auto keys = JwksKeySet::Parse(
      Jwks({kRsaJwk, encryption, with_private, wrong_alg, PublicJwk(crypto::KeyType::kEcP256, "ec"),
            PublicJwk(crypto::KeyType::kEd25519, "ed")}));
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_EQ((*keys)->size(), 2u);
  EXPECT_NE((*keys)->Find(std::string("ec")), nullptr);
  EXPECT_NE((*keys)->Find(std::string("ed")), nullptr);
  for (const char* skipped : {"rsa1", "enc", "private", "hs", "unknown"}) {
    EXPECT_EQ((*keys)->Find(std::string(skipped)), nullptr) << skipped;
  }
  // Without a kid, a token matches only the single key of a one-key set.
  EXPECT_EQ((*keys)->Find(std::nullopt), nullptr);
  auto single = Must(JwksKeySet::Parse(Jwks({PublicJwk(crypto::KeyType::kEcP256, "")})));
  EXPECT_NE(single->Find(std::nullopt), nullptr);
  EXPECT_EQ(single->Find(std::string("x")), nullptr);
}

TEST(JwksKeySetTest, RefusesDocumentsWithoutAUsableKey) {
  auto code_of = [](const std::string& json) {
    auto keys = JwksKeySet::Parse(json);
    return keys.ok() ? Code::kInternal : keys.code();
  };
  EXPECT_EQ(code_of(Jwks({kRsaJwk})), Code::kJwkInvalid);
  EXPECT_EQ(code_of(Jwks({})), Code::kJwkInvalid);
  EXPECT_EQ(code_of(R"({"keys":{}})"), Code::kJwkInvalid);
  EXPECT_EQ(code_of(R"({"kty":"EC"})"), Code::kJwkInvalid);
  EXPECT_EQ(code_of(R"([])"), Code::kJwkInvalid);
  EXPECT_EQ(code_of("<html>"), Code::kJsonMalformed);
  EXPECT_EQ(code_of(R"({"keys":[],"keys":[]})"), Code::kJsonDuplicateKey);
  std::vector<boost::json::object> many(kMaxJwksKeys + 1, PublicJwk(crypto::KeyType::kEcP256, "k"));
  EXPECT_EQ(code_of(Jwks(many)), Code::kInputTooLarge);
  EXPECT_EQ(code_of(std::string(kMaxJwksBytes + 1, ' ')), Code::kInputTooLarge);
}

TEST(FileJwksSourceTest, LoadsOnceAndIgnoresMissingKeys) {
  TempDir dir;
  const std::string path = dir.File("jwks.json");
  std::ofstream(path) << Jwks({PublicJwk(crypto::KeyType::kEcP256, "k1")});
  auto source = Must(FileJwksSource::Load(path));
  auto keys = source->KeysAt(kTestNow);
  ASSERT_NE(keys, nullptr);
  source->ReportMissingKey(kTestNow);
  EXPECT_EQ(source->KeysAt(kTestNow + 10 * kMaxJwksStalenessSeconds), keys);

  std::ofstream(path) << Jwks({kRsaJwk});
  auto rsa_only = FileJwksSource::Load(path);
  ASSERT_FALSE(rsa_only.ok());
  EXPECT_EQ(rsa_only.code(), Code::kConfigInvalid);
  EXPECT_FALSE(FileJwksSource::Load(dir.File("absent.json")).ok());
}

class UrlJwksSourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ca_ = new TestCertificateAuthority(dir_->File(""), "jwks");
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
    fetches_ =
        Must(registry_.AddCounter("ztm_oidc_jwks_fetches_total", "fetches", {"issuer", "outcome"}));
    server_.SetJson(Jwks({PublicJwk(crypto::KeyType::kEcP256, "k1")}));
  }
  void TearDown() override { std::fclose(log_); }

  std::shared_ptr<UrlJwksSource> Source(std::int64_t refresh_seconds = kDefaultJwksRefreshSeconds) {
    UrlJwksOptions options;
    options.issuer = "https://idp.test";
    options.url = server_.Url();
    options.ca_file = ca_->ca_file();
    options.refresh_seconds = refresh_seconds;
    return Must(UrlJwksSource::Create(std::move(options), clock_, *logger_, fetches_,
                                      [this] { ++wakes_; }));
  }
  std::uint64_t Fetches(const char* outcome) const {
    return fetches_->Value({"https://idp.test", outcome});
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
  MetricsRegistry registry_;
  Counter* fetches_ = nullptr;
  std::atomic<int> wakes_{0};
  std::atomic<bool> never_{false};
  ScriptedHttpsServer server_{*certificate_};
};

TempDir* UrlJwksSourceTest::dir_ = nullptr;
TestCertificateAuthority* UrlJwksSourceTest::ca_ = nullptr;
TestServerCertificate* UrlJwksSourceTest::certificate_ = nullptr;

TEST_F(UrlJwksSourceTest, HasNoKeysUntilAFetchSucceeds) {
  auto source = Source();
  EXPECT_EQ(source->KeysAt(kTestNow), nullptr);
  EXPECT_LE(source->NextFetchAt(), kTestNow);
  ASSERT_TRUE(source->Fetch(never_).ok());
  auto keys = source->KeysAt(kTestNow);
  ASSERT_NE(keys, nullptr);
  EXPECT_NE(keys->Find(std::string("k1")), nullptr);
  EXPECT_EQ(source->NextFetchAt(), kTestNow + kDefaultJwksRefreshSeconds);
  EXPECT_EQ(Fetches("ok"), 1u);
  EXPECT_NE(Logs().find("oidc jwks fetched"), std::string::npos);
}

TEST_F(UrlJwksSourceTest, HonoursMaxAgeWithinBounds) {
  auto source = Source(600);
  auto next_after = [&](const std::string& cache_control) {
    server_.SetJson(Jwks({PublicJwk(crypto::KeyType::kEcP256, "k1")}), cache_control);
    Must(source->Fetch(never_));
    return source->NextFetchAt() - clock_.NowSeconds();
  };
  EXPECT_EQ(next_after(""), 600);
  EXPECT_EQ(next_after("max-age=1800"), 1800);
  EXPECT_EQ(next_after("max-age=10"), kMinJwksRefreshSeconds);
  EXPECT_EQ(next_after("no-store"), kMinJwksRefreshSeconds);
  EXPECT_EQ(next_after("max-age=99999999"), kMaxJwksRefreshSeconds);
}

TEST_F(UrlJwksSourceTest, AFetchedDocumentWithoutAUsableKeyIsAFailedFetch) {
  auto source = Source();
  for (const std::string& body : {Jwks({kRsaJwk}), std::string("{\"keys\":"), std::string("[]")}) {
    server_.SetJson(body);
    EXPECT_FALSE(source->Fetch(never_).ok()) << body;
    EXPECT_EQ(source->KeysAt(clock_.NowSeconds()), nullptr);
  }
  EXPECT_EQ(Fetches("failed"), 3u);
  EXPECT_EQ(Fetches("ok"), 0u);
  EXPECT_NE(Logs().find("refused until a fetch succeeds"), std::string::npos);
}

TEST_F(UrlJwksSourceTest, KeepsTheLastGoodSetForABoundedTimeThenFailsClosed) {
  auto source = Source();
  Must(source->Fetch(never_));
  const std::int64_t usable_until =
      kTestNow + kDefaultJwksRefreshSeconds + kMaxJwksStalenessSeconds;

  server_.SetResponse(500, {}, "");
  clock_.Set(kTestNow + kDefaultJwksRefreshSeconds);
  EXPECT_FALSE(source->Fetch(never_).ok());
  EXPECT_NE(source->KeysAt(clock_.NowSeconds()), nullptr);
  EXPECT_NE(Logs().find("keeping the last key set"), std::string::npos);
  // Backoff: 60 s, doubling, at most 15 min.
  std::vector<std::int64_t> retries;
  for (int i = 0; i < 6; ++i) {
    retries.push_back(source->NextFetchAt() - clock_.NowSeconds());
    EXPECT_FALSE(source->Fetch(never_).ok());
  }
  EXPECT_EQ(retries, (std::vector<std::int64_t>{60, 120, 240, 480, 900, 900}));

  EXPECT_NE(source->KeysAt(usable_until), nullptr);
  // Past the bound the set is refused even before the next fetch fails...
  EXPECT_EQ(source->KeysAt(usable_until + 1), nullptr);
  // ...and dropped when it does.
  clock_.Set(usable_until + 1);
  EXPECT_FALSE(source->Fetch(never_).ok());
  EXPECT_NE(Logs().find("last key set is too old"), std::string::npos);
  EXPECT_EQ(source->KeysAt(usable_until + 1), nullptr);

  server_.SetJson(Jwks({PublicJwk(crypto::KeyType::kEcP256, "k2")}));
  ASSERT_TRUE(source->Fetch(never_).ok());
  EXPECT_NE(source->KeysAt(clock_.NowSeconds()), nullptr);
  EXPECT_EQ(source->NextFetchAt() - clock_.NowSeconds(), kDefaultJwksRefreshSeconds);
}

TEST_F(UrlJwksSourceTest, AMissingKeyBringsTheNextFetchForwardAtMostOncePerInterval) {
  auto source = Source();
  Must(source->Fetch(never_));
  EXPECT_EQ(source->NextFetchAt(), kTestNow + kDefaultJwksRefreshSeconds);
  // Many unknown kids: one request, one wake, no earlier than the interval after the fetch.
  for (int i = 0; i < 100; ++i) source->ReportMissingKey(kTestNow + 1);
  EXPECT_EQ(source->NextFetchAt(), kTestNow + kJwksOnDemandRefreshSeconds);
  EXPECT_EQ(wakes_.load(), 1);
  EXPECT_NE(Logs().find("refresh requested"), std::string::npos);

  clock_.Set(kTestNow + kJwksOnDemandRefreshSeconds);
  Must(source->Fetch(never_));
  EXPECT_EQ(source->NextFetchAt(), clock_.NowSeconds() + kDefaultJwksRefreshSeconds);
  source->ReportMissingKey(clock_.NowSeconds());
  EXPECT_EQ(source->NextFetchAt(), clock_.NowSeconds() + kJwksOnDemandRefreshSeconds);
  EXPECT_EQ(wakes_.load(), 2);
}

TEST_F(UrlJwksSourceTest, CreateChecksItsOptions) {
  UrlJwksOptions options;
  options.issuer = "https://idp.test";
  options.url = "http://idp.test/jwks";
  EXPECT_FALSE(UrlJwksSource::Create(options, clock_, *logger_, nullptr, {}).ok());
  options.url = server_.Url();
  options.refresh_seconds = kMinJwksRefreshSeconds - 1;
  EXPECT_FALSE(UrlJwksSource::Create(options, clock_, *logger_, nullptr, {}).ok());
  options.refresh_seconds = kDefaultJwksRefreshSeconds;
  options.ca_file = dir_->File("absent.pem");
  EXPECT_FALSE(UrlJwksSource::Create(options, clock_, *logger_, nullptr, {}).ok());
}

}  // namespace
}  // namespace ztm::server
