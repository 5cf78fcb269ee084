// DPoP (RFC 9449): the RFC's example proofs, creation round trips, and one test per §4.3 check.
#include "core/dpop/dpop.h"

#include <gtest/gtest.h>

#include <limits>

#include <boost/json/value.hpp>

#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "core/json.h"
#include "testdata.h"

namespace ztm::dpop {
namespace {

namespace bj = boost::json;

constexpr std::int64_t kNow = 1700000000;
constexpr char kHtu[] = "https://api.example.com/v1/items";
constexpr char kToken[] = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";

std::string Str(const bj::value& v) { return std::string(v.as_string()); }

DpopVerifier DefaultVerifier() {
  auto verifier = DpopVerifier::Create(DpopPolicy{});
  if (!verifier.ok()) std::abort();
  return std::move(verifier).value();
}

TEST(DpopRfc9449, ExampleProofsVerifyAtTheirTime) {
  auto data = json::Parse(testing::ReadTestdata("rfc/rfc9449_examples.json"), 1 << 20);
  ASSERT_TRUE(data.ok());
  const bj::object& root = data->as_object();
  const std::string jkt = Str(root.at("jkt_figure_9"));
  const bj::array& examples = root.at("examples").as_array();
  ASSERT_EQ(examples.size(), 3u);
  DpopVerifier verifier = DefaultVerifier();
  for (const bj::value& example : examples) {
    const bj::object& e = example.as_object();
    DpopRequestContext context;
    std::string token;
    if (const bj::value* t = e.if_contains("access_token")) {
      token = Str(*t);
      context.access_token = token;
    }
    context.expected_jkt = jkt;
    const std::int64_t iat = e.at("iat").as_int64();
    auto verified = verifier.Verify(Str(e.at("proof")), Str(e.at("htm")), Str(e.at("htu")), context,
                                    FixedClock(iat));
    ASSERT_TRUE(verified.ok()) << Str(e.at("figure")) << ": " << verified.error().message;
    EXPECT_EQ(verified->thumbprint(), jkt);
    EXPECT_EQ(verified->jti(), Str(e.at("jti")));
    EXPECT_EQ(verified->iat(), iat);
    EXPECT_EQ(verified->htm(), Str(e.at("htm")));
    // The same proof an hour later is outside the default 5-minute window.
    EXPECT_EQ(verifier
                  .Verify(Str(e.at("proof")), Str(e.at("htm")), Str(e.at("htu")), context,
                          FixedClock(iat + 3600))
                  .code(),
              Code::kDpopIatOutOfWindow);
  }
  // Figure 13's ath is the hash of Figure 6's access token.
  EXPECT_EQ(AccessTokenHash(Str(root.at("access_token_figure_6"))),
            Str(examples[2].as_object().at("ath")));
}

TEST(DpopRfc9449, Figure13NeedsItsAccessToken) {
  auto data = json::Parse(testing::ReadTestdata("rfc/rfc9449_examples.json"), 1 << 20);
  ASSERT_TRUE(data.ok());
  const bj::object& e = data->as_object().at("examples").as_array()[2].as_object();
  FixedClock clock(e.at("iat").as_int64());
  DpopVerifier verifier = DefaultVerifier();
  // Without the token the proof's "ath" binds it to nothing presented.
  EXPECT_EQ(verifier.Verify(Str(e.at("proof")), "GET", Str(e.at("htu")), {}, clock).code(),
            Code::kDpopAthMismatch);
  DpopRequestContext other;
  other.access_token = "another-token";
  const std::string jkt = Str(data->as_object().at("jkt_figure_9"));
  other.expected_jkt = jkt;
  EXPECT_EQ(verifier.Verify(Str(e.at("proof")), "GET", Str(e.at("htu")), other, clock).code(),
            Code::kDpopAthMismatch);
}

TEST(DpopNormalizeHtu, SyntaxAndSchemeBasedNormalisation) {
  const std::pair<const char*, const char*> cases[] = {
      {"https://server.example.com/token", "https://server.example.com/token"},
      {"HTTPS://Server.EXAMPLE.com/token", "https://server.example.com/token"},
      {"https://server.example.com:443/token", "https://server.example.com/token"},
      {"https://server.example.com:/token", "https://server.example.com/token"},
      {"http://server.example.com:80/a", "http://server.example.com/a"},
      {"https://server.example.com:8443/a", "https://server.example.com:8443/a"},
      {"https://server.example.com:08443/a", "https://server.example.com:8443/a"},
      {"http://server.example.com:443/a", "http://server.example.com:443/a"},
      {"https://server.example.com", "https://server.example.com/"},
      {"https://server.example.com/a%2fb", "https://server.example.com/a%2Fb"},
      {"https://server.example.com/%7Euser", "https://server.example.com/~user"},
      {"https://server.example.com/a/./b/../c", "https://server.example.com/a/c"},
      {"https://server.example.com/token?x=1#frag", "https://server.example.com/token"},
      {"https://server.example.com/token#frag", "https://server.example.com/token"},
      {"https://[2001:DB8::1]:443/x", "https://[2001:db8::1]/x"},
      {"https://server.example.com/%41%62c", "https://server.example.com/Abc"},
      {"https://server.example.com/a/%2e%2E/b", "https://server.example.com/b"},
      {"https://server.example.com/a/../../b/.", "https://server.example.com/b/"},
      {"https://server.example.com/a%c3%a9", "https://server.example.com/a%C3%A9"},
      {"https://192.0.2.1:0443/", "https://192.0.2.1/"},
  };
  for (const auto& [input, expected] : cases) {
    auto normalised = NormalizeHtu(input);
    ASSERT_TRUE(normalised.ok()) << input << ": " << normalised.error().message;
    EXPECT_EQ(*normalised, expected) << input;
  }
  // A reserved character stays encoded: "/a%2Fb" is a different resource from "/a/b".
  EXPECT_NE(*NormalizeHtu("https://s.example/a%2Fb"), *NormalizeHtu("https://s.example/a/b"));
  for (const char* bad :
       {"", "/token", "https://s%41.example/", "server.example.com/token",
        "ftp://server.example.com/", "https:///token", "https://user:pw@server.example.com/",
        "https://server.example.com:99999/", "https://server example.com/", "urn:ietf:rfc:9449"}) {
    EXPECT_EQ(NormalizeHtu(bad).code(), Code::kInvalidArgument) << bad;
  }
}

// Boost.URL 1.81 accepts a non-numeric port, leaving port() empty and moving the rest into a
// rootless path: "https://api.exa:mple.com/x" once normalised to "https://api.example.com/x",
// so a proof made for one host verified for another.
TEST(DpopNormalizeHtu, RefusesNonNumericPortsAndRootlessPaths) {
  for (const char* bad :
       {"https://api.exa:mple.com/x", "https://a.example:%443/b", "https://a.example:44a/",
        "https://a.example:-1/", "https://a.example:+443/", "https://a.example:0x1BB/",
        "https://a.example:65536/", "https://a.example:4294967739/", "https://a.example:443:443/",
        "http://a.example:80x"}) {
    auto normalised = NormalizeHtu(bad);
    ASSERT_FALSE(normalised.ok()) << bad << " -> " << *normalised;
    EXPECT_EQ(normalised.code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(normalised.error().message.find("port"), std::string::npos)
        << bad << ": " << normalised.error().message;
  }
  EXPECT_EQ(*NormalizeHtu("https://a.example:65535/"), "https://a.example:65535/");
  EXPECT_EQ(*NormalizeHtu("https://a.example:0/"), "https://a.example:0/");
  EXPECT_EQ(*NormalizeHtu("https://a.example:00443/"), "https://a.example/");
}

// NormalizeHtu's output is a fixed point: normalising twice changes nothing, so the request
// side and the proof side cannot disagree on a second pass, and every accepted output parses
// back.
TEST(DpopNormalizeHtu, IsIdempotent) {
  const char* inputs[] = {
      "https://server.example.com/token",
      "HTTPS://Server.EXAMPLE.com:443/a/./b/../c?x#y",
      "https://server.example.com:/",
      "https://server.example.com",
      "http://server.example.com:8080",
      "https://server.example.com/%7e%2F%2f%41%25%2541",
      "https://server.example.com/%2e%2e/%2E/x",
      "https://server.example.com/a/%2e%2E%2f..%2F/b",
      "https://server.example.com/..",
      "https://server.example.com/./",
      "https://server.example.com//a//b/",
      "https://server.example.com/a%c3%A9/%E2%82%AC",
      "https://server.example.com/%",
      "https://server.example.com/%4",
      "https://server.example.com/a%%41",
      "https://server.example.com/a;b=c/d,e",
      "https://[2001:DB8::1]:443/x",
      "https://[v1.fe80::a+en1]/x",
      "https://192.0.2.1:00080/",
      "https://a.example:%443/b",
      "https://api.exa:mple.com/x",
      "https://a.example:44a/",
      "https://a.example/%252e%252e/",
      "https://a.example/a/b/%2E%2E/%2e/c",
      "https://a.example/~%7E%7e",
  };
  int fixed_points = 0;
  for (const char* input : inputs) {
    auto once = NormalizeHtu(input);
    if (!once.ok()) continue;
    auto twice = NormalizeHtu(*once);
    ASSERT_TRUE(twice.ok()) << input << " -> " << *once << ": " << twice.error().message;
    EXPECT_EQ(*twice, *once) << input;
    ++fixed_points;
  }
  EXPECT_GE(fixed_points, 15);
}

class DpopTest : public ::testing::Test {
 protected:
  DpopTest()
      : key_(*crypto::PrivateKey::Generate(crypto::KeyType::kEcP256)),
        jwk_(jose::Jwk::FromPrivateKey(key_)) {}

  ProofInput Input() const {
    ProofInput input;
    input.htm = "POST";
    input.htu = kHtu;
    input.iat = kNow;
    return input;
  }
  std::string Proof(const ProofInput& input) const {
    auto proof = CreateProof(key_, input);
    if (!proof.ok()) std::abort();
    return *proof;
  }
  // A proof with arbitrary header and claims JSON, signed ES256 by key_.
  std::string Forge(const std::string& header_json, const std::string& claims_json) const {
    std::string input = Base64UrlEncode(header_json) + "." + Base64UrlEncode(claims_json);
    auto signature = key_.Sign(crypto::SignatureAlgorithm::kEcdsaP256Sha256Raw, AsBytes(input));
    return input + "." + Base64UrlEncode(*signature);
  }
  std::string PublicJwkJson() const { return json::Serialize(*jwk_.ToPublicObject()); }
  std::string Header(const std::string& alg = "ES256", const std::string& typ = "dpop+jwt") const {
    return R"({"typ":")" + typ + R"(","alg":")" + alg + R"(","jwk":)" + PublicJwkJson() + "}";
  }
  static std::string Claims(const std::string& extra = "") {
    return std::string(R"({"jti":"j1","htm":"POST","htu":")") + kHtu + R"(","iat":)" +
           std::to_string(kNow) + extra + "}";
  }
  Result<VerifiedDpopProof> Verify(const std::string& proof, const DpopRequestContext& context = {},
                                   const std::string& htm = "POST", const std::string& htu = kHtu,
                                   std::int64_t now = kNow,
                                   const DpopPolicy& policy = DpopPolicy{}) const {
    auto verifier = DpopVerifier::Create(policy);
    if (!verifier.ok()) return verifier.error();
    return verifier->Verify(proof, htm, htu, context, FixedClock(now));
  }
  Code VerifyCode(const std::string& proof, const DpopRequestContext& context = {},
                  const std::string& htm = "POST", const std::string& htu = kHtu,
                  std::int64_t now = kNow, const DpopPolicy& policy = DpopPolicy{}) const {
    auto result = Verify(proof, context, htm, htu, now, policy);
    return result.ok() ? Code::kInternal : result.code();  // kInternal marks "accepted"
  }

  crypto::PrivateKey key_;
  jose::Jwk jwk_;
};

TEST_F(DpopTest, CreatedProofVerifiesWithEveryOption) {
  ProofInput input = Input();
  input.htu = std::string(kHtu) + "?page=2#top";
  input.access_token = kToken;
  input.nonce = "eyJ7S_zG.eyJH0-Z.HX4w-7v";
  DpopRequestContext context;
  context.access_token = kToken;
  context.expected_nonce = "eyJ7S_zG.eyJH0-Z.HX4w-7v";
  const std::string jkt = jwk_.Thumbprint();
  context.expected_jkt = jkt;
  auto verified = Verify(Proof(input), context, "POST", std::string(kHtu) + "?other=1");
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->thumbprint(), jkt);
  EXPECT_EQ(verified->htu(), kHtu);  // query and fragment are not signed
  EXPECT_EQ(verified->nonce(), "eyJ7S_zG.eyJH0-Z.HX4w-7v");
  EXPECT_GE(verified->jti().size(), 22u);  // 128 random bits
}

TEST_F(DpopTest, Ed25519ProofsVerifyAndJtiIsFreshEachTime) {
  auto ed = crypto::PrivateKey::Generate(crypto::KeyType::kEd25519);
  ASSERT_TRUE(ed.ok());
  auto first = CreateProof(*ed, Input());
  auto second = CreateProof(*ed, Input());
  ASSERT_TRUE(first.ok() && second.ok());
  auto a = Verify(*first);
  auto b = Verify(*second);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->jti(), b->jti());
  EXPECT_EQ(a->key().key_type(), jose::JwkKeyType::kEd25519);
}

TEST_F(DpopTest, TamperedProofsFail) {
  std::string proof = Proof(Input());
  std::size_t first = proof.find('.'), second = proof.find('.', first + 1);
  std::string tampered_claims =
      proof.substr(0, first + 1) + Base64UrlEncode(Claims(R"(,"x":1)")) + proof.substr(second);
  EXPECT_EQ(VerifyCode(tampered_claims), Code::kDpopSignatureInvalid);
  std::string tampered_header =
      Base64UrlEncode(Header()) + proof.substr(first);  // same members, different bytes
  EXPECT_EQ(VerifyCode(tampered_header), Code::kDpopSignatureInvalid);
  // Signed by one key, carrying another's jwk.
  auto other = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256);
  std::string other_jwk = json::Serialize(*jose::Jwk::FromPrivateKey(*other).ToPublicObject());
  EXPECT_EQ(
      VerifyCode(Forge(R"({"typ":"dpop+jwt","alg":"ES256","jwk":)" + other_jwk + "}", Claims())),
      Code::kDpopSignatureInvalid);
}

TEST_F(DpopTest, StructureChecks) {
  EXPECT_EQ(VerifyCode(Forge(Header(), Claims())), Code::kInternal);
  std::string proof = Proof(Input());
  EXPECT_EQ(VerifyCode(proof + "." + proof), Code::kDpopMalformed);
  EXPECT_EQ(VerifyCode(proof.substr(0, proof.rfind('.'))), Code::kDpopMalformed);
  EXPECT_EQ(VerifyCode(proof + "="), Code::kDpopMalformed);
  EXPECT_EQ(VerifyCode(std::string(kMaxProofBytes + 1, 'a')), Code::kInputTooLarge);
  EXPECT_EQ(VerifyCode(Forge(Header(), Claims(R"(,"jti":"j2")"))), Code::kDpopMalformed);
  EXPECT_EQ(VerifyCode(Forge(R"({"typ":"dpop+jwt","typ":"dpop+jwt","alg":"ES256","jwk":)" +
                                 PublicJwkJson() + "}",
                             Claims())),
            Code::kDpopMalformed);
  EXPECT_EQ(VerifyCode(Forge(Header(), "[]")), Code::kDpopMalformed);
  EXPECT_EQ(VerifyCode(Forge(Header(), R"({"jti":"j","htm":"POST","iat":1700000000})")),
            Code::kDpopMalformed);  // no htu
  EXPECT_EQ(VerifyCode(Forge(Header(), std::string(R"({"jti":"j","htm":"POST","htu":")") + kHtu +
                                           R"(","iat":"1700000000"})")),
            Code::kDpopMalformed);
}

TEST_F(DpopTest, TypeMustBeDpopJwt) {
  EXPECT_EQ(VerifyCode(Forge(Header("ES256", "JWT"), Claims())), Code::kDpopTypeInvalid);
  EXPECT_EQ(VerifyCode(Forge(Header("ES256", "at+jwt"), Claims())), Code::kDpopTypeInvalid);
  EXPECT_EQ(VerifyCode(Forge(R"({"alg":"ES256","jwk":)" + PublicJwkJson() + "}", Claims())),
            Code::kDpopTypeInvalid);
  EXPECT_EQ(VerifyCode(Forge(Header("ES256", "application/dpop+jwt"), Claims())),
            Code::kInternal);  // RFC 7515 §4.1.9
}

TEST_F(DpopTest, AlgorithmChecks) {
  EXPECT_EQ(VerifyCode(Forge(Header("none"), Claims())), Code::kDpopAlgNotAllowed);
  EXPECT_EQ(VerifyCode(Forge(Header("HS256"), Claims())), Code::kDpopAlgNotAllowed);
  EXPECT_EQ(VerifyCode(Forge(Header("RS256"), Claims())), Code::kDpopAlgNotAllowed);
  std::string unsigned_proof =
      Base64UrlEncode(Header("none")) + "." + Base64UrlEncode(Claims()) + ".";
  EXPECT_EQ(VerifyCode(unsigned_proof), Code::kDpopMalformed);
  DpopPolicy ed_only;
  ed_only.allowed_algorithms = {jose::JwsAlgorithm::kEdDsa};
  EXPECT_EQ(VerifyCode(Proof(Input()), {}, "POST", kHtu, kNow, ed_only), Code::kDpopAlgNotAllowed);
  // An EC key under "alg":"EdDSA" does not fit.
  EXPECT_EQ(VerifyCode(Forge(Header("EdDSA"), Claims())), Code::kDpopJwkInvalid);
}

TEST_F(DpopTest, JwkMustBeAPublicKey) {
  std::string private_jwk = json::Serialize(*jwk_.ToPrivateObject());
  EXPECT_EQ(
      VerifyCode(Forge(R"({"typ":"dpop+jwt","alg":"ES256","jwk":)" + private_jwk + "}", Claims())),
      Code::kDpopJwkInvalid);
  EXPECT_EQ(VerifyCode(Forge(R"({"typ":"dpop+jwt","alg":"ES256"})", Claims())),
            Code::kDpopJwkInvalid);
  EXPECT_EQ(VerifyCode(Forge(R"({"typ":"dpop+jwt","alg":"ES256","jwk":"key"})", Claims())),
            Code::kDpopJwkInvalid);
  EXPECT_EQ(VerifyCode(Forge(R"({"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"oct","k":")" +
                                 Base64UrlEncode(crypto::RandomBytes(32)) + R"("}})",
                             Claims())),
            Code::kDpopJwkInvalid);
}

