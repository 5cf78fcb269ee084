// `ztm jwk` and `ztm jws` run as a user runs them: RFC examples, tampering, usage errors.
#include <gtest/gtest.h>

#include <string>

#include "cli/run_cli.h"
#include "testdata.h"

namespace ztm::testing {
namespace {

constexpr char kRfcPayload[] =
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}\n";

// Flips one character of the payload part of a compact JWS.
std::string TamperPayload(std::string token) {
  std::size_t at = token.find('.') + 5;
  token[at] = token[at] == 'A' ? 'B' : 'A';
  return token;
}

TEST(CliJwk, ThumbprintOfRfc8037KeyAndGeneratedKeys) {
  // RFC 8037 A.3: the Ed25519 key of A.2 has thumbprint kPrK_qmx...
  auto run =
      RunCli({"jwk", "thumbprint",
              WriteTempFile("ed.json", R"({"kty":"OKP","crv":"Ed25519",)"
                                       R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})")});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k\n");
  // A private JWK is accepted and hashed over its public members only.
  auto generated = RunCli({"jwk", "generate", "--kty", "OKP"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  EXPECT_NE(generated.out.find("\"d\":"), std::string::npos);
  auto thumb = RunCli({"jwk", "thumbprint", WriteTempFile("gen.json", generated.out)});
  EXPECT_EQ(thumb.exit_code, 0) << thumb.err;
  EXPECT_EQ(thumb.out.size(), 44u);  // 43 base64url characters and a newline
}

TEST(CliJwk, InvalidKeysAndUsage) {
  auto rsa = RunCli(
      {"jwk", "thumbprint", WriteTempFile("rsa.json", R"({"kty":"RSA","e":"AQAB","n":"AQAB"})")});
  EXPECT_EQ(rsa.exit_code, 1);
  EXPECT_NE(rsa.err.find("unsupported kty"), std::string::npos) << rsa.err;
  EXPECT_EQ(RunCli({"jwk", "thumbprint", "/nonexistent.json"}).exit_code, 1);
  EXPECT_EQ(RunCli({"jwk", "thumbprint"}).exit_code, 2);
  EXPECT_EQ(RunCli({"jwk", "generate"}).exit_code, 2);
  EXPECT_EQ(RunCli({"jwk", "generate", "--kty", "RSA"}).exit_code, 2);
}

// Review finding 6: the one stderr line never carries a control character (a terminal
// escape, a NUL, a DEL) from what the user or a sender supplied.
TEST(CliJwk, ErrorLineHasNoControlCharacters) {
  auto run = RunCli({"jwk", "thumbprint", "/nonexistent/\x1b[31mred\x07\tx\x7f\r\ny.json"});
  EXPECT_EQ(run.exit_code, 1);
  ASSERT_FALSE(run.err.empty());
  EXPECT_EQ(run.err.find('\n'), run.err.size() - 1) << run.err;
  for (std::size_t i = 0; i + 1 < run.err.size(); ++i) {
    const char c = run.err[i];
    EXPECT_TRUE(c >= 0x20 && c != 0x7f) << "byte " << static_cast<int>(c) << " at " << i;
  }
  EXPECT_NE(run.err.find("?[31mred??x??"), std::string::npos) << run.err;
  // A JWK's own text is bounded and escaped before it reaches the message.
  auto hostile = RunCli({"jwk", "thumbprint",
                         WriteTempFile("hostile.json", R"({"kty":"\u001b]0;pwned\u0007)" +
                                                           std::string(3000, 'K') + R"("})")});
  EXPECT_EQ(hostile.exit_code, 1);
  EXPECT_LT(hostile.err.size(), 300u) << hostile.err.substr(0, 400);
  EXPECT_EQ(hostile.err.find('\x1b'), std::string::npos);
}

TEST(CliJws, Rfc7515A3Es256) {
  const std::string jwk = TestdataPath("rfc/rfc7515_a3.jwk.json");
  const std::string token = ReadTestdata("rfc/rfc7515_a3.jws");
  auto run = RunCli({"jws", "verify", "--jwk", jwk, "--alg", "ES256"}, token + "\n");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, kRfcPayload);
  auto tampered = RunCli({"jws", "verify", "--jwk", jwk, "--alg", "ES256"}, TamperPayload(token));
  EXPECT_EQ(tampered.exit_code, 1);
  EXPECT_EQ(tampered.err, "ztm: jws: signature is not valid\n");
  EXPECT_TRUE(tampered.out.empty());
  // The token says ES256; a verifier for EdDSA cannot use an EC key at all.
  EXPECT_EQ(RunCli({"jws", "verify", "--jwk", jwk, "--alg", "EdDSA"}, token).exit_code, 1);
}

TEST(CliJws, Rfc7515A1Hs256AndNow) {
  const std::string jwk = TestdataPath("rfc/rfc7515_a1.jwk.json");
  const std::string token = ReadTestdata("rfc/rfc7515_a1.jws");
  auto run = RunCli({"jws", "verify", "--jwk", jwk, "--alg", "HS256"}, token);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, kRfcPayload);
  // exp is 1300819380: valid one second before, expired at that instant.
  EXPECT_EQ(RunCli({"jws", "verify", "--jwk", jwk, "--alg", "HS256", "--now", "1300819379"}, token)
                .exit_code,
            0);
  auto expired =
      RunCli({"jws", "verify", "--jwk", jwk, "--alg", "HS256", "--now", "1300819380"}, token);
  EXPECT_EQ(expired.exit_code, 1);
  EXPECT_NE(expired.err.find("expired"), std::string::npos) << expired.err;
  // HS256 with the EC key of A.3 (alg confusion) is refused.
  auto confused = RunCli(
      {"jws", "verify", "--jwk", TestdataPath("rfc/rfc7515_a3.jwk.json"), "--alg", "HS256"}, token);
  EXPECT_EQ(confused.exit_code, 1);
  // The ES256 verifier refuses the HS256 token.
  EXPECT_EQ(
      RunCli({"jws", "verify", "--jwk", TestdataPath("rfc/rfc7515_a3.jwk.json"), "--alg", "ES256"},
             token)
          .exit_code,
      1);
}

