// HttpsFetcher against a real HTTPS server on 127.0.0.1 with a CA made at test time: what it
// accepts (200, JSON, within the cap, a trusted chain for the right host) and each thing it
// refuses, plus its URL check and Cache-Control parsing.
#include "server/tokens/https_fetcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "server/testing/gateway_test_support.h"
#include "server/testing/test_https_server.h"
#include "server/testing/test_pki.h"

namespace ztm::server {
namespace {

using namespace std::chrono_literals;
using testing::Must;
using testing::ScriptedHttpsServer;
using testing::TempDir;
using testing::TestCertificateAuthority;
using testing::TestServerCertificate;

class HttpsFetcherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ca_ = new TestCertificateAuthority(dir_->File(""), "fetch");
    other_ca_ = new TestCertificateAuthority(dir_->File(""), "other");
    good_ = new TestServerCertificate(ca_->IssueServer("idp", "IP:127.0.0.1,DNS:localhost"));
    wrong_host_ = new TestServerCertificate(ca_->IssueServer("elsewhere", "DNS:idp.example"));
  }
  static void TearDownTestSuite() {
    delete wrong_host_;
    delete good_;
    delete other_ca_;
    delete ca_;
    delete dir_;
  }

  std::unique_ptr<HttpsFetcher> Fetcher(const std::string& url, std::optional<std::string> ca_file,
                                        std::size_t max_body_bytes = 4096) {
    HttpsFetcherOptions options;
    options.ca_file = std::move(ca_file);
    options.max_body_bytes = max_body_bytes;
    return Must(HttpsFetcher::Create(url, std::move(options)));
  }
  Result<FetchedDocument> Fetch(const std::string& url) {
    return Fetcher(url, ca_->ca_file())->Fetch(never_);
  }

  static TempDir* dir_;
  static TestCertificateAuthority* ca_;
  static TestCertificateAuthority* other_ca_;
  static TestServerCertificate* good_;
  static TestServerCertificate* wrong_host_;
  std::atomic<bool> never_{false};
  ScriptedHttpsServer server_{*good_};
};

TempDir* HttpsFetcherTest::dir_ = nullptr;
TestCertificateAuthority* HttpsFetcherTest::ca_ = nullptr;
TestCertificateAuthority* HttpsFetcherTest::other_ca_ = nullptr;
TestServerCertificate* HttpsFetcherTest::good_ = nullptr;
TestServerCertificate* HttpsFetcherTest::wrong_host_ = nullptr;

TEST_F(HttpsFetcherTest, FetchesJsonFromAServerThePrivateCaVouchesFor) {
  server_.SetJson(R"({"keys":[]})", "public, max-age=1234");
  auto fetched = Fetch(server_.Url());
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(fetched->body, R"({"keys":[]})");
  EXPECT_EQ(fetched->max_age_seconds, 1234);
  EXPECT_EQ(server_.requests(), 1u);

  server_.SetResponse(200, {{"content-type", "application/jwk-set+json; charset=utf-8"}}, "{}");
  fetched = Fetch(server_.LocalhostUrl());
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_FALSE(fetched->max_age_seconds);
}

TEST_F(HttpsFetcherTest, RefusesACertificateTheTrustStoreDoesNotVouchFor) {
  server_.SetJson("{}");
  // No ca_file: the system trust store, which does not know the test CA.
  auto fetched = Fetcher(server_.Url(), std::nullopt)->Fetch(never_);
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.code(), Code::kInternal);
  EXPECT_NE(fetched.error().message.find("certificate"), std::string::npos)
      << fetched.error().message;
  // A ca_file replaces the system store rather than adding to it: another CA's bundle fails.
  EXPECT_FALSE(Fetcher(server_.Url(), other_ca_->ca_file())->Fetch(never_).ok());
  EXPECT_EQ(server_.requests(), 0u);
}

TEST_F(HttpsFetcherTest, RefusesACertificateForAnotherHost) {
  ScriptedHttpsServer elsewhere(*wrong_host_);
  elsewhere.SetJson("{}");
  auto fetched = Fetch(elsewhere.Url());
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.code(), Code::kInternal);
  EXPECT_EQ(elsewhere.requests(), 0u);
}

TEST_F(HttpsFetcherTest, CapsTheBodyWhileReceivingIt) {
  const std::string fits = "\"" + std::string(4094, 'a') + "\"";
  server_.SetJson(fits);
  auto fetched = Fetch(server_.Url());
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(fetched->body.size(), 4096u);

  server_.SetJson("\"" + std::string(4095, 'a') + "\"");
  fetched = Fetch(server_.Url());
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.code(), Code::kInputTooLarge);

  // Far past the cap: aborted, not buffered (the response is 8 MiB).
  server_.SetJson(std::string(8 * 1024 * 1024, ' '));
  fetched = Fetch(server_.Url());
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.code(), Code::kInputTooLarge);
}

TEST_F(HttpsFetcherTest, CapsTheHeaderFields) {
  server_.SetResponse(
      200,
      {{"content-type", "application/json"}, {"x-padding", std::string(kMaxFetchHeaderBytes, 'p')}},
      "{}");
  auto fetched = Fetch(server_.Url());
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.code(), Code::kInputTooLarge);
}

TEST_F(HttpsFetcherTest, AcceptsOnly200) {
  for (int status : {201, 204, 404, 500, 503}) {
    server_.SetResponse(status, {{"content-type", "application/json"}}, "{}");
    auto fetched = Fetch(server_.Url());
    ASSERT_FALSE(fetched.ok()) << status;
    EXPECT_NE(fetched.error().message.find("status " + std::to_string(status)), std::string::npos)
        << fetched.error().message;
  }
}