// The proof's header is attacker text: what of it reaches an error message is escaped.
TEST_F(DpopTest, JwkErrorsDoNotEchoHeaderTextVerbatim) {
  auto result = Verify(Forge(R"({"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC\n)" +
                                 std::string(2000, 'K') + R"(\u001b"}})",
                             Claims()));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.code(), Code::kDpopJwkInvalid);
  EXPECT_LT(result.error().message.size(), 200u);
  for (const char c : result.error().message) EXPECT_TRUE(c >= 0x20 && c < 0x7f);
}

TEST_F(DpopTest, MethodAndUriMustMatch) {
  std::string proof = Proof(Input());
  EXPECT_EQ(VerifyCode(proof, {}, "GET"), Code::kDpopMethodMismatch);
  EXPECT_EQ(VerifyCode(proof, {}, "post"), Code::kDpopMethodMismatch);
  EXPECT_EQ(VerifyCode(proof, {}, "POST", "https://api.example.com/v1/other"),
            Code::kDpopUriMismatch);
  EXPECT_EQ(VerifyCode(proof, {}, "POST", "https://evil.example.com/v1/items"),
            Code::kDpopUriMismatch);
  EXPECT_EQ(VerifyCode(proof, {}, "POST", "http://api.example.com/v1/items"),
            Code::kDpopUriMismatch);
  // Query, fragment, case of scheme/host and the default port do not matter.
  EXPECT_EQ(VerifyCode(proof, {}, "POST", std::string(kHtu) + "?a=b#c"), Code::kInternal);
  EXPECT_EQ(VerifyCode(proof, {}, "POST", "HTTPS://API.example.com:443/v1/items"), Code::kInternal);
  EXPECT_EQ(VerifyCode(proof, {}, "POST", "not a uri"), Code::kInvalidArgument);
  EXPECT_EQ(VerifyCode(Forge(Header(), R"({"jti":"j","htm":"POST","htu":"/v1/items","iat":)" +
                                           std::to_string(kNow) + "}")),
            Code::kDpopUriMismatch);
}

