// The HTTP message signer and verifier: every refusal, one test per check, on a message ztm
// signs itself (the RFC 9421 B.2 test-request) with the RFC's B.1 keys.
#include "core/httpsig/message_signature.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/crypto/crypto.h"
#include "core/crypto/keys.h"
#include "core/httpsig/content_digest.h"
#include "core/httpsig/rfc9421_test_keys.h"

namespace ztm::httpsig {
namespace {

using test_keys::PrivateKeyFor;
using test_keys::PublicKeyFor;
using test_keys::SharedSecret;

constexpr std::int64_t kNow = 1700000000;
constexpr char kTestRequest[] =
    "POST /foo?param=Value&Pet=dog HTTP/1.1\n"
    "Host: example.com\n"
    "Date: Tue, 20 Apr 2021 02:07:55 GMT\n"
    "Content-Type: application/json\n"
    "Content-Digest: sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyea"
    "ldVLvRwEmTHWXvJwew==:\n"
    "Content-Length: 18\n"
    "\n"
    "{\"hello\": \"world\"}";

class HttpSigVerify : public ::testing::Test {
 protected:
  HttpSigVerify() : clock_(kNow) {}

  static HttpRequest UnsignedRequest() {
    auto request = ParseHttpRequest(kTestRequest);
    EXPECT_TRUE(request.ok());
    return std::move(request).value();
  }

  static SignatureParameters DefaultParams() {
    SignatureParameters params;
    params.components = {Component("@method"), Component("@target-uri"), Component("@authority"),
                         Component("content-digest"), Component("content-type")};
    params.created = kNow - 10;
    params.keyid = "test-key-ed25519";
    params.nonce = "n-0S6_WzA2Mj";
    params.tag = "ztm";
    return params;
  }

  // The test request signed with the B.1 Ed25519 key under label "sig1".
  static HttpRequest Signed(const SignatureParameters& params = DefaultParams(),
                            std::string_view label = "sig1") {
    HttpRequest request = UnsignedRequest();
    AddSignature(request, params, label);
    return request;
  }

  static void AddSignature(HttpRequest& request, const SignatureParameters& params,
                           std::string_view label) {
    auto signer = HttpSigner::Create(HttpSigAlgorithm::kEd25519, PrivateKeyFor("test-key-ed25519"));
    ASSERT_TRUE(signer.ok());
    auto fields = signer->Sign(request, label, params);
    ASSERT_TRUE(fields.ok()) << fields.error().message;
    ASSERT_TRUE(request.fields.Add("Signature-Input", fields->signature_input).ok());
    ASSERT_TRUE(request.fields.Add("Signature", fields->signature).ok());
  }

  // A copy of `request` with the value of every line named `name` replaced.
  static HttpRequest WithField(const HttpRequest& request, std::string_view name,
                               std::string_view value) {
    HttpRequest copy = request;
    copy.fields = HttpFields();
    for (const auto& line : request.fields.lines()) {
      EXPECT_TRUE(copy.fields.Add(line.name, line.name == name ? value : line.value).ok());
    }
    return copy;
  }

  HttpSigVerifierOptions Options() const {
    HttpSigVerifierOptions options;
    options.required_components = {Component("@method"), Component("@target-uri"),
                                   Component("content-digest")};
    options.clock = &clock_;
    return options;
  }

  Result<VerifiedSignature> Verify(const HttpRequest& request,
                                   std::optional<std::string_view> label = std::nullopt) const {
    return Verify(request, Options(), label);
  }
  Result<VerifiedSignature> Verify(const HttpRequest& request, HttpSigVerifierOptions options,
                                   std::optional<std::string_view> label = std::nullopt) const {
    auto verifier = HttpSigVerifier::Create(HttpSigAlgorithm::kEd25519,
                                            PublicKeyFor("test-key-ed25519"), std::move(options));
    EXPECT_TRUE(verifier.ok()) << verifier.error().message;
    if (!verifier.ok()) return std::move(verifier).error();
    return verifier->Verify(request, label);
  }

  FixedClock clock_;
};

TEST_F(HttpSigVerify, AcceptsAndExposesTheSignatureParameters) {
  auto verified = Verify(Signed());
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->label(), "sig1");
  EXPECT_EQ(verified->algorithm(), HttpSigAlgorithm::kEd25519);
  EXPECT_EQ(verified->created(), kNow - 10);
  EXPECT_EQ(verified->expires(), std::nullopt);
  EXPECT_EQ(verified->nonce(), "n-0S6_WzA2Mj");
  EXPECT_EQ(verified->keyid(), "test-key-ed25519");
  EXPECT_EQ(verified->tag(), "ztm");
  EXPECT_EQ(verified->alg(), std::nullopt);
  EXPECT_EQ(verified->covered_components().size(), 5u);
  EXPECT_TRUE(verified->Covers(Component("content-digest")));
  EXPECT_FALSE(verified->Covers(Component("date")));
}

TEST_F(HttpSigVerify, TypedParametersSerializeInDocumentedOrder) {
  SignatureParameters params = DefaultParams();
  params.expires = kNow + 100;
  params.include_alg = true;
  const auto list = ToInnerList(params, HttpSigAlgorithm::kEd25519);
  EXPECT_EQ(
      sf::SerializeInnerList(list).value(),
      "(\"@method\" \"@target-uri\" \"@authority\" \"content-digest\" \"content-type\")"
      ";created=1699999990;expires=1700000100;nonce=\"n-0S6_WzA2Mj\";keyid=\"test-key-ed25519\""
      ";alg=\"ed25519\";tag=\"ztm\"");
  auto verified = Verify(Signed(params));
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->alg(), "ed25519");
  EXPECT_EQ(verified->expires(), kNow + 100);
}