TEST(CliJws, CookbookEd25519) {
  auto jwk =
      WriteTempFile("cookbook-ed.json", R"({"kty":"OKP","crv":"Ed25519",)"
                                        R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
  const std::string token =
      "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvM"
      "g3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
  auto run = RunCli({"jws", "verify", "--jwk", jwk, "--alg", "EdDSA"}, token);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "Example of Ed25519 signing\n");
}

TEST(CliJws, MalformedInputAndUsage) {
  const std::string jwk = TestdataPath("rfc/rfc7515_a3.jwk.json");
  EXPECT_EQ(RunCli({"jws", "verify", "--jwk", jwk, "--alg", "ES256"}, "not.a.jws").exit_code, 1);
  EXPECT_EQ(RunCli({"jws", "verify", "--jwk", jwk, "--alg", "ES256"}, "").exit_code, 1);
  EXPECT_EQ(RunCli({"jws", "verify", "--jwk", jwk}).exit_code, 2);
  EXPECT_EQ(RunCli({"jws", "verify", "--alg", "ES256"}).exit_code, 2);
  EXPECT_EQ(RunCli({"jws", "verify", "--jwk", jwk, "--alg", "none"}).exit_code, 2);
  EXPECT_EQ(RunCli({"jws", "verify", "--jwk", jwk, "--alg", "RS256"}).exit_code, 2);
  EXPECT_EQ(RunCli({"jws", "verify", "--jwk", jwk, "--alg", "ES256", "--now", "soon"}).exit_code,
            2);
  auto help = RunCli({"jws", "verify", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--now"), std::string::npos);
}

}  // namespace
}  // namespace ztm::testing

namespace ztm::testing {
namespace {

// `ztm jwk pem` turns a generated JWK into PEM keys that sign and verify with `ztm httpsig`,
// and whose public half has the same thumbprint.
TEST(CliJwkPem, PrivateAndPublicPemWorkWithHttpSig) {
  auto generated = RunCli({"jwk", "generate", "--kty", "EC"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  std::string jwk = WriteTempFile("pem-device.jwk", generated.out);
  auto private_pem = RunCli({"jwk", "pem", jwk});
  ASSERT_EQ(private_pem.exit_code, 0) << private_pem.err;
  EXPECT_NE(private_pem.out.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  auto public_pem = RunCli({"jwk", "pem", "--public", jwk});
  ASSERT_EQ(public_pem.exit_code, 0) << public_pem.err;
  EXPECT_NE(public_pem.out.find("-----BEGIN PUBLIC KEY-----"), std::string::npos);
  EXPECT_EQ(public_pem.out.find("PRIVATE"), std::string::npos);

  std::string request =
      "POST /v1/orders HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 2\r\n\r\n{}";
  std::string request_file = WriteTempFile("pem-request.http", request);
  auto signed_lines = RunCli({"httpsig", "sign", "--request", request_file, "--label", "sig1",
                              "--input", R"(("@method" "@authority");created=1700000000)", "--key",
                              WriteTempFile("pem-device.key", private_pem.out)});
  ASSERT_EQ(signed_lines.exit_code, 0) << signed_lines.err;
  std::string signed_request = "POST /v1/orders HTTP/1.1\r\nHost: api.example.com\r\n" +
                               signed_lines.out + "Content-Length: 2\r\n\r\n{}";
  // Header lines from `sign` end in "\n"; normalise them to CRLF like the rest.
  std::string normalised;
  for (std::size_t i = 0; i < signed_request.size(); ++i) {
    if (signed_request[i] == '\n' && (i == 0 || signed_request[i - 1] != '\r')) normalised += '\r';
    normalised += signed_request[i];
  }
  auto verified =
      RunCli({"httpsig", "verify", "--request", WriteTempFile("pem-signed.http", normalised),
              "--key", WriteTempFile("pem-device.pub", public_pem.out), "--now", "1700000000"});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
}

TEST(CliJwkPem, OctKeyHasNoPemForm) {
  std::string oct = WriteTempFile(
      "oct.jwk",
      R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})");
  auto run = RunCli({"jwk", "pem", oct});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("oct"), std::string::npos);
}

}  // namespace
}  // namespace ztm::testing