TEST_F(HttpsFetcherTest, DoesNotFollowRedirects) {
  server_.SetResponse(302, {{"location", server_.Url("/elsewhere")}}, "");
  auto fetched = Fetch(server_.Url());
  ASSERT_FALSE(fetched.ok());
  EXPECT_NE(fetched.error().message.find("status 302"), std::string::npos);
  EXPECT_EQ(server_.requests(), 1u);
}

TEST_F(HttpsFetcherTest, AcceptsOnlyJsonMediaTypes) {
  for (const char* type : {"text/html", "text/plain", "application/jsonp", "application/x-json",
                           "application/+json", "json", ""}) {
    http::HeaderList headers;
    if (*type != '\0') headers.emplace_back("content-type", type);
    server_.SetResponse(200, headers, "{}");
    auto fetched = Fetch(server_.Url());
    EXPECT_FALSE(fetched.ok()) << type;
  }
  for (const char* type : {"application/json", "Application/JSON", "application/json;charset=utf-8",
                           "application/jwk-set+json"}) {
    server_.SetResponse(200, {{"content-type", type}}, "{}");
    auto fetched = Fetch(server_.Url());
    EXPECT_TRUE(fetched.ok()) << type << ": " << fetched.error().message;
  }
}

TEST_F(HttpsFetcherTest, GivesUpAtTheTotalTimeout) {
  server_.SetJson("{}");
  server_.SetDelay(5s);
  HttpsFetcherOptions options;
  options.ca_file = ca_->ca_file();
  options.max_body_bytes = 1024;
  options.total_timeout_seconds = 1;
  auto fetcher = Must(HttpsFetcher::Create(server_.Url(), std::move(options)));
  const auto start = std::chrono::steady_clock::now();
  auto fetched = fetcher->Fetch(never_);
  EXPECT_FALSE(fetched.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(HttpsFetcherTest, CancelAbortsAFetchInFlight) {
  server_.SetJson("{}");
  server_.SetDelay(8s);
  auto fetcher = Fetcher(server_.Url(), ca_->ca_file());
  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    server_.WaitForRequests(1, 5s);
    cancel.store(true);
  });
  const auto start = std::chrono::steady_clock::now();
  auto fetched = fetcher->Fetch(cancel);
  canceller.join();
  ASSERT_FALSE(fetched.ok());
  EXPECT_NE(fetched.error().message.find("cancelled"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
}

TEST_F(HttpsFetcherTest, CreateRefusesWhatItCannotFetchSafely) {
  HttpsFetcherOptions options;
  options.max_body_bytes = 1024;
  for (const char* url :
       {"http://idp.example/jwks", "HTTPS://idp.example/jwks", "ftp://idp.example",
        "https://user:pass@idp.example/jwks", "https://idp.example/jwks#x", "https:///jwks",
        "https://", "not a url", ""}) {
    auto created = HttpsFetcher::Create(url, options);
    ASSERT_FALSE(created.ok()) << url;
    EXPECT_EQ(created.code(), Code::kInvalidArgument) << url;
  }
  EXPECT_TRUE(HttpsFetcher::Create("https://idp.example:8443/jwks?tenant=1", options).ok());
  options.ca_file = dir_->File("absent.pem");
  EXPECT_FALSE(HttpsFetcher::Create("https://idp.example/jwks", options).ok());
  options.ca_file.reset();
  options.max_body_bytes = 0;
  EXPECT_FALSE(HttpsFetcher::Create("https://idp.example/jwks", options).ok());
  options.max_body_bytes = 1024;
  options.total_timeout_seconds = 0;
  EXPECT_FALSE(HttpsFetcher::Create("https://idp.example/jwks", options).ok());
}

TEST(CacheControlMaxAgeTest, ReadsRfc9111Directives) {
  EXPECT_EQ(CacheControlMaxAge("max-age=3600"), 3600);
  EXPECT_EQ(CacheControlMaxAge("public, max-age=600, must-revalidate"), 600);
  EXPECT_EQ(CacheControlMaxAge("MAX-AGE=60"), 60);
  EXPECT_EQ(CacheControlMaxAge("max-age=\"120\""), 120);
  EXPECT_EQ(CacheControlMaxAge(" , max-age=5 ,"), 5);
  EXPECT_EQ(CacheControlMaxAge("private=\"a, b\", max-age=7"), 7);
  EXPECT_EQ(CacheControlMaxAge("max-age=99999999999999999999999"), kMaxDeltaSeconds);
  // Must not be reused: as stale as possible.
  EXPECT_EQ(CacheControlMaxAge("no-store"), 0);
  EXPECT_EQ(CacheControlMaxAge("max-age=3600, no-cache"), 0);
  EXPECT_EQ(CacheControlMaxAge("max-age=3600, max-age=60"), 0);
  // Nothing usable.
  EXPECT_FALSE(CacheControlMaxAge(""));
  EXPECT_FALSE(CacheControlMaxAge("public"));
  EXPECT_FALSE(CacheControlMaxAge("s-maxage=60"));
  EXPECT_FALSE(CacheControlMaxAge("max-age"));
  EXPECT_FALSE(CacheControlMaxAge("max-age="));
  EXPECT_FALSE(CacheControlMaxAge("max-age=-1"));
  EXPECT_FALSE(CacheControlMaxAge("max-age=1h"));
  EXPECT_FALSE(CacheControlMaxAge("max-age=\"60"));
  EXPECT_FALSE(CacheControlMaxAge("max-age=60 junk"));
}

}  // namespace
}  // namespace ztm::server