TEST_F(HttpSigVerify, TamperedCoveredPartsFail) {
  const HttpRequest request = Signed();
  HttpRequest method = request;
  method.method = "PUT";
  EXPECT_EQ(Verify(method).code(), Code::kHttpSigInvalid);
  HttpRequest path = request;
  path.target = "/bar?param=Value&Pet=dog";
  EXPECT_EQ(Verify(path).code(), Code::kHttpSigInvalid);
  HttpRequest query = request;
  query.target = "/foo?param=Value&Pet=cat";
  EXPECT_EQ(Verify(query).code(), Code::kHttpSigInvalid);
  HttpRequest authority = request;
  authority.authority = "attacker.example";
  EXPECT_EQ(Verify(authority).code(), Code::kHttpSigInvalid);
  HttpRequest scheme = request;
  scheme.scheme = "http";
  EXPECT_EQ(Verify(scheme).code(), Code::kHttpSigInvalid);
  EXPECT_EQ(Verify(WithField(request, "content-type", "text/plain")).code(), Code::kHttpSigInvalid);
  // An uncovered field may change (RFC 9421 B.4).
  EXPECT_TRUE(Verify(WithField(request, "date", "Wed, 21 Apr 2021 00:00:00 GMT")).ok());
}

TEST_F(HttpSigVerify, TamperedBodyIsCaughtThroughContentDigest) {
  HttpRequest request = Signed();
  request.body = ToBytes("{\"hello\": \"attacker\"}");
  // The signature covers the Content-Digest field, which binds the body: Verify checks it.
  EXPECT_EQ(Verify(request).code(), Code::kDigestMismatch);
  EXPECT_EQ(VerifyContentDigest(request.fields, request.body).code(), Code::kDigestMismatch);
  EXPECT_TRUE(VerifyContentDigest(Signed().fields, Signed().body).ok());
  // A replaced Content-Digest that matches the new body breaks the signature.
  const auto digest = ContentDigest(request.body, {DigestAlgorithm::kSha512});
  EXPECT_EQ(Verify(WithField(request, "content-digest", *digest)).code(), Code::kHttpSigInvalid);
}

// A signature that covers Content-Digest under any parameters (`sf`, `key`, `bs`) binds the
// body: Verify itself checks the digest, so a tampered body fails whatever the spelling.
TEST_F(HttpSigVerify, CoveredContentDigestBindsTheBodyWhateverItsParameters) {
  const std::vector<sf::Item> spellings = {
      Component("content-digest"),
      Component("content-digest", {{"sf", true}}),
      Component("content-digest", {{"key", std::string("sha-512")}}),
      Component("content-digest", {{"bs", true}}),
  };
  HttpSigVerifierOptions options = Options();
  options.required_components = {Component("@method"), Component("@target-uri")};
  for (const sf::Item& digest : spellings) {
    const std::string shown = sf::SerializeItem(digest).value();
    SignatureParameters params = DefaultParams();
    params.components = {Component("@method"), Component("@target-uri"), digest};
    HttpRequest request = Signed(params);
    ASSERT_TRUE(Verify(request, options).ok()) << shown;
    request.body = ToBytes("{\"hello\": \"attacker\"}");
    EXPECT_EQ(Verify(request, options).code(), Code::kDigestMismatch) << shown;
    request.body.clear();
    EXPECT_EQ(Verify(request, options).code(), Code::kDigestMismatch) << shown;
  }
}

// A Content-Digest member the verifier does not check (an unknown or deprecated algorithm)
// cannot be the only one a signature covers: the body would be bound to nothing checked.
TEST_F(HttpSigVerify, CoveredDigestMemberMustBeOneTheVerifierChecks) {
  HttpRequest request = UnsignedRequest();
  request.fields = HttpFields();
  const HttpRequest unsigned_request = UnsignedRequest();
  for (const auto& line : unsigned_request.fields.lines()) {
    const bool digest = line.name == "content-digest";
    ASSERT_TRUE(
        request.fields
            .Add(line.name, digest ? "md5=:AAAAAAAAAAAAAAAAAAAAAA==:, " + line.value : line.value)
            .ok());
  }
  SignatureParameters params = DefaultParams();
  params.components = {Component("@method"), Component("@target-uri"),
                       Component("content-digest", {{"key", std::string("md5")}})};
  AddSignature(request, params, "sig1");
  HttpSigVerifierOptions options = Options();
  options.required_components = {Component("@method")};
  EXPECT_EQ(Verify(request, options).code(), Code::kDigestUnsupportedAlgorithm);
}