// Extreme clocks and "iat" values: the window arithmetic must not overflow (it was
// `now + max_future_seconds`, undefined behaviour at INT64_MAX).
TEST_F(DpopTest, IatWindowChecksDoNotOverflow) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  ProofInput late = Input();
  late.iat = kMax;
  ProofInput early = Input();
  early.iat = kMin;
  const std::string late_proof = Proof(late);
  const std::string early_proof = Proof(early);
  EXPECT_EQ(VerifyCode(late_proof, {}, "POST", kHtu, kMax), Code::kInternal);
  EXPECT_EQ(VerifyCode(late_proof, {}, "POST", kHtu, kMax - 60), Code::kInternal);
  EXPECT_EQ(VerifyCode(late_proof, {}, "POST", kHtu, kMax - 61), Code::kDpopIatOutOfWindow);
  EXPECT_EQ(VerifyCode(early_proof, {}, "POST", kHtu, kMin), Code::kInternal);
  EXPECT_EQ(VerifyCode(early_proof, {}, "POST", kHtu, kMin + 300), Code::kInternal);
  EXPECT_EQ(VerifyCode(early_proof, {}, "POST", kHtu, kMin + 301), Code::kDpopIatOutOfWindow);
  EXPECT_EQ(VerifyCode(late_proof, {}, "POST", kHtu, kMin), Code::kDpopIatOutOfWindow);
  EXPECT_EQ(VerifyCode(early_proof, {}, "POST", kHtu, kMax), Code::kDpopIatOutOfWindow);
  EXPECT_EQ(VerifyCode(late_proof, {}, "POST", kHtu, kNow), Code::kDpopIatOutOfWindow);
  EXPECT_EQ(VerifyCode(early_proof, {}, "POST", kHtu, kNow), Code::kDpopIatOutOfWindow);
}

