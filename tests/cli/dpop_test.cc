// `ztm dpop` run as a user runs it: RFC 9449 examples, create/verify round trips, failures.
#include <gtest/gtest.h>

#include <string>

#include <boost/json/value.hpp>

#include "cli/run_cli.h"
#include "core/json.h"
#include "testdata.h"

namespace ztm::testing {
namespace {

namespace bj = boost::json;

constexpr char kJkt[] = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";  // RFC 9449 Figure 9

bj::object Example(std::size_t index) {
  auto data = json::Parse(ReadTestdata("rfc/rfc9449_examples.json"), 1 << 20);
  if (!data.ok()) std::abort();
  return data->as_object().at("examples").as_array().at(index).as_object();
}

std::string Str(const bj::value& v) { return std::string(v.as_string()); }

TEST(CliDpop, Rfc9449Figure5TokenRequest) {
  bj::object e = Example(0);
  auto run = RunCli({"dpop", "verify", "--htm", "POST", "--htu", Str(e.at("htu")), "--now",
                     std::to_string(e.at("iat").as_int64()), "--jkt", kJkt},
                    Str(e.at("proof")) + "\n");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, std::string(kJkt) + "\n");
  // Same proof for another method, or much later: refused.
  EXPECT_EQ(RunCli({"dpop", "verify", "--htm", "GET", "--htu", Str(e.at("htu")), "--now",
                    std::to_string(e.at("iat").as_int64())},
                   Str(e.at("proof")))
                .exit_code,
            1);
  auto late =
      RunCli({"dpop", "verify", "--htm", "POST", "--htu", Str(e.at("htu"))}, Str(e.at("proof")));
  EXPECT_EQ(late.exit_code, 1);
  EXPECT_NE(late.err.find("iat"), std::string::npos) << late.err;
}

TEST(CliDpop, Rfc9449Figure13ResourceRequestWithAth) {
  bj::object e = Example(2);
  const std::string now = std::to_string(e.at("iat").as_int64());
  auto run = RunCli({"dpop", "verify", "--htm", "GET", "--htu", Str(e.at("htu")), "--access-token",
                     Str(e.at("access_token")), "--now", now},
                    Str(e.at("proof")));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, std::string(kJkt) + "\n");
  auto wrong_token = RunCli({"dpop", "verify", "--htm", "GET", "--htu", Str(e.at("htu")),
                             "--access-token", "stolen-elsewhere", "--now", now},
                            Str(e.at("proof")));
  EXPECT_EQ(wrong_token.exit_code, 1);
  EXPECT_NE(wrong_token.err.find("ath"), std::string::npos) << wrong_token.err;
}

TEST(CliDpop, GenerateCreateVerifyRoundTrip) {
  for (const char* kty : {"EC", "OKP"}) {
    auto key = RunCli({"jwk", "generate", "--kty", kty});
    ASSERT_EQ(key.exit_code, 0) << key.err;
    const std::string jwk = WriteTempFile(std::string("dpop-") + kty + ".json", key.out);
    auto thumbprint = RunCli({"jwk", "thumbprint", jwk});
    ASSERT_EQ(thumbprint.exit_code, 0);
    auto proof = RunCli({"dpop", "create", "--jwk", jwk, "--htm", "PUT", "--htu",
                         "https://api.example.com/items/7?x=1", "--access-token", "at-123",
                         "--nonce", "n0nce", "--now", "1700000000"});
    ASSERT_EQ(proof.exit_code, 0) << proof.err;
    auto verified =
        RunCli({"dpop", "verify", "--htm", "PUT", "--htu", "https://API.example.com:443/items/7",
                "--access-token", "at-123", "--nonce", "n0nce", "--now", "1700000030"},
               proof.out);
    EXPECT_EQ(verified.exit_code, 0) << verified.err;
    EXPECT_EQ(verified.out, thumbprint.out);
    // Tampered: one character of the claims changed.
    std::string tampered = proof.out;
    std::size_t at = tampered.find('.') + 3;
    tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
    EXPECT_EQ(RunCli({"dpop", "verify", "--htm", "PUT", "--htu", "https://api.example.com/items/7",
                      "--access-token", "at-123", "--nonce", "n0nce", "--now", "1700000030"},
                     tampered)
                  .exit_code,
              1);
    // Wrong nonce, missing nonce claim, wrong URI.
    EXPECT_EQ(RunCli({"dpop", "verify", "--htm", "PUT", "--htu", "https://api.example.com/items/7",
                      "--access-token", "at-123", "--nonce", "other", "--now", "1700000030"},
                     proof.out)
                  .exit_code,
              1);
    EXPECT_EQ(RunCli({"dpop", "verify", "--htm", "PUT", "--htu", "https://api.example.com/items/8",
                      "--access-token", "at-123", "--now", "1700000030"},
                     proof.out)
                  .exit_code,
              1);
  }
}

TEST(CliDpop, UsageErrors) {
  EXPECT_EQ(RunCli({"dpop"}).exit_code, 2);
  EXPECT_EQ(RunCli({"dpop", "verify", "--htm", "GET"}, "x").exit_code, 2);
  EXPECT_EQ(RunCli({"dpop", "verify", "--htu", "https://a.example/"}, "x").exit_code, 2);
  EXPECT_EQ(RunCli({"dpop", "create", "--htm", "GET", "--htu", "https://a.example/"}).exit_code, 2);
  // A public JWK cannot sign.
  auto public_jwk = WriteTempFile(
      "pub.json",
      R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
  EXPECT_EQ(
      RunCli({"dpop", "create", "--jwk", public_jwk, "--htm", "GET", "--htu", "https://a.example/"})
          .exit_code,
      1);
  EXPECT_EQ(RunCli({"dpop", "verify", "--htm", "GET", "--htu", "https://a.example/"}, "garbage")
                .exit_code,
            1);
}

}  // namespace
}  // namespace ztm::testing