// RFC 9421 §4 forbids a label twice; a Display String whose '\' was read as an escape once
// hid the first member from a comma count (review finding 4).
TEST_F(HttpSigVerify, RepeatedLabelHiddenInADisplayStringFails) {
  const HttpRequest request = Signed();
  const std::string input(request.fields.Values("signature-input").front());
  const auto result =
      Verify(WithField(request, "signature-input", "sig1=%\"\\\", " + input), "sig1");
  EXPECT_EQ(result.code(), Code::kHttpSigInputMalformed);
  const std::string signature(request.fields.Values("signature").front());
  EXPECT_EQ(Verify(WithField(request, "signature", "sig1=%\"\\\", " + signature)).code(),
            Code::kHttpSigInputMalformed);
  EXPECT_EQ(Verify(WithField(request, "signature-input", "sig1, " + input)).code(),
            Code::kHttpSigInputMalformed);
}

TEST_F(HttpSigVerify, TamperedSignatureValueFails) {
  const HttpRequest request = Signed();
  const std::string signature(request.fields.Values("signature").front());
  // Flip one base64 character of the signature.
  std::string flipped = signature;
  const auto position = flipped.find(':') + 5;
  flipped[position] = flipped[position] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Verify(WithField(request, "signature", flipped)).code(), Code::kHttpSigInvalid);
  EXPECT_EQ(Verify(WithField(request, "signature", "sig1=:AAAA:")).code(), Code::kHttpSigInvalid);
  EXPECT_EQ(Verify(WithField(request, "signature", "sig1=::")).code(), Code::kHttpSigInvalid);
}

TEST_F(HttpSigVerify, WrongKeyFails) {
  auto other = crypto::PrivateKey::Generate(crypto::KeyType::kEd25519);
  ASSERT_TRUE(other.ok());
  auto verifier =
      HttpSigVerifier::Create(HttpSigAlgorithm::kEd25519, other->public_key(), Options());
  ASSERT_TRUE(verifier.ok());
  EXPECT_EQ(verifier->Verify(Signed()).code(), Code::kHttpSigInvalid);
}

TEST_F(HttpSigVerify, AlgParameterMustNameTheVerifiersAlgorithm) {
  const HttpRequest request = Signed();
  const std::string input(request.fields.Values("signature-input").front());
  // The message cannot choose the algorithm: any other name fails before the crypto.
  for (const char* alg :
       {"hmac-sha256", "ecdsa-p256-sha256", "rsa-pss-sha512", "none", "ED25519"}) {
    const std::string forged = input + ";alg=\"" + alg + "\"";
    EXPECT_EQ(Verify(WithField(request, "signature-input", forged)).code(),
              Code::kHttpSigAlgMismatch)
        << alg;
  }
  // An ECDSA verifier refuses an ed25519-labelled signature the same way.
  SignatureParameters params = DefaultParams();
  params.include_alg = true;
  auto ecdsa = HttpSigVerifier::Create(HttpSigAlgorithm::kEcdsaP256Sha256,
                                       PublicKeyFor("test-key-ecc-p256"), Options());
  ASSERT_TRUE(ecdsa.ok());
  EXPECT_EQ(ecdsa->Verify(Signed(params)).code(), Code::kHttpSigAlgMismatch);
  // The signer refuses to label a signature with another algorithm.
  auto signer = HttpSigner::Create(HttpSigAlgorithm::kEd25519, PrivateKeyFor("test-key-ed25519"));
  ASSERT_TRUE(signer.ok());
  sf::InnerList list = ToInnerList(DefaultParams(), HttpSigAlgorithm::kEd25519);
  list.params.emplace_back("alg", std::string("hmac-sha256"));
  EXPECT_EQ(signer->Sign(UnsignedRequest(), "sig1", list).code(), Code::kHttpSigAlgMismatch);
}