TEST_F(DpopTest, IatMustBeInTheWindow) {
  std::string proof = Proof(Input());
  EXPECT_EQ(VerifyCode(proof, {}, "POST", kHtu, kNow + 300), Code::kInternal);
  EXPECT_EQ(VerifyCode(proof, {}, "POST", kHtu, kNow + 301), Code::kDpopIatOutOfWindow);
  EXPECT_EQ(VerifyCode(proof, {}, "POST", kHtu, kNow - 60), Code::kInternal);
  EXPECT_EQ(VerifyCode(proof, {}, "POST", kHtu, kNow - 61), Code::kDpopIatOutOfWindow);
  DpopPolicy tight;
  tight.max_age_seconds = 5;
  tight.max_future_seconds = 0;
  EXPECT_EQ(VerifyCode(proof, {}, "POST", kHtu, kNow + 6, tight), Code::kDpopIatOutOfWindow);
  EXPECT_EQ(VerifyCode(proof, {}, "POST", kHtu, kNow - 1, tight), Code::kDpopIatOutOfWindow);
}

TEST_F(DpopTest, JtiIsRequiredAndBounded) {
  EXPECT_EQ(VerifyCode(Forge(Header(), std::string(R"({"htm":"POST","htu":")") + kHtu +
                                           R"(","iat":)" + std::to_string(kNow) + "}")),
            Code::kDpopJtiMissing);
  EXPECT_EQ(VerifyCode(Forge(Header(), std::string(R"({"jti":"","htm":"POST","htu":")") + kHtu +
                                           R"(","iat":)" + std::to_string(kNow) + "}")),
            Code::kDpopJtiMissing);
  EXPECT_EQ(
      VerifyCode(Forge(Header(), std::string(R"({"jti":")") + std::string(kMaxJtiBytes + 1, 'j') +
                                     R"(","htm":"POST","htu":")" + kHtu + R"(","iat":)" +
                                     std::to_string(kNow) + "}")),
      Code::kDpopMalformed);
  ProofInput too_long = Input();
  too_long.jti = std::string(kMaxJtiBytes + 1, 'j');
  EXPECT_EQ(CreateProof(key_, too_long).code(), Code::kInvalidArgument);
}

