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

// Review finding 1: a proof made for "https://api.exa:mple.com/x" (Boost.URL reads a port
// "mple.com" and a rootless path) once verified for https://api.example.com/x.
TEST(CliDpop, ProofForAMalformedPortDoesNotVerifyForAnotherHost) {
  auto key = RunCli({"jwk", "generate", "--kty", "EC"});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  const std::string jwk = WriteTempFile("dpop-port.json", key.out);
  auto create = RunCli({"dpop", "create", "--jwk", jwk, "--htm", "GET", "--htu",
                        "https://api.exa:mple.com/x", "--now", "1700000000"});
  EXPECT_EQ(create.exit_code, 1);
  EXPECT_NE(create.err.find("port"), std::string::npos) << create.err;
  auto verify = RunCli({"dpop", "verify", "--htm", "GET", "--htu", "https://api.exa:mple.com/x",
                        "--now", "1700000000"},
                       "x.y.z");
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_NE(verify.err.find("port"), std::string::npos) << verify.err;
  EXPECT_EQ(RunCli({"dpop", "create", "--jwk", jwk, "--htm", "GET", "--htu",
                    "https://a.example:%443/b", "--now", "1700000000"})
                .exit_code,
            1);
}

// Review finding 3: without --jkt the proof key is not checked against the token; the CLI
// says so on stderr and still verifies the rest.
TEST(CliDpop, AccessTokenWithoutJktWarns) {
  bj::object e = Example(2);
  const std::string now = std::to_string(e.at("iat").as_int64());
  auto unbound = RunCli({"dpop", "verify", "--htm", "GET", "--htu", Str(e.at("htu")),
                         "--access-token", Str(e.at("access_token")), "--now", now},
                        Str(e.at("proof")));
  EXPECT_EQ(unbound.exit_code, 0) << unbound.err;
  EXPECT_EQ(unbound.out, std::string(kJkt) + "\n");
  EXPECT_EQ(unbound.err, "warning: --jkt not given; proof key not checked against the token\n");
  auto bound = RunCli({"dpop", "verify", "--htm", "GET", "--htu", Str(e.at("htu")),
                       "--access-token", Str(e.at("access_token")), "--jkt", kJkt, "--now", now},
                      Str(e.at("proof")));
  EXPECT_EQ(bound.exit_code, 0) << bound.err;
  EXPECT_EQ(bound.err, "");
  auto other_key = RunCli({"dpop", "verify", "--htm", "GET", "--htu", Str(e.at("htu")),
                           "--access-token", Str(e.at("access_token")), "--jkt",
                           "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "--now", now},
                          Str(e.at("proof")));
  EXPECT_EQ(other_key.exit_code, 1);
  // No token, no warning.
  bj::object token_request = Example(0);
  auto no_token = RunCli({"dpop", "verify", "--htm", "POST", "--htu", Str(token_request.at("htu")),
                          "--now", std::to_string(token_request.at("iat").as_int64())},
                         Str(token_request.at("proof")));
  EXPECT_EQ(no_token.exit_code, 0) << no_token.err;
  EXPECT_EQ(no_token.err, "");
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