TEST_F(HttpSigVerify, OnlyConfiguredAlgorithmsAndMatchingKeysAreAccepted) {
  for (const char* name :
       {"rsa-pss-sha512", "rsa-v1_5-sha256", "ecdsa-p384-sha384", "none", "", "Ed25519", "HS256"}) {
    EXPECT_EQ(ParseHttpSigAlgorithm(name).code(), Code::kHttpSigAlgUnsupported) << name;
  }
  EXPECT_EQ(ParseHttpSigAlgorithm("ecdsa-p256-sha256").value(), HttpSigAlgorithm::kEcdsaP256Sha256);
  const auto ed25519 = PublicKeyFor("test-key-ed25519");
  EXPECT_EQ(HttpSigVerifier::Create(HttpSigAlgorithm::kEcdsaP256Sha256, ed25519, Options()).code(),
            Code::kCryptoKeyTypeMismatch);
  EXPECT_EQ(HttpSigVerifier::Create(HttpSigAlgorithm::kHmacSha256, ed25519, Options()).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(
      HttpSigner::Create(HttpSigAlgorithm::kEd25519, PrivateKeyFor("test-key-ecc-p256")).code(),
      Code::kCryptoKeyTypeMismatch);
  EXPECT_EQ(HttpSigVerifier::CreateHmac(Secret(ToBytes(std::string(31, 'k'))), Options()).code(),
            Code::kCryptoKeyInvalid);
  EXPECT_EQ(HttpSigner::CreateHmac(Secret(ToBytes("short"))).code(), Code::kCryptoKeyInvalid);
}

// An `alg` parameter is sender text; a gateway looks it up to choose a verifier, and the
// error message shows it bounded and escaped.
TEST_F(HttpSigVerify, UnsupportedAlgorithmNameIsShownEscaped) {
  const auto result = ParseHttpSigAlgorithm("rsa\r\nX-Injected: 1\x1b[0m" + std::string(500, 'a'));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.code(), Code::kHttpSigAlgUnsupported);
  EXPECT_LT(result.error().message.size(), 200u);
  for (const char c : result.error().message) EXPECT_TRUE(c >= 0x20 && c < 0x7f);
  EXPECT_NE(result.error().message.find("rsa\\x0D\\x0AX-Injected: 1\\x1B[0m"), std::string::npos)
      << result.error().message;
}

TEST_F(HttpSigVerify, HmacVerifiesOnlyWithTheSameSecret) {
  auto signer = HttpSigner::CreateHmac(SharedSecret());
  ASSERT_TRUE(signer.ok());
  HttpRequest request = UnsignedRequest();
  auto fields = signer->Sign(request, "sig1", DefaultParams());
  ASSERT_TRUE(fields.ok());
  ASSERT_TRUE(request.fields.Add("Signature-Input", fields->signature_input).ok());
  ASSERT_TRUE(request.fields.Add("Signature", fields->signature).ok());
  auto good = HttpSigVerifier::CreateHmac(SharedSecret(), Options());
  ASSERT_TRUE(good.ok());
  EXPECT_TRUE(good->Verify(request).ok());
  auto other = HttpSigVerifier::CreateHmac(Secret(ToBytes(std::string(64, 'k'))), Options());
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->Verify(request).code(), Code::kHttpSigInvalid);
  // An Ed25519 verifier does not accept an HMAC signature.
  EXPECT_EQ(Verify(request).code(), Code::kHttpSigInvalid);
}

TEST_F(HttpSigVerify, MissingSignatureFieldsFail) {
  EXPECT_EQ(Verify(UnsignedRequest()).code(), Code::kHttpSigMissing);
  const HttpRequest request = Signed();
  HttpRequest no_signature = request;
  no_signature.fields = HttpFields();
  HttpRequest no_input = no_signature;
  for (const auto& line : request.fields.lines()) {
    if (line.name != "signature") {
      ASSERT_TRUE(no_signature.fields.Add(line.name, line.value).ok());
    }
    if (line.name != "signature-input") {
      ASSERT_TRUE(no_input.fields.Add(line.name, line.value).ok());
    }
  }
  EXPECT_EQ(Verify(no_signature).code(), Code::kHttpSigMissing);
  EXPECT_EQ(Verify(no_input).code(), Code::kHttpSigMissing);
}

TEST_F(HttpSigVerify, LabelSelection) {
  HttpRequest request = Signed();
  EXPECT_EQ(Verify(request, "sig2").code(), Code::kHttpSigLabelNotFound);
  EXPECT_TRUE(Verify(request, "sig1").ok());
  // A second signature: now the label must be named.
  SignatureParameters second = DefaultParams();
  second.tag = "other";
  AddSignature(request, second, "proxy");
  EXPECT_EQ(Verify(request).code(), Code::kHttpSigLabelNotFound);
  auto sig1 = Verify(request, "sig1");
  ASSERT_TRUE(sig1.ok()) << sig1.error().message;
  EXPECT_EQ(sig1->tag(), "ztm");
  auto proxy = Verify(request, "proxy");
  ASSERT_TRUE(proxy.ok()) << proxy.error().message;
  EXPECT_EQ(proxy->tag(), "other");
  // PeekSignatureInput tells which key to use before verifying.
  auto peek = PeekSignatureInput(request, "proxy");
  ASSERT_TRUE(peek.ok());
  EXPECT_EQ(peek->keyid, "test-key-ed25519");
  EXPECT_EQ(PeekSignatureInput(request).code(), Code::kHttpSigLabelNotFound);
}