TEST_F(DpopTest, AthBindsTheAccessToken) {
  DpopRequestContext with_token;
  with_token.access_token = kToken;
  const std::string jkt = jwk_.Thumbprint();
  with_token.expected_jkt = jkt;
  ProofInput input = Input();
  input.access_token = kToken;
  EXPECT_EQ(VerifyCode(Proof(input), with_token), Code::kInternal);
  EXPECT_EQ(VerifyCode(Proof(Input()), with_token), Code::kDpopAthMismatch);  // missing ath
  input.access_token = "other";
  EXPECT_EQ(VerifyCode(Proof(input), with_token), Code::kDpopAthMismatch);  // wrong ath
  EXPECT_EQ(VerifyCode(Proof(input)), Code::kDpopAthMismatch);              // ath without a token
}

TEST_F(DpopTest, NonceChecks) {
  ProofInput with_nonce = Input();
  with_nonce.nonce = "n-1";
  DpopRequestContext expects_nonce;
  expects_nonce.expected_nonce = "n-1";
  EXPECT_EQ(VerifyCode(Proof(with_nonce), expects_nonce), Code::kInternal);
  EXPECT_EQ(VerifyCode(Proof(Input()), expects_nonce), Code::kDpopNonceRequired);
  DpopRequestContext other_nonce;
  other_nonce.expected_nonce = "n-2";
  EXPECT_EQ(VerifyCode(Proof(with_nonce), other_nonce), Code::kDpopNonceMismatch);
  DpopPolicy requires_nonce;
  requires_nonce.require_nonce = true;
  EXPECT_EQ(VerifyCode(Proof(Input()), {}, "POST", kHtu, kNow, requires_nonce),
            Code::kDpopNonceRequired);
  EXPECT_EQ(VerifyCode(Proof(with_nonce), expects_nonce, "POST", kHtu, kNow, requires_nonce),
            Code::kInternal);
  ProofInput bad_nonce = Input();
  bad_nonce.nonce = "has space";
  EXPECT_EQ(CreateProof(key_, bad_nonce).code(), Code::kInvalidArgument);
}

