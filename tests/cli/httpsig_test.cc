// `ztm httpsig base|sign|verify` on the RFC 9421 Appendix B examples
// (testdata/http-message-signatures/), plus the exit-code contract.
#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "cli/run_cli.h"
#include "core/encoding.h"
#include "core/json.h"
#include "testdata.h"

namespace ztm::testing {
namespace {

namespace bj = boost::json;

// created=1618884473 in every example; verify "now" a few seconds later.
constexpr char kRfcNow[] = "1618884480";

std::string KeyPath(const std::string& file) {
  return TestdataPath("http-message-signatures/keys/" + file);
}

// The case with `id` from rfc9421_examples.json; fails the test if it is absent.
bj::object RfcCase(std::string_view id) {
  auto root = json::ParseObject(ReadTestdata("http-message-signatures/rfc9421_examples.json"));
  if (root.ok() && root->contains("cases") && root->at("cases").is_array()) {
    for (const bj::value& c : root->at("cases").get_array()) {
      if (!c.is_object()) continue;
      const bj::value* case_id = c.get_object().if_contains("id");
      if (case_id != nullptr && case_id->is_string() && case_id->get_string() == id) {
        return c.get_object();
      }
    }
  }
  ADD_FAILURE() << "no case " << id;
  return {};
}

std::string Field(const bj::object& c, const char* key) {
  const bj::value* value = c.if_contains(key);
  if (value == nullptr || !value->is_string()) {
    ADD_FAILURE() << key << " missing";
    return {};
  }
  return std::string(value->get_string());
}

// The Signature-Input member value of the case's label: what --input takes.
std::string InputParams(const bj::object& c) {
  const std::string input = Field(c, "signature_input");
  return input.substr(input.find('=') + 1);
}

// Inserts header lines before the empty line that ends the header section.
std::string WithHeaders(const std::string& message, const std::string& lines) {
  const auto end = message.find("\n\n");
  if (end == std::string::npos) return message + "\n" + lines;
  return message.substr(0, end + 1) + lines + message.substr(end + 1);
}

std::string WithoutTrailingNewline(std::string text) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// The RFC's shared HMAC secret as a file of raw bytes.
std::string HmacKeyFile() {
  std::string text = ReadTestdata("http-message-signatures/keys/test-shared-secret.txt");
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto key = Base64Decode(text);
  EXPECT_TRUE(key.ok());
  return WriteTempFile("hmac.key", std::string(AsString(*key)));
}

TEST(CliHttpSig, BaseReproducesRfcForEveryRequestExample) {
  int checked = 0;
  for (const char* id : {"rfc9421-B.2.1", "rfc9421-B.2.2", "rfc9421-B.2.3", "rfc9421-B.2.5",
                         "rfc9421-B.2.6", "rfc9421-B.3", "rfc9421-B.4-1", "rfc9421-B.4-5"}) {
    const bj::object c = RfcCase(id);
    const std::string base_key =
        c.at("signature_base").is_null() ? "derived_signature_base" : "signature_base";
    const std::string request = WriteTempFile("base.http", Field(c, "message"));
    auto run = RunCli({"httpsig", "base", "--request", request, "--label", Field(c, "label"),
                       "--input", InputParams(c)});
    EXPECT_EQ(run.exit_code, 0) << id << ": " << run.err;
    EXPECT_EQ(WithoutTrailingNewline(run.out), Field(c, base_key.c_str())) << id;
    ++checked;
  }
  EXPECT_EQ(checked, 8);
}

TEST(CliHttpSig, SignReproducesRfcEd25519AndHmacSignatures) {
  const bj::object ed25519 = RfcCase("rfc9421-B.2.6");
  const std::string request = WriteTempFile("b26.http", Field(ed25519, "message"));
  auto run = RunCli({"httpsig", "sign", "--request", request, "--label", "sig-b26", "--input",
                     InputParams(ed25519), "--key", KeyPath("test-key-ed25519.key")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "Signature-Input: " + Field(ed25519, "signature_input") +
                         "\nSignature: " + Field(ed25519, "signature") + "\n");

  const bj::object hmac = RfcCase("rfc9421-B.2.5");
  run = RunCli({"httpsig", "sign", "--request", request, "--label", "sig-b25", "--input",
                InputParams(hmac), "--key", HmacKeyFile(), "--alg", "hmac-sha256"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "Signature-Input: " + Field(hmac, "signature_input") +
                         "\nSignature: " + Field(hmac, "signature") + "\n");
}

TEST(CliHttpSig, VerifiesRfcSignedRequests) {
  const bj::object c = RfcCase("rfc9421-B.2.6");
  const std::string signed_request = WriteTempFile(
      "b26-signed.http",
      WithHeaders(Field(c, "message"), "Signature-Input: " + Field(c, "signature_input") +
                                           "\nSignature: " + Field(c, "signature") + "\n"));
  auto run = RunCli({"httpsig", "verify", "--request", signed_request, "--key",
                     KeyPath("test-key-ed25519.pem"), "--now", kRfcNow});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out,
            "valid: label=sig-b26 keyid=test-key-ed25519 alg=ed25519 created=1618884473\n");

  // Without --now the system clock is used, and no maximum age applies unless asked.
  run = RunCli(
      {"httpsig", "verify", "--request", signed_request, "--key", KeyPath("test-key-ed25519.pem")});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  run = RunCli({"httpsig", "verify", "--request", signed_request, "--key",
                KeyPath("test-key-ed25519.pem"), "--max-age", "300"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("http_sig_created_too_old"), std::string::npos) << run.err;

  // B.4: the signed message as printed, with required components and a chosen label.
  const std::string b41 = WriteTempFile("b41.http", Field(RfcCase("rfc9421-B.4-1"), "message"));
  run = RunCli({"httpsig", "verify", "--request", b41, "--label", "transform", "--key",
                KeyPath("test-key-ed25519.pem"), "--now", kRfcNow, "--require", "@method",
                "--require", "accept"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  run = RunCli({"httpsig", "verify", "--request", b41, "--key", KeyPath("test-key-ed25519.pem"),
                "--now", kRfcNow, "--require", "@target-uri"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("http_sig_required_component_missing"), std::string::npos) << run.err;
}

TEST(CliHttpSig, TamperedRequestsFail) {
  // B.4-5: method and host changed after signing.
  const std::string b45 = WriteTempFile("b45.http", Field(RfcCase("rfc9421-B.4-5"), "message"));
  auto run = RunCli({"httpsig", "verify", "--request", b45, "--key",
                     KeyPath("test-key-ed25519.pem"), "--now", kRfcNow});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("http_sig_invalid"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find('\n'), run.err.size() - 1);  // one line

  // The wrong key type: inferred as ECDSA, the Ed25519 signature fails.
  const std::string b41 = WriteTempFile("b41.http", Field(RfcCase("rfc9421-B.4-1"), "message"));
  run = RunCli({"httpsig", "verify", "--request", b41, "--key", KeyPath("test-key-ecc-p256.pem"),
                "--now", kRfcNow});
  EXPECT_EQ(run.exit_code, 1);
}

TEST(CliHttpSig, SignThenVerifyRoundTripAndBodyBinding) {
  const bj::object c = RfcCase("rfc9421-B.2.6");
  const std::string message = Field(c, "message");
  const std::string input =
      "(\"@method\" \"@target-uri\" \"content-digest\");created=1618884473;keyid=\"p256\"";
  auto sign = RunCli({"httpsig", "sign", "--request", WriteTempFile("rt.http", message), "--label",
                      "sig1", "--input", input, "--key", KeyPath("test-key-ecc-p256.key")});
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  const std::string signed_text = WithHeaders(message, sign.out);
  auto verify = RunCli(
      {"httpsig", "verify", "--request", WriteTempFile("rt-signed.http", signed_text), "--key",
       KeyPath("test-key-ecc-p256.pem"), "--now", kRfcNow, "--require", "content-digest"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(verify.out, "valid: label=sig1 keyid=p256 alg=ecdsa-p256-sha256 created=1618884473\n");

  // Same length, different body: the signature holds, the covered Content-Digest does not.
  std::string tampered = signed_text;
  tampered.replace(tampered.find("\"world\""), 7, "\"World\"");
  verify = RunCli({"httpsig", "verify", "--request", WriteTempFile("rt-body.http", tampered),
                   "--key", KeyPath("test-key-ecc-p256.pem"), "--now", kRfcNow});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_NE(verify.err.find("digest_mismatch"), std::string::npos) << verify.err;

  // A changed method breaks the signature.
  std::string method = signed_text;
  method.replace(0, 5, "PUT ");
  verify = RunCli({"httpsig", "verify", "--request", WriteTempFile("rt-method.http", method),
                   "--key", KeyPath("test-key-ecc-p256.pem"), "--now", kRfcNow});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_NE(verify.err.find("http_sig_invalid"), std::string::npos) << verify.err;
}

// Review finding 2: a Content-Digest covered with parameters (";sf", ";key", ";bs") binds the
// body as much as a plain one does.
TEST(CliHttpSig, ContentDigestWithParametersStillBindsTheBody) {
  const std::string body = "{\"amount\":1}";
  const std::string tampered_body = "{\"amount\":9999}";
  // sha-256 of {"amount":1} (RFC 9530).
  const std::string digest = "sha-256=:wrEeZX4S/RdzWWJ8qJQSAY4idNCHPPv88fxQ9oVYLp4=:";
  const std::string message = "POST /pay HTTP/1.1\nHost: example.com\nContent-Digest: " + digest +
                              "\nContent-Length: " + std::to_string(body.size()) + "\n\n" + body;
  for (const std::string component : {"\"content-digest\";sf", "\"content-digest\";key=\"sha-256\"",
                                      "\"content-digest\";bs", "\"content-digest\""}) {
    const std::string input = "(\"@method\" \"@path\" " + component + ");created=1700000000";
    auto sign =
        RunCli({"httpsig", "sign", "--request", WriteTempFile("pay.http", message), "--label",
                "sig1", "--input", input, "--key", KeyPath("test-key-ed25519.key")});
    ASSERT_EQ(sign.exit_code, 0) << component << ": " << sign.err;
    const std::string signed_text = WithHeaders(message, sign.out);
    auto verify =
        RunCli({"httpsig", "verify", "--request", WriteTempFile("pay-signed.http", signed_text),
                "--key", KeyPath("test-key-ed25519.pem"), "--now", "1700000000"});
    EXPECT_EQ(verify.exit_code, 0) << component << ": " << verify.err;
    std::string tampered = signed_text;
    tampered.replace(tampered.find(body), body.size(), tampered_body);
    tampered.replace(tampered.find("Content-Length: 12"), 18, "Content-Length: 15");
    verify = RunCli({"httpsig", "verify", "--request", WriteTempFile("pay-tampered.http", tampered),
                     "--key", KeyPath("test-key-ed25519.pem"), "--now", "1700000000"});
    EXPECT_EQ(verify.exit_code, 1) << component;
    EXPECT_NE(verify.err.find("digest_mismatch"), std::string::npos) << component << verify.err;
  }
}

TEST(CliHttpSig, InvalidInputsExitOne) {
  const std::string request =
      WriteTempFile("plain.http", Field(RfcCase("rfc9421-B.2.6"), "message"));
  // No signature in the request.
  auto run =
      RunCli({"httpsig", "verify", "--request", request, "--key", KeyPath("test-key-ed25519.pem")});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("http_sig_missing"), std::string::npos) << run.err;
  // --input that is not an inner list, a missing component, a malformed request.
  run = RunCli({"httpsig", "base", "--request", request, "--input", "\"@method\""});
  EXPECT_EQ(run.exit_code, 1);
  run = RunCli({"httpsig", "base", "--request", request, "--input", "(\"x-absent\")"});
  EXPECT_EQ(run.exit_code, 1);
  run = RunCli({"httpsig", "base", "--request", WriteTempFile("bad.http", "GET / HTTP/1.1\n\n"),
                "--input", "()"});
  EXPECT_EQ(run.exit_code, 1);
  // A key file that does not exist.
  run = RunCli({"httpsig", "sign", "--request", request, "--label", "sig1", "--input", "()",
                "--key", "/nonexistent/key.pem"});
  EXPECT_EQ(run.exit_code, 1);
}

TEST(CliHttpSig, UsageErrorsExitTwo) {
  const std::string request =
      WriteTempFile("usage.http", Field(RfcCase("rfc9421-B.2.6"), "message"));
  EXPECT_EQ(RunCli({"httpsig"}).exit_code, 2);
  EXPECT_EQ(RunCli({"httpsig", "base", "--input", "()"}).exit_code, 2);  // no --request
  EXPECT_EQ(RunCli({"httpsig", "verify", "--key", KeyPath("test-key-ed25519.pem")}).exit_code, 2);
  EXPECT_EQ(RunCli({"httpsig", "sign", "--request", request, "--label", "sig1", "--input", "()"})
                .exit_code,
            2);  // no --key
  EXPECT_EQ(RunCli({"httpsig", "verify", "--request", request, "--key",
                    KeyPath("test-key-ed25519.pem"), "--alg", "rsa-pss-sha512"})
                .exit_code,
            2);
  EXPECT_EQ(RunCli({"httpsig", "base", "--request", request, "--input", "()", "--scheme", "ftp"})
                .exit_code,
            2);
  // A raw HMAC key without --alg: the algorithm cannot be inferred.
  EXPECT_EQ(RunCli({"httpsig", "verify", "--request", request, "--key", HmacKeyFile()}).exit_code,
            2);
}

}  // namespace
}  // namespace ztm::testing