TEST_F(HttpSigVerify, TimeChecks) {
  SignatureParameters expired = DefaultParams();
  expired.created = kNow - 200;
  expired.expires = kNow - 100;
  EXPECT_EQ(Verify(Signed(expired)).code(), Code::kHttpSigExpired);
  // Within the clock skew an expiry just passed is tolerated; past it, not.
  expired.expires = kNow - kDefaultClockSkewSeconds + 1;
  EXPECT_TRUE(Verify(Signed(expired)).ok());
  expired.expires = kNow - kDefaultClockSkewSeconds;
  EXPECT_EQ(Verify(Signed(expired)).code(), Code::kHttpSigExpired);

  SignatureParameters future = DefaultParams();
  future.created = kNow + kDefaultClockSkewSeconds + 1;
  EXPECT_EQ(Verify(Signed(future)).code(), Code::kHttpSigCreatedInFuture);
  future.created = kNow + kDefaultClockSkewSeconds;
  EXPECT_TRUE(Verify(Signed(future)).ok());

  SignatureParameters old = DefaultParams();
  old.created = kNow - kDefaultMaxAgeSeconds - 1;
  EXPECT_EQ(Verify(Signed(old)).code(), Code::kHttpSigCreatedTooOld);
  old.created = kNow - kDefaultMaxAgeSeconds;
  EXPECT_TRUE(Verify(Signed(old)).ok());
  // The age check can be switched off, visibly.
  old.created = kNow - 100000;
  HttpSigVerifierOptions no_age = Options();
  no_age.max_age_seconds = std::nullopt;
  EXPECT_TRUE(Verify(Signed(old), no_age).ok());

  // expires before created: the signer refuses it, and so does the verifier.
  SignatureParameters inverted = DefaultParams();
  inverted.expires = kNow - 20;
  auto signer = HttpSigner::Create(HttpSigAlgorithm::kEd25519, PrivateKeyFor("test-key-ed25519"));
  ASSERT_TRUE(signer.ok());
  EXPECT_EQ(signer->Sign(UnsignedRequest(), "sig1", inverted).code(), Code::kHttpSigInputMalformed);
  const HttpRequest request = Signed();
  const std::string input(request.fields.Values("signature-input").front());
  EXPECT_EQ(Verify(WithField(request, "signature-input", input + ";expires=1")).code(),
            Code::kHttpSigInputMalformed);
}

TEST_F(HttpSigVerify, RequiredParameters) {
  SignatureParameters no_created = DefaultParams();
  no_created.created.reset();
  EXPECT_EQ(Verify(Signed(no_created)).code(), Code::kHttpSigParameterMissing);
  HttpSigVerifierOptions lax = Options();
  lax.require_created = false;
  EXPECT_EQ(Verify(Signed(no_created), lax).code(), Code::kHttpSigParameterMissing);  // max age
  lax.max_age_seconds = std::nullopt;
  EXPECT_TRUE(Verify(Signed(no_created), lax).ok());

  SignatureParameters no_nonce = DefaultParams();
  no_nonce.nonce.reset();
  HttpSigVerifierOptions nonce = Options();
  nonce.require_nonce = true;
  EXPECT_EQ(Verify(Signed(no_nonce), nonce).code(), Code::kHttpSigParameterMissing);
  EXPECT_TRUE(Verify(Signed(), nonce).ok());

  HttpSigVerifierOptions tag = Options();
  tag.required_tag = "ztm";
  EXPECT_TRUE(Verify(Signed(), tag).ok());
  tag.required_tag = "another-app";
  EXPECT_EQ(Verify(Signed(), tag).code(), Code::kHttpSigTagMismatch);
  SignatureParameters no_tag = DefaultParams();
  no_tag.tag.reset();
  tag.required_tag = "ztm";
  EXPECT_EQ(Verify(Signed(no_tag), tag).code(), Code::kHttpSigTagMismatch);

  HttpSigVerifierOptions keyid = Options();
  keyid.required_keyid = "another-key";
  EXPECT_EQ(Verify(Signed(), keyid).code(), Code::kHttpSigKeyIdMismatch);
}

TEST_F(HttpSigVerify, RequiredComponentsMustBeCovered) {
  SignatureParameters partial = DefaultParams();
  partial.components = {Component("@method"), Component("@target-uri")};
  EXPECT_EQ(Verify(Signed(partial)).code(), Code::kHttpSigRequiredComponentMissing);
  // A component with parameters is a different identifier.
  HttpSigVerifierOptions options = Options();
  options.required_components.push_back(Component("content-digest", {{"sf", true}}));
  EXPECT_EQ(Verify(Signed(), options).code(), Code::kHttpSigRequiredComponentMissing);
}

TEST_F(HttpSigVerify, ReceivedComponentListIsCheckedLikeTheSigners) {
  const HttpRequest request = Signed();
  const auto forge = [&](std::string_view input) {
    return Verify(WithField(request, "signature-input", input)).code();
  };
  EXPECT_EQ(forge("sig1=(\"@method\" \"@method\" \"@target-uri\" \"content-digest\");created=" +
                  std::to_string(kNow)),
            Code::kHttpSigComponentDuplicate);
  EXPECT_EQ(forge("sig1=(\"@method\" \"@target-uri\" \"content-digest\" \"x-absent\");created=" +
                  std::to_string(kNow)),
            Code::kHttpSigComponentMissing);
  EXPECT_EQ(forge("sig1=(\"@method\" \"@target-uri\" \"content-digest\" \"@bogus\");created=" +
                  std::to_string(kNow)),
            Code::kHttpSigComponentInvalid);
}