TEST_F(DpopTest, KeyMustMatchTheTokensJkt) {
  DpopRequestContext context;
  const std::string own = jwk_.Thumbprint();
  context.expected_jkt = own;
  EXPECT_EQ(VerifyCode(Proof(Input()), context), Code::kInternal);
  auto other = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256);
  const std::string other_jkt = jose::Jwk::FromPrivateKey(*other).Thumbprint();
  context.expected_jkt = other_jkt;
  EXPECT_EQ(VerifyCode(Proof(Input()), context), Code::kDpopKeyMismatch);
}

// A presented access token without its cnf.jkt would let any key's proof through: the
// caller must pass the jkt or opt out visibly.
TEST_F(DpopTest, PresentedAccessTokenNeedsItsJkt) {
  ProofInput input = Input();
  input.access_token = kToken;
  DpopRequestContext unbound;
  unbound.access_token = kToken;
  auto result = Verify(Proof(input), unbound);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.code(), Code::kInvalidArgument);
  EXPECT_EQ(result.error().message, "dpop: a presented access token needs its cnf.jkt");
  // A proof by another key is refused for the same reason, before any key comparison.
  auto other = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(other.ok());
  auto other_proof = CreateProof(*other, input);
  ASSERT_TRUE(other_proof.ok());
  EXPECT_EQ(VerifyCode(*other_proof, unbound), Code::kInvalidArgument);
  // With the jkt the proof key is checked.
  const std::string jkt = jwk_.Thumbprint();
  DpopRequestContext bound = unbound;
  bound.expected_jkt = jkt;
  EXPECT_EQ(VerifyCode(Proof(input), bound), Code::kInternal);
  EXPECT_EQ(VerifyCode(*other_proof, bound), Code::kDpopKeyMismatch);
  // The explicit opt-out skips only the key binding: "ath" is still checked.
  DpopRequestContext opted_out = unbound;
  opted_out.allow_unbound_access_token = true;
  EXPECT_EQ(VerifyCode(Proof(input), opted_out), Code::kInternal);
  EXPECT_EQ(VerifyCode(*other_proof, opted_out), Code::kInternal);
  EXPECT_EQ(VerifyCode(Proof(Input()), opted_out), Code::kDpopAthMismatch);
  // Without a token the flag changes nothing, and a jkt is optional.
  DpopRequestContext no_token;
  no_token.allow_unbound_access_token = true;
  EXPECT_EQ(VerifyCode(Proof(Input()), no_token), Code::kInternal);
  EXPECT_EQ(VerifyCode(Proof(Input())), Code::kInternal);
}

