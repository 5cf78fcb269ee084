// RFC 9421 conformance: every example of testdata/http-message-signatures/rfc9421_examples.json
// (Appendix B.2-B.4) reproduces its signature base, verifies (or is refused, for RSA) with the
// B.1 keys, and the deterministic algorithms reproduce the RFC's signature values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "core/clock.h"
#include "core/crypto/keys.h"
#include "core/httpsig/message_signature.h"
#include "core/httpsig/rfc9421_test_keys.h"
#include "core/httpsig/signature_base.h"
#include "core/json.h"
#include "testdata.h"

namespace ztm::httpsig {
namespace {

using test_keys::kRfcCreated;
using test_keys::RfcOptions;
using test_keys::SignerFor;
using test_keys::VerifierFor;
using ::ztm::testing::ReadTestdata;

// The RFC 9421 examples file. Every attribute of every case is read; an unknown attribute
// fails the load, so a changed file cannot silently weaken the test.

struct Rfc9421Case {
  std::string id;
  std::string section;
  std::string alg;
  std::string keyid;
  std::string label;
  std::string message;
  std::string signature_input;  // the Signature-Input field value
  std::string signature;        // the Signature field value
  std::string expected;         // "valid" or "invalid"
  std::string expected_base;    // signature_base, or derived_signature_base when not printed
  std::optional<std::string> consistent_message;  // B.2.4 erratum workaround
  bool collector_verified = false;
  std::string note;
};

void PrintTo(const Rfc9421Case& c, std::ostream* os) { *os << c.id; }

struct CaseFile {
  std::vector<Rfc9421Case> cases;
  std::vector<std::string> problems;
};

const CaseFile& Rfc9421Cases() {
  static const CaseFile* const kFile = [] {
    auto* file = new CaseFile();
    auto root = json::ParseObject(ReadTestdata("http-message-signatures/rfc9421_examples.json"));
    if (!root.ok()) {
      file->problems.push_back("parse: " + root.error().message);
      return file;
    }
    for (const char* key : {"description", "keys", "cases"}) {
      if (!root->contains(key)) file->problems.push_back(std::string("missing ") + key);
    }
    for (const auto& member : *root) {
      const std::string_view key = member.key();
      if (key != "description" && key != "keys" && key != "cases") {
        file->problems.push_back("unknown top-level member " + std::string(key));
      }
    }
    const auto* cases = root->if_contains("cases");
    if (cases == nullptr || !cases->is_array()) return file;
    for (const auto& value : cases->get_array()) {
      if (!value.is_object()) {
        file->problems.push_back("case is not an object");
        continue;
      }
      const auto& object = value.get_object();
      Rfc9421Case c;
      std::optional<std::string> printed_base;
      std::optional<std::string> derived_base;
      for (const auto& member : object) {
        const std::string_view key = member.key();
        const auto& v = member.value();
        const auto text = [&](std::string* out) {
          if (!v.is_string()) {
            file->problems.push_back(std::string(key) + " is not a string");
            return;
          }
          *out = std::string(v.get_string());
        };
        std::string scratch;
        if (key == "id") {
          text(&c.id);
        } else if (key == "rfc9421_section") {
          text(&c.section);
        } else if (key == "alg") {
          text(&c.alg);
        } else if (key == "keyid") {
          text(&c.keyid);
        } else if (key == "label") {
          text(&c.label);
        } else if (key == "message") {
          text(&c.message);
        } else if (key == "signature_input") {
          text(&c.signature_input);
        } else if (key == "signature") {
          text(&c.signature);
        } else if (key == "expected") {
          text(&c.expected);
        } else if (key == "note") {
          text(&c.note);
        } else if (key == "derived_signature_base_note") {
          text(&scratch);  // prose only
        } else if (key == "signature_base") {
          if (!v.is_null()) text(&printed_base.emplace());
        } else if (key == "derived_signature_base") {
          text(&derived_base.emplace());
        } else if (key == "message_consistent_with_signature_base") {
          text(&c.consistent_message.emplace());
        } else if (key == "collector_verified_over_signature_base") {
          if (v.is_bool()) {
            c.collector_verified = v.get_bool();
          } else {
            file->problems.push_back("collector_verified_over_signature_base is not a bool");
          }
        } else {
          file->problems.push_back("unknown case member " + std::string(key));
        }
      }
      if (printed_base) {
        c.expected_base = *printed_base;
      } else if (derived_base) {
        c.expected_base = *derived_base;
      } else {
        file->problems.push_back(c.id + ": no signature base");
      }
      if (c.expected != "valid" && c.expected != "invalid") {
        file->problems.push_back(c.id + ": expected is neither valid nor invalid");
      }
      file->cases.push_back(std::move(c));
    }
    return file;
  }();
  return *kFile;
}

TEST(HttpSigConformance, LoadsEveryRfc9421Example) {
  const auto& file = Rfc9421Cases();
  for (const auto& problem : file.problems) ADD_FAILURE() << problem;
  // B.2.1-B.2.6, B.3 and B.4-1..6: a missing or truncated file must fail here.
  EXPECT_EQ(file.cases.size(), 13u);
}

// Parses a case's message: a response when it starts with a status line.
struct ParsedMessage {
  std::optional<HttpRequest> request;
  std::optional<HttpResponse> response;
  HttpFields& fields() { return request ? request->fields : response->fields; }
  HttpMessageView view() const {
    return request ? HttpMessageView(*request) : HttpMessageView(*response);
  }
};

ParsedMessage Parse(const std::string& text) {
  ParsedMessage parsed;
  if (text.rfind("HTTP/", 0) == 0) {
    auto response = ParseHttpResponse(text);
    EXPECT_TRUE(response.ok()) << response.error().message;
    if (response.ok()) parsed.response = std::move(response).value();
  } else {
    auto request = ParseHttpRequest(text, "https");
    EXPECT_TRUE(request.ok()) << request.error().message;
    if (request.ok()) parsed.request = std::move(request).value();
  }
  return parsed;
}

sf::InnerList InputOf(const Rfc9421Case& c) {
  auto dictionary = sf::ParseDictionary(c.signature_input);
  EXPECT_TRUE(dictionary.ok());
  const auto* member = dictionary.ok() ? sf::FindMember(*dictionary, c.label) : nullptr;
  const auto* list = member ? std::get_if<sf::InnerList>(member) : nullptr;
  EXPECT_NE(list, nullptr) << c.id;
  return list ? *list : sf::InnerList{};
}

class HttpSigConformanceTest : public ::testing::TestWithParam<Rfc9421Case> {};

TEST_P(HttpSigConformanceTest, SignatureBaseReproducesRfc) {
  const Rfc9421Case& c = GetParam();
  const sf::InnerList input = InputOf(c);
  ParsedMessage printed = Parse(c.message);
  if (printed.request == std::nullopt && printed.response == std::nullopt) return;
  if (c.consistent_message) {
    // B.2.4: the message as printed does not give the printed base (RFC erratum).
    auto base = BuildSignatureBase(printed.view(), input);
    ASSERT_TRUE(base.ok()) << base.error().message;
    EXPECT_NE(*base, c.expected_base);
    printed = Parse(*c.consistent_message);
  }
  auto base = BuildSignatureBase(printed.view(), input);
  ASSERT_TRUE(base.ok()) << base.error().message;
  EXPECT_EQ(*base, c.expected_base);
}

TEST_P(HttpSigConformanceTest, VerifiesWithTheRfcKeysOrRefusesTheAlgorithm) {
  const Rfc9421Case& c = GetParam();
  ParsedMessage message = Parse(c.consistent_message.value_or(c.message));
  if (message.request == std::nullopt && message.response == std::nullopt) return;
  // B.2.x give the unsigned message and the two field values separately.
  if (!message.fields().Contains("signature-input")) {
    ASSERT_TRUE(message.fields().Add("Signature-Input", c.signature_input).ok());
    ASSERT_TRUE(message.fields().Add("Signature", c.signature).ok());
  }
  const FixedClock clock(kRfcCreated + 5);

  auto algorithm = ParseHttpSigAlgorithm(c.alg);
  if (!algorithm.ok()) {
    // RSA and RSA-PSS are outside ztm's algorithm set: refused by name, and their keys are
    // not loadable as ztm keys. A verifier for another algorithm fails such a signature.
    EXPECT_EQ(algorithm.code(), Code::kHttpSigAlgUnsupported) << c.alg;
    EXPECT_EQ(c.alg.rfind("rsa-", 0), 0u) << c.alg;
    EXPECT_FALSE(
        crypto::PublicKey::FromPem(ReadTestdata("http-message-signatures/keys/" + c.keyid + ".pem"))
            .ok());
    auto verifier = VerifierFor(HttpSigAlgorithm::kEd25519, "test-key-ed25519", RfcOptions(&clock));
    ASSERT_TRUE(verifier.ok());
    EXPECT_EQ(verifier->Verify(message.view(), c.label).code(), Code::kHttpSigInvalid);
    return;
  }

  auto verifier = VerifierFor(*algorithm, c.keyid, RfcOptions(&clock));
  ASSERT_TRUE(verifier.ok()) << verifier.error().message;
  auto verified = verifier->Verify(message.view(), c.label);
  if (c.expected == "valid") {
    ASSERT_TRUE(verified.ok()) << verified.error().message;
    EXPECT_EQ(verified->label(), c.label);
    EXPECT_EQ(verified->keyid(), c.keyid);
    EXPECT_EQ(verified->created(), kRfcCreated);
    EXPECT_EQ(verified->algorithm(), *algorithm);
    EXPECT_EQ(verified->covered_components(), InputOf(c).items);
  } else {
    EXPECT_EQ(verified.code(), Code::kHttpSigInvalid);
  }
}

TEST_P(HttpSigConformanceTest, SigningReproducesDeterministicSignatures) {
  const Rfc9421Case& c = GetParam();
  auto algorithm = ParseHttpSigAlgorithm(c.alg);
  if (!algorithm.ok()) {
    // No RSA signer can exist: the RFC's RSA private keys do not load as ztm keys.
    EXPECT_FALSE(crypto::PrivateKey::FromPem(
                     ReadTestdata("http-message-signatures/keys/" + c.keyid + ".key"))
                     .ok());
    return;
  }
  ParsedMessage message = Parse(c.consistent_message.value_or(c.message));
  if (message.request == std::nullopt && message.response == std::nullopt) return;
  auto signer = SignerFor(*algorithm, c.keyid);
  ASSERT_TRUE(signer.ok()) << signer.error().message;
  auto fields = signer->Sign(message.view(), c.label, InputOf(c));
  ASSERT_TRUE(fields.ok()) << fields.error().message;
  EXPECT_EQ(fields->signature_input, c.signature_input);
  if (c.expected == "invalid") {
    // B.4-5/6 changed covered parts: signing them gives another value than the one carried.
    ASSERT_NE(*algorithm, HttpSigAlgorithm::kEcdsaP256Sha256);
    EXPECT_NE(fields->signature, c.signature);
  } else if (*algorithm == HttpSigAlgorithm::kEcdsaP256Sha256) {
    // ECDSA is randomized: check the fresh signature verifies instead.
    ParsedMessage fresh = Parse(c.consistent_message.value_or(c.message));
    HttpFields without_signature;
    for (const auto& line : fresh.fields().lines()) {
      if (line.name != "signature" && line.name != "signature-input") {
        ASSERT_TRUE(without_signature.Add(line.name, line.value).ok());
      }
    }
    ASSERT_TRUE(without_signature.Add("Signature-Input", fields->signature_input).ok());
    ASSERT_TRUE(without_signature.Add("Signature", fields->signature).ok());
    fresh.fields() = without_signature;
    const FixedClock clock(kRfcCreated);
    auto verifier = VerifierFor(*algorithm, c.keyid, RfcOptions(&clock));
    ASSERT_TRUE(verifier.ok());
    EXPECT_TRUE(verifier->Verify(fresh.view()).ok());
  } else {
    // Ed25519 and HMAC are deterministic: the RFC's value, byte for byte (B.2.5, B.2.6, B.4).
    EXPECT_EQ(fields->signature, c.signature);
  }
}

std::string CaseName(const ::testing::TestParamInfo<Rfc9421Case>& info) {
  std::string name = info.param.id.substr(info.param.id.find('-') + 1);
  std::replace_if(
      name.begin(), name.end(),
      [](char ch) { return !std::isalnum(static_cast<unsigned char>(ch)); }, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Rfc9421, HttpSigConformanceTest, ::testing::ValuesIn(Rfc9421Cases().cases),
                         CaseName);

}  // namespace
}  // namespace ztm::httpsig