TEST_F(HttpSigVerify, MalformedSignatureFieldsFail) {
  const HttpRequest request = Signed();
  const std::string input(request.fields.Values("signature-input").front());
  const std::string signature(request.fields.Values("signature").front());
  const auto with = [&](std::string_view new_input, std::string_view new_signature) {
    return Verify(WithField(WithField(request, "signature-input", new_input), "signature",
                            new_signature))
        .code();
  };
  EXPECT_EQ(with("sig1=(", signature), Code::kHttpSigInputMalformed);            // not SF
  EXPECT_EQ(with("sig1=\"@method\"", signature), Code::kHttpSigInputMalformed);  // not a list
  EXPECT_EQ(with("sig1=(@method);created=1", signature), Code::kHttpSigInputMalformed);  // token
  EXPECT_EQ(with("sig1=(\"@method\");created=\"1\"", signature), Code::kHttpSigInputMalformed);
  EXPECT_EQ(with("sig1=(\"@method\");created=-1", signature), Code::kHttpSigInputMalformed);
  EXPECT_EQ(with("sig1=(\"@method\");keyid=k", signature), Code::kHttpSigInputMalformed);
  EXPECT_EQ(with(input, "sig1=\"AAAA\""), Code::kHttpSigInputMalformed);  // not a byte sequence
  EXPECT_EQ(with(input, "sig1=(:AAAA:)"), Code::kHttpSigInputMalformed);
  // A label repeated in one field (SF would let the last one win; RFC 9421 §4 forbids it).
  EXPECT_EQ(with(input + ", " + input, signature), Code::kHttpSigInputMalformed);
  EXPECT_EQ(with(input, signature + ", " + signature), Code::kHttpSigInputMalformed);
  // ... also across two field lines.
  HttpRequest two_lines = request;
  ASSERT_TRUE(two_lines.fields.Add("Signature-Input", input).ok());
  EXPECT_EQ(Verify(two_lines).code(), Code::kHttpSigInputMalformed);
  // Labels present in only one of the two fields.
  EXPECT_EQ(with(input + ", other=()", signature), Code::kHttpSigInputMalformed);
  EXPECT_EQ(with(input, signature + ", other=:AAAA:"), Code::kHttpSigInputMalformed);
  // Commas inside Strings do not count as members.
  EXPECT_EQ(with(input + ";x=\"a, b\\\", c\"", signature), Code::kHttpSigInvalid);
}

TEST_F(HttpSigVerify, OversizeInputsFail) {
  const HttpRequest request = Signed();
  const std::string signature(request.fields.Values("signature").front());
  // More labels than kMaxSignaturesPerMessage.
  std::string inputs;
  std::string signatures;
  for (std::size_t i = 0; i <= kMaxSignaturesPerMessage; ++i) {
    if (i > 0) {
      inputs += ", ";
      signatures += ", ";
    }
    inputs += "s" + std::to_string(i) + "=()";
    signatures += "s" + std::to_string(i) + "=:AAAA:";
  }
  EXPECT_EQ(
      Verify(WithField(WithField(request, "signature-input", inputs), "signature", signatures),
             "s0")
          .code(),
      Code::kInputTooLarge);
  // More covered components than kMaxCoveredComponents.
  std::string many = "sig1=(";
  for (std::size_t i = 0; i <= kMaxCoveredComponents; ++i) {
    many += "\"@query-param\";name=\"p" + std::to_string(i) + "\" ";
  }
  many += "\"@method\" \"@target-uri\" \"content-digest\");created=" + std::to_string(kNow);
  EXPECT_EQ(Verify(WithField(request, "signature-input", many)).code(), Code::kInputTooLarge);
  // Signature fields cannot outgrow the header bound (which equals sf::kMaxFieldBytes).
  HttpRequest big = request;
  const std::string chunk = "x=\"" + std::string(30000, 'a') + "\"";
  ASSERT_TRUE(big.fields.Add("Signature-Input", chunk).ok());
  EXPECT_EQ(big.fields.Add("Signature-Input", chunk + chunk).code(), Code::kInputTooLarge);
}

TEST_F(HttpSigVerify, OptionsAreValidatedAtCreation) {
  const auto key = PublicKeyFor("test-key-ed25519");
  const auto create = [&](HttpSigVerifierOptions options) {
    return HttpSigVerifier::Create(HttpSigAlgorithm::kEd25519, key, std::move(options)).code();
  };
  HttpSigVerifierOptions options = Options();
  options.clock = nullptr;
  EXPECT_EQ(create(options), Code::kInvalidArgument);
  options = Options();
  options.clock_skew_seconds = kMaxClockSkewSeconds + 1;
  EXPECT_EQ(create(options), Code::kInvalidArgument);
  options.clock_skew_seconds = -1;
  EXPECT_EQ(create(options), Code::kInvalidArgument);
  options = Options();
  options.max_age_seconds = 0;
  EXPECT_EQ(create(options), Code::kInvalidArgument);
  options = Options();
  options.required_components = {};
  EXPECT_EQ(create(options), Code::kInvalidArgument);
  options.allow_no_required_components = true;
  EXPECT_TRUE(HttpSigVerifier::Create(HttpSigAlgorithm::kEd25519, key, options).ok());
  options.required_components = {sf::Item{sf::Token{"x"}, {}}};
  EXPECT_EQ(create(options), Code::kInvalidArgument);
}