TEST(DpopVerifierCreate, RefusesUnsafePolicies) {
  DpopPolicy mac;
  mac.allowed_algorithms = {jose::JwsAlgorithm::kEs256, jose::JwsAlgorithm::kHs256};
  EXPECT_EQ(DpopVerifier::Create(mac).code(), Code::kInvalidArgument);
  DpopPolicy none;
  none.allowed_algorithms = {};
  EXPECT_EQ(DpopVerifier::Create(none).code(), Code::kInvalidArgument);
  DpopPolicy wide;
  wide.max_age_seconds = kMaxIatWindowSeconds + 1;
  EXPECT_EQ(DpopVerifier::Create(wide).code(), Code::kInvalidArgument);
  DpopPolicy negative;
  negative.max_future_seconds = -1;
  EXPECT_EQ(DpopVerifier::Create(negative).code(), Code::kInvalidArgument);
  // The proof-key cache is filled by attacker-chosen keys: its capacity is bounded.
  DpopPolicy unbounded;
  unbounded.key_cache_capacity = std::numeric_limits<std::size_t>::max();
  EXPECT_EQ(DpopVerifier::Create(unbounded).code(), Code::kInvalidArgument);
  DpopPolicy largest;
  largest.key_cache_capacity = kMaxKeyCacheCapacity;
  EXPECT_TRUE(DpopVerifier::Create(largest).ok());
  largest.key_cache_capacity = kMaxKeyCacheCapacity + 1;
  EXPECT_EQ(DpopVerifier::Create(largest).code(), Code::kInvalidArgument);
}

TEST(DpopCreate, RefusesBadInputs) {
  auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(key.ok());
  ProofInput input;
  input.htm = "POST";
  input.htu = "/relative";
  EXPECT_EQ(CreateProof(*key, input).code(), Code::kInvalidArgument);
  input.htu = kHtu;
  input.htm = "PO ST";
  EXPECT_EQ(CreateProof(*key, input).code(), Code::kInvalidArgument);
  input.htm = "";
  EXPECT_EQ(CreateProof(*key, input).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace ztm::dpop