TEST_F(HttpSigVerify, SignerRefusesBadLabels) {
  auto signer = HttpSigner::Create(HttpSigAlgorithm::kEd25519, PrivateKeyFor("test-key-ed25519"));
  ASSERT_TRUE(signer.ok());
  for (const std::string& label : {std::string(""), std::string("Sig1"), std::string("1sig"),
                                   std::string("sig 1"), std::string(kMaxLabelBytes + 1, 'a')}) {
    EXPECT_EQ(signer->Sign(UnsignedRequest(), label, DefaultParams()).code(),
              Code::kInvalidArgument)
        << label;
  }
  EXPECT_TRUE(signer->Sign(UnsignedRequest(), "*sig_1.a-b", DefaultParams()).ok());
}

TEST_F(HttpSigVerify, SignsAndVerifiesResponsesBoundToTheirRequest) {
  auto response =
      ParseHttpResponse("HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Length: 2\n\n{}");
  ASSERT_TRUE(response.ok());
  response->request = Signed();
  SignatureParameters params;
  params.components = {Component("@status"), Component("content-type"),
                       Component("@method", {{"req", true}}),
                       Component("signature", {{"req", true}, {"key", std::string("sig1")}})};
  params.created = kNow;
  auto signer =
      HttpSigner::Create(HttpSigAlgorithm::kEcdsaP256Sha256, PrivateKeyFor("test-key-ecc-p256"));
  ASSERT_TRUE(signer.ok());
  auto fields = signer->Sign(*response, "resp", params);
  ASSERT_TRUE(fields.ok()) << fields.error().message;
  ASSERT_TRUE(response->fields.Add("Signature-Input", fields->signature_input).ok());
  ASSERT_TRUE(response->fields.Add("Signature", fields->signature).ok());

  HttpSigVerifierOptions options = Options();
  options.required_components = {
      Component("@status"), Component("signature", {{"key", std::string("sig1")}, {"req", true}})};
  auto verifier = HttpSigVerifier::Create(HttpSigAlgorithm::kEcdsaP256Sha256,
                                          PublicKeyFor("test-key-ecc-p256"), options);
  ASSERT_TRUE(verifier.ok());
  EXPECT_TRUE(verifier->Verify(*response).ok());
  // The same response presented for another request fails.
  HttpResponse replayed = *response;
  SignatureParameters other = DefaultParams();
  other.nonce = "another";
  replayed.request = Signed(other);
  EXPECT_EQ(verifier->Verify(replayed).code(), Code::kHttpSigInvalid);
}

// Responses: a covered Content-Digest binds the response body, and a covered
// "content-digest";req binds the related request's body.
TEST_F(HttpSigVerify, ResponseContentDigestBindsTheBodies) {
  auto response = ParseHttpResponse(
      "HTTP/1.1 200 OK\nContent-Type: application/json\n"
      "Content-Digest: sha-256=:z0bm/K2/kBiAHdTk/FHlB2NyoHqaTdzCA9k+jeJ0ezA=:\n"
      "Content-Length: 23\n\n{\"message\": \"good dog\"}");
  ASSERT_TRUE(response.ok()) << response.error().message;
  ASSERT_TRUE(VerifyContentDigest(response->fields, response->body).ok());
  response->request = Signed();
  SignatureParameters params;
  params.components = {Component("@status"), Component("content-digest"),
                       Component("content-digest", {{"req", true}})};
  params.created = kNow;
  auto signer =
      HttpSigner::Create(HttpSigAlgorithm::kEcdsaP256Sha256, PrivateKeyFor("test-key-ecc-p256"));
  ASSERT_TRUE(signer.ok());
  auto fields = signer->Sign(*response, "resp", params);
  ASSERT_TRUE(fields.ok()) << fields.error().message;
  ASSERT_TRUE(response->fields.Add("Signature-Input", fields->signature_input).ok());
  ASSERT_TRUE(response->fields.Add("Signature", fields->signature).ok());
  HttpSigVerifierOptions options = Options();
  options.required_components = {Component("@status")};
  auto verifier = HttpSigVerifier::Create(HttpSigAlgorithm::kEcdsaP256Sha256,
                                          PublicKeyFor("test-key-ecc-p256"), options);
  ASSERT_TRUE(verifier.ok());
  ASSERT_TRUE(verifier->Verify(*response).ok());
  HttpResponse tampered = *response;
  tampered.body = ToBytes("{\"message\": \"bad dog!\"}");
  EXPECT_EQ(verifier->Verify(tampered).code(), Code::kDigestMismatch);
  HttpResponse tampered_request = *response;
  tampered_request.request->body = ToBytes("{\"hello\": \"attacker\"}");
  EXPECT_EQ(verifier->Verify(tampered_request).code(), Code::kDigestMismatch);
}

// Only where the body is not available (a gateway that sees headers only) may the digest
// check be switched off, by name; the caller then checks the digest itself.
TEST_F(HttpSigVerify, ContentDigestCheckCanBeSwitchedOffExplicitly) {
  HttpRequest request = Signed();
  request.body.clear();
  EXPECT_EQ(Verify(request).code(), Code::kDigestMismatch);
  HttpSigVerifierOptions headers_only = Options();
  headers_only.verify_content_digest = false;
  EXPECT_TRUE(Verify(request, headers_only).ok());
  // The signature itself is still checked.
  EXPECT_EQ(Verify(WithField(request, "content-digest", "sha-256=:AAAA:"), headers_only).code(),
            Code::kHttpSigInvalid);
  // A signature that does not cover Content-Digest makes no claim about the body.
  SignatureParameters no_digest = DefaultParams();
  no_digest.components = {Component("@method"), Component("@target-uri")};
  HttpRequest unbound = Signed(no_digest);
  unbound.body = ToBytes("anything");
  HttpSigVerifierOptions options = Options();
  options.required_components = {Component("@method")};
  EXPECT_TRUE(Verify(unbound, options).ok());
}

// P-256's group order n, big-endian.
constexpr std::uint8_t kP256Order[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};

// (r, s) -> (r, n - s): the other valid ECDSA signature over the same base.
Bytes Malleate(const Bytes& signature) {
  EXPECT_EQ(signature.size(), 64u);
  Bytes out = signature;
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int difference = kP256Order[i] - signature[32 + i] - borrow;
    borrow = difference < 0 ? 1 : 0;
    out[32 + i] = static_cast<std::uint8_t>(difference + (borrow ? 256 : 0));
  }
  EXPECT_EQ(borrow, 0);
  return out;
}

// The replay-cache key: the base hash is the same for both encodings of an ECDSA signature
// over one base, which the signature bytes are not.
TEST_F(HttpSigVerify, SignatureBaseHashIsStableAcrossMalleatedEcdsaSignatures) {
  auto signer =
      HttpSigner::Create(HttpSigAlgorithm::kEcdsaP256Sha256, PrivateKeyFor("test-key-ecc-p256"));
  ASSERT_TRUE(signer.ok());
  HttpRequest request = UnsignedRequest();
  auto fields = signer->Sign(request, "sig1", DefaultParams());
  ASSERT_TRUE(fields.ok()) << fields.error().message;
  ASSERT_TRUE(request.fields.Add("Signature-Input", fields->signature_input).ok());
  ASSERT_TRUE(request.fields.Add("Signature", fields->signature).ok());
  auto verifier = HttpSigVerifier::Create(HttpSigAlgorithm::kEcdsaP256Sha256,
                                          PublicKeyFor("test-key-ecc-p256"), Options());
  ASSERT_TRUE(verifier.ok());
  auto original = verifier->Verify(request);
  ASSERT_TRUE(original.ok()) << original.error().message;

  auto parsed = sf::ParseDictionary(fields->signature);
  ASSERT_TRUE(parsed.ok());
  const Bytes signature = std::get<Bytes>(std::get<sf::Item>(parsed->front().second).value);
  const Bytes malleated = Malleate(signature);
  ASSERT_NE(malleated, signature);
  auto malleated_field = sf::SerializeDictionary({{"sig1", sf::Item{malleated, {}}}});
  ASSERT_TRUE(malleated_field.ok());
  auto twin = verifier->Verify(WithField(request, "signature", *malleated_field));
  ASSERT_TRUE(twin.ok()) << twin.error().message;

  const auto base =
      BuildSignatureBase(request, ToInnerList(DefaultParams(), HttpSigAlgorithm::kEcdsaP256Sha256));
  ASSERT_TRUE(base.ok());
  EXPECT_EQ(original->signature_base_hash(), crypto::Sha256(*base));
  EXPECT_EQ(original->signature_base_hash().size(), 32u);
  EXPECT_EQ(twin->signature_base_hash(), original->signature_base_hash());
  // A second, independently randomized signature over the same base: same hash too.
  auto again = signer->Sign(UnsignedRequest(), "sig1", DefaultParams());
  ASSERT_TRUE(again.ok());
  ASSERT_NE(again->signature, fields->signature);
  auto resigned = verifier->Verify(WithField(request, "signature", again->signature));
  ASSERT_TRUE(resigned.ok()) << resigned.error().message;
  EXPECT_EQ(resigned->signature_base_hash(), original->signature_base_hash());
  // Another base, another hash.
  SignatureParameters other = DefaultParams();
  other.nonce = "another";
  auto other_fields = signer->Sign(UnsignedRequest(), "sig1", other);
  ASSERT_TRUE(other_fields.ok());
  auto different = verifier->Verify(
      WithField(WithField(request, "signature-input", other_fields->signature_input), "signature",
                other_fields->signature));
  ASSERT_TRUE(different.ok()) << different.error().message;
  EXPECT_NE(different->signature_base_hash(), original->signature_base_hash());
}

}  // namespace
}  // namespace ztm::httpsig
