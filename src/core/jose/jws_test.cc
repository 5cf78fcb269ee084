// JWS compact verification: RFC 7515 and RFC 7520 examples, Wycheproof, and attacks.
#include "core/jose/jws.h"

#include <gtest/gtest.h>

#include <boost/json/value.hpp>

#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "core/json.h"
#include "testdata.h"

namespace ztm::jose {
namespace {

namespace bj = boost::json;

bj::value LoadJson(const std::string& path) {
  auto value = json::Parse(testing::ReadTestdata(path), 1 << 20);
  EXPECT_TRUE(value.ok()) << path;
  return value.ok() ? std::move(value).value() : bj::value();
}

std::string Str(const bj::value& v) { return std::string(v.as_string()); }

Jwk LoadPrivateJwk(const std::string& path) {
  auto jwk = ParsePrivateJwk(testing::ReadTestdata(path));
  EXPECT_TRUE(jwk.ok()) << path;
  return std::move(jwk).value();
}

JwsVerifier MakeVerifier(std::vector<JwsAlgorithm> allowed, Jwk key) {
  auto verifier = JwsVerifier::Create(std::move(allowed), std::move(key));
  EXPECT_TRUE(verifier.ok()) << verifier.error().message;
  return std::move(verifier).value();
}

// RFC 7515 A.1/A.3 payload: {"iss":"joe",CRLF "exp":1300819380,CRLF "http://...":true}.
constexpr char kRfcPayload[] =
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";

// Splits a compact JWS into its three parts.
std::vector<std::string> Parts(const std::string& compact) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = compact.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(compact.substr(start, dot - start));
  }
  parts.push_back(compact.substr(start));
  return parts;
}

Bytes AsBytesCopy(std::string_view text) { return Bytes(text.begin(), text.end()); }

std::string Join(const std::vector<std::string>& parts) {
  return parts[0] + "." + parts[1] + "." + parts[2];
}

TEST(JwsRfc7515, AppendixA3Es256Verifies) {
  Jwk key = LoadPrivateJwk("rfc/rfc7515_a3.jwk.json");
  JwsVerifier verifier = MakeVerifier({JwsAlgorithm::kEs256}, key);
  auto verified = verifier.Verify(testing::ReadTestdata("rfc/rfc7515_a3.jws"));
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->payload_text(), kRfcPayload);
  EXPECT_EQ(verified->algorithm(), JwsAlgorithm::kEs256);
}

TEST(JwsRfc7515, AppendixA1Hs256VerifiesWhenExplicitlyAllowed) {
  Jwk key = LoadPrivateJwk("rfc/rfc7515_a1.jwk.json");
  JwsVerifier verifier = MakeVerifier({JwsAlgorithm::kHs256}, key);
  auto verified = verifier.Verify(testing::ReadTestdata("rfc/rfc7515_a1.jws"));
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->payload_text(), kRfcPayload);
  EXPECT_EQ(Str(verified->header().at("typ")), "JWT");
}

TEST(JwsCookbook, Hs256Section44Verifies) {
  bj::value data = LoadJson("jose-cookbook/jws/4_4.hmac-sha2_integrity_protection.json");
  auto key = ParsePrivateJwk(data.at("input").at("key").as_object());
  ASSERT_TRUE(key.ok()) << key.error().message;
  JwsVerifier verifier = MakeVerifier({JwsAlgorithm::kHs256}, *key);
  auto verified = verifier.Verify(Str(data.at("output").at("compact")));
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->payload_text(), Str(data.at("input").at("payload")));
}

TEST(JwsCookbook, Ed25519Verifies) {
  bj::value data = LoadJson("jose-cookbook/curve25519/jws.json");
  auto key = ParsePrivateJwk(data.at("input").at("key").as_object());
  ASSERT_TRUE(key.ok()) << key.error().message;
  JwsVerifier verifier = MakeVerifier({JwsAlgorithm::kEdDsa}, *key);
  auto verified = verifier.Verify(Str(data.at("output").at("compact")));
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->payload_text(), Str(data.at("input").at("payload")));
  // Ed25519 is deterministic: signing again reproduces the cookbook's token.
  auto signed_again =
      SignCompact({}, AsBytes(Str(data.at("input").at("payload"))), *key, JwsAlgorithm::kEdDsa);
  ASSERT_TRUE(signed_again.ok());
  EXPECT_EQ(*signed_again, Str(data.at("output").at("compact")));
}

TEST(JwsCookbook, UnsupportedAlgorithmsAreRefusedNotCrashed) {
  Jwk ec_key = LoadPrivateJwk("rfc/rfc7515_a3.jwk.json");
  JwsVerifier verifier = MakeVerifier({JwsAlgorithm::kEs256}, ec_key);
  for (const char* file : {"jws/4_1.rsa_v15_signature.json", "jws/4_2.rsa-pss_signature.json",
                           "jws/4_3.ecdsa_signature.json"}) {
    bj::value data = LoadJson(std::string("jose-cookbook/") + file);
    // Their keys (RSA, P-521) are not supported...
    auto key = ParsePrivateJwk(data.at("input").at("key").as_object());
    ASSERT_FALSE(key.ok()) << file;
    EXPECT_EQ(key.code(), Code::kJwkInvalid) << file;
    // ...and their algorithms are never accepted by a verifier.
    auto verified = verifier.Verify(Str(data.at("output").at("compact")));
    ASSERT_FALSE(verified.ok()) << file;
    EXPECT_EQ(verified.code(), Code::kJwsAlgNotAllowed) << file;
  }
  for (const char* name : {"RS256", "PS384", "ES512", "ES384", "HS512", "none", "None", "es256"}) {
    EXPECT_EQ(ParseJwsAlgorithm(name).code(), Code::kJwsAlgNotAllowed) << name;
  }
}

TEST(JwsCookbook, DetachedPayloadAndUnencodedPayloadAreRefused) {
  bj::value detached = LoadJson("jose-cookbook/jws/4_5.signature_with_detached_content.json");
  auto key = ParsePrivateJwk(detached.at("input").at("key").as_object());
  ASSERT_TRUE(key.ok());
  JwsVerifier verifier = MakeVerifier({JwsAlgorithm::kHs256}, *key);
  EXPECT_EQ(verifier.Verify(Str(detached.at("output").at("compact"))).code(),
            Code::kJwsSignatureInvalid);

  bj::value b64 = LoadJson("jose-cookbook/rfc7797/hmac-sha2_b64_false.json");
  auto b64_key = ParsePrivateJwk(b64.at("input").at("key").as_object());
  ASSERT_TRUE(b64_key.ok());
  JwsVerifier b64_verifier = MakeVerifier({JwsAlgorithm::kHs256}, *b64_key);
  EXPECT_EQ(b64_verifier.Verify(Str(b64.at("output").at("compact"))).code(),
            Code::kJwsHeaderInvalid);
}

constexpr char kWycheproof357[] =
    "eyJraWQiOiJoczI1Ni1rZXkiLCJhbGciOiJIUzI1NiJ9.VGVzdA.c1LROH7eNQwUT8KMVEO52VC3WZ9e_"
    "AnDWbZ7aMmowV8";

// Wycheproof json_web_signature_test.json: every group whose key ztm supports must match the
// file's verdict; every other group must fail.
TEST(JwsWycheproof, VerdictsMatch) {
  bj::value data = LoadJson("wycheproof/json_web_signature_test.json");
  int supported_cases = 0, unsupported_cases = 0, valid_accepted = 0;
  for (const bj::value& group : data.at("testGroups").as_array()) {
    const bj::object& g = group.as_object();
    const bj::value* key_value = g.if_contains("public");
    if (key_value == nullptr) key_value = g.if_contains("private");
    ASSERT_NE(key_value, nullptr);
    auto key = ParseAnyJwk(json::Serialize(*key_value));
    std::optional<JwsVerifier> verifier;
    if (key.ok()) {
      auto alg = key->key_type() == JwkKeyType::kOct      ? JwsAlgorithm::kHs256
                 : key->key_type() == JwkKeyType::kEcP256 ? JwsAlgorithm::kEs256
                                                          : JwsAlgorithm::kEdDsa;
      auto created = JwsVerifier::Create({alg}, *key);
      if (created.ok()) verifier.emplace(std::move(created).value());
    }
    for (const bj::value& test : g.at("tests").as_array()) {
      const bj::object& t = test.as_object();
      const std::int64_t id = t.at("tcId").as_int64();
      bool expect_valid = Str(t.at("result")) == "valid";
      // ztm is stricter than the file here: '?' inside a base64url part (SOURCES-jose.md).
      if (id == 372 || id == 373) expect_valid = false;
      // tcId 367 and 370 ("invalidBase64Padding...") are byte-identical to the valid tcId 357
      // in this snapshot (their padding was lost), so no verifier can meet both verdicts.
      if (id == 367 || id == 370) {
        EXPECT_EQ(Str(t.at("jws")), kWycheproof357) << "tcId " << id;
        expect_valid = true;
      }
      // The JSON-serialization case (tcId 17) has an object, not a string.
      std::string jws = t.at("jws").is_string() ? Str(t.at("jws")) : json::Serialize(t.at("jws"));
      if (!key.ok()) {
        // RSA and P-521 keys: unsupported, so nothing can verify.
        EXPECT_EQ(key.code(), Code::kJwkInvalid) << "tcId " << id;
        ++unsupported_cases;
        continue;
      }
      ++supported_cases;
      bool accepted = verifier.has_value() && verifier->Verify(jws).ok();
      EXPECT_EQ(accepted, expect_valid) << "tcId " << id << " " << Str(t.at("comment"));
      if (accepted) ++valid_accepted;
    }
  }
  // A missing or truncated file must not pass vacuously.
  EXPECT_EQ(supported_cases + unsupported_cases, 401);
  EXPECT_GT(supported_cases, 70);
  EXPECT_GT(valid_accepted, 5);
}

Jwk NewKey(crypto::KeyType type) {
  auto key = crypto::PrivateKey::Generate(type);
  if (!key.ok()) std::abort();
  return Jwk::FromPrivateKey(*key);
}

class JwsAttackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto signed_token =
        SignCompact({}, AsBytes(std::string(R"({"sub":"alice"})")), key_, JwsAlgorithm::kEs256);
    ASSERT_TRUE(signed_token.ok());
    token_ = *signed_token;
  }
  JwsVerifier Verifier() const {
    return MakeVerifier({JwsAlgorithm::kEs256}, Jwk::FromPublicKey(*key_.public_key()));
  }
  Code VerifyCode(const std::string& token) const {
    auto result = Verifier().Verify(token);
    return result.ok() ? Code::kInternal : result.code();  // kInternal marks "accepted"
  }
  // A token with `header_json` as its header, validly signed by key_.
  std::string SignedWithHeader(const std::string& header_json, const std::string& payload) const {
    std::string input = Base64UrlEncode(header_json) + "." + Base64UrlEncode(payload);
    auto signature =
        key_.private_key()->Sign(crypto::SignatureAlgorithm::kEcdsaP256Sha256Raw, AsBytes(input));
    return input + "." + Base64UrlEncode(*signature);
  }
  Jwk key_ = NewKey(crypto::KeyType::kEcP256);
  std::string token_;
};

TEST_F(JwsAttackTest, ValidTokenVerifies) {
  auto verified = Verifier().Verify(token_);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->payload_text(), R"({"sub":"alice"})");
}

TEST_F(JwsAttackTest, TamperedPayloadFails) {
  auto parts = Parts(token_);
  parts[1] = Base64UrlEncode(std::string(R"({"sub":"mallory"})"));
  EXPECT_EQ(VerifyCode(Join(parts)), Code::kJwsSignatureInvalid);
}

TEST_F(JwsAttackTest, TamperedHeaderFails) {
  auto parts = Parts(token_);
  parts[0] = Base64UrlEncode(std::string(R"({"alg":"ES256","kid":"x"})"));
  EXPECT_EQ(VerifyCode(Join(parts)), Code::kJwsSignatureInvalid);
}

TEST_F(JwsAttackTest, WrongKeyFails) {
  JwsVerifier other = MakeVerifier({JwsAlgorithm::kEs256}, NewKey(crypto::KeyType::kEcP256));
  EXPECT_EQ(other.Verify(token_).code(), Code::kJwsSignatureInvalid);
}

TEST_F(JwsAttackTest, AlgNoneIsRefusedWithAndWithoutSignature) {
  std::string input = Base64UrlEncode(std::string(R"({"alg":"none"})")) + "." +
                      Base64UrlEncode(std::string(R"({"sub":"alice"})"));
  EXPECT_EQ(VerifyCode(input + "."), Code::kJwsMalformed);  // unsecured JWS: empty signature
  EXPECT_EQ(VerifyCode(input + "." + Parts(token_)[2]), Code::kJwsAlgNotAllowed);
  EXPECT_EQ(VerifyCode(SignedWithHeader(R"({"alg":"none"})", "{}")), Code::kJwsAlgNotAllowed);
}

TEST_F(JwsAttackTest, AlgorithmNotInTheAllowListIsRefused) {
  // An EdDSA token under a verifier that allows only ES256 (even with a fitting key).
  Jwk ed = NewKey(crypto::KeyType::kEd25519);
  auto token = SignCompact({}, AsBytes(std::string("{}")), ed, JwsAlgorithm::kEdDsa);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(VerifyCode(*token), Code::kJwsAlgNotAllowed);
  EXPECT_EQ(VerifyCode(SignedWithHeader(R"({"alg":"ES384"})", "{}")), Code::kJwsAlgNotAllowed);
  EXPECT_EQ(VerifyCode(SignedWithHeader(R"({"alg":"RS256"})", "{}")), Code::kJwsAlgNotAllowed);
}

TEST_F(JwsAttackTest, Hs256SignedWithThePublicKeyBytesIsRefused) {
  // The classic confusion: the attacker HMACs with the verifier's public key as the secret.
  for (const Bytes& secret :
       {key_.public_key()->ToSpkiDer(), AsBytesCopy(key_.public_key()->ToPem())}) {
    std::string input = Base64UrlEncode(std::string(R"({"alg":"HS256"})")) + "." +
                        Base64UrlEncode(std::string(R"({"sub":"admin"})"));
    std::string forged = input + "." + Base64UrlEncode(crypto::HmacSha256(secret, AsBytes(input)));
    EXPECT_EQ(VerifyCode(forged), Code::kJwsAlgNotAllowed);
  }
  // And no verifier can even be built that would try: HS256 needs an oct key.
  EXPECT_EQ(
      JwsVerifier::Create({JwsAlgorithm::kHs256}, Jwk::FromPublicKey(*key_.public_key())).code(),
      Code::kJwsAlgNotAllowed);
  EXPECT_EQ(JwsVerifier::Create({JwsAlgorithm::kEs256, JwsAlgorithm::kHs256}, key_).code(),
            Code::kJwsAlgNotAllowed);
  // The reverse: an oct key cannot verify ES256.
  auto oct = Jwk::FromSecret(crypto::RandomSecret(32));
  ASSERT_TRUE(oct.ok());
  EXPECT_EQ(JwsVerifier::Create({JwsAlgorithm::kEs256}, *oct).code(), Code::kJwsAlgNotAllowed);
  EXPECT_EQ(JwsVerifier::Create({}, *oct).code(), Code::kInvalidArgument);
}

TEST_F(JwsAttackTest, HeaderMustBeAStrictJsonObject) {
  EXPECT_EQ(VerifyCode(SignedWithHeader(R"({"alg":"ES256","alg":"none"})", "{}")),
            Code::kJwsHeaderInvalid);
  EXPECT_EQ(VerifyCode(SignedWithHeader(R"({"alg":"none","alg":"ES256"})", "{}")),
            Code::kJwsHeaderInvalid);
  EXPECT_EQ(VerifyCode(SignedWithHeader(R"(["ES256"])", "{}")), Code::kJwsHeaderInvalid);
  EXPECT_EQ(VerifyCode(SignedWithHeader(R"({"alg":"ES256",})", "{}")), Code::kJwsHeaderInvalid);
  EXPECT_EQ(VerifyCode(SignedWithHeader(R"({"typ":"JWT"})", "{}")), Code::kJwsHeaderInvalid);
  EXPECT_EQ(VerifyCode(SignedWithHeader(R"({"alg":256})", "{}")), Code::kJwsHeaderInvalid);
  EXPECT_EQ(VerifyCode(SignedWithHeader(R"({"alg":"ES256","crit":["exp"],"exp":1})", "{}")),
            Code::kJwsHeaderInvalid);
  EXPECT_EQ(VerifyCode(SignedWithHeader(R"({"alg":"ES256","b64":false,"crit":["b64"]})", "{}")),
            Code::kJwsHeaderInvalid);
  EXPECT_EQ(VerifyCode(SignedWithHeader(R"({"alg":"ES256","b64":false})", "{}")),
            Code::kJwsHeaderInvalid);
  // Unknown members and an embedded attacker "jwk" are carried but never used as the key.
  EXPECT_EQ(VerifyCode(SignedWithHeader(R"({"alg":"ES256","x-ext":1})", "{}")), Code::kInternal);
}

TEST_F(JwsAttackTest, Base64urlMustBeCanonical) {
  auto parts = Parts(token_);
  auto with = [&](int index, const std::string& value) {
    auto copy = parts;
    copy[index] = value;
    return Join(copy);
  };
  EXPECT_EQ(VerifyCode(with(0, parts[0] + "=")), Code::kJwsMalformed);
  EXPECT_EQ(VerifyCode(with(1, parts[1] + "==")), Code::kJwsMalformed);
  EXPECT_EQ(VerifyCode(with(2, parts[2] + "==")), Code::kJwsMalformed);
  EXPECT_EQ(VerifyCode(with(1, " " + parts[1])), Code::kJwsMalformed);
  EXPECT_EQ(VerifyCode(with(1, parts[1].substr(0, 2) + "+/" + parts[1].substr(4))),
            Code::kJwsMalformed);
  EXPECT_EQ(VerifyCode(with(0, parts[0] + "\n")), Code::kJwsMalformed);
  // Non-canonical: "e30" is "{}"; "e31" decodes to the same bytes with unused bits set.
  EXPECT_EQ(VerifyCode(with(1, "e31")), Code::kJwsMalformed);
  EXPECT_EQ(VerifyCode(SignedWithHeader(R"({"alg":"ES256"})", "{}")), Code::kInternal);
}

TEST_F(JwsAttackTest, ExactlyThreePartsAreRequired) {
  auto parts = Parts(token_);
  EXPECT_EQ(VerifyCode(parts[0] + "." + parts[1]), Code::kJwsMalformed);
  EXPECT_EQ(VerifyCode(token_ + "."), Code::kJwsMalformed);
  EXPECT_EQ(VerifyCode(token_ + "." + parts[2]), Code::kJwsMalformed);
  EXPECT_EQ(VerifyCode(""), Code::kJwsMalformed);
  EXPECT_EQ(VerifyCode(".."), Code::kJwsMalformed);
  EXPECT_EQ(VerifyCode("." + parts[1] + "." + parts[2]), Code::kJwsMalformed);
}

TEST_F(JwsAttackTest, OversizedTokenIsRefusedBeforeParsing) {
  std::string big_payload(kMaxCompactJwsBytes, 'a');
  auto big = SignCompact({}, AsBytes(big_payload), key_, JwsAlgorithm::kEs256);
  ASSERT_TRUE(big.ok());
  auto result = Verifier().Verify(*big);
  EXPECT_EQ(result.code(), Code::kInputTooLarge);
  EXPECT_NE(result.error().message.find("16384"), std::string::npos);
}

TEST_F(JwsAttackTest, WrongLengthEcdsaSignatureFails) {
  auto parts = Parts(token_);
  Bytes signature = *Base64UrlDecode(parts[2]);
  signature.push_back(0);
  parts[2] = Base64UrlEncode(signature);
  EXPECT_EQ(VerifyCode(Join(parts)), Code::kJwsSignatureInvalid);
}

TEST(JwsSign, RoundTripsForEveryAlgorithm) {
  auto oct = Jwk::FromSecret(crypto::RandomSecret(32));
  ASSERT_TRUE(oct.ok());
  struct Case {
    Jwk key;
    JwsAlgorithm algorithm;
  } cases[] = {{NewKey(crypto::KeyType::kEcP256), JwsAlgorithm::kEs256},
               {NewKey(crypto::KeyType::kEd25519), JwsAlgorithm::kEdDsa},
               {*oct, JwsAlgorithm::kHs256}};
  for (const Case& c : cases) {
    bj::object header;
    header["typ"] = "JWT";
    header["kid"] = "k1";
    auto token = SignCompact(header, AsBytes(std::string("payload")), c.key, c.algorithm);
    ASSERT_TRUE(token.ok()) << token.error().message;
    JwsVerifier verifier = MakeVerifier({c.algorithm}, c.key);
    auto verified = verifier.Verify(*token);
    ASSERT_TRUE(verified.ok()) << verified.error().message;
    EXPECT_EQ(verified->payload_text(), "payload");
    EXPECT_EQ(Str(verified->header().at("kid")), "k1");
    EXPECT_EQ(Str(verified->header().at("alg")), JwsAlgorithmName(c.algorithm));
  }
  bj::object bad;
  bad["alg"] = "none";
  EXPECT_EQ(SignCompact(bad, {}, cases[0].key, JwsAlgorithm::kEs256).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(
      SignCompact({}, {}, Jwk::FromPublicKey(*cases[0].key.public_key()), JwsAlgorithm::kEs256)
          .code(),
      Code::kInvalidArgument);
  EXPECT_EQ(SignCompact({}, {}, cases[0].key, JwsAlgorithm::kEdDsa).code(),
            Code::kJwsAlgNotAllowed);
}

}  // namespace
}  // namespace ztm::jose

namespace ztm::jose {
namespace {

TEST(JwsSignCompactWithSigner, SignsWithTheSignersAlgorithmAndVerifies) {
  for (const auto type : {crypto::KeyType::kEcP256, crypto::KeyType::kEd25519}) {
    auto key = crypto::PrivateKey::Generate(type);
    ASSERT_TRUE(key.ok());
    auto signer = crypto::PrivateKeySigner::Create(*key, crypto::RawSignatureAlgorithmFor(type));
    ASSERT_TRUE(signer.ok());
    auto compact = SignCompact(boost::json::object{{"typ", "ztm-attest+jwt"}},
                               AsBytes(std::string_view(R"({"challenge":"c"})")), *signer);
    ASSERT_TRUE(compact.ok()) << compact.error().message;
    const JwsAlgorithm algorithm =
        type == crypto::KeyType::kEcP256 ? JwsAlgorithm::kEs256 : JwsAlgorithm::kEdDsa;
    auto verifier = JwsVerifier::Create({algorithm}, Jwk::FromPublicKey(key->public_key()));
    ASSERT_TRUE(verifier.ok());
    auto verified = verifier->Verify(*compact);
    ASSERT_TRUE(verified.ok()) << verified.error().message;
    EXPECT_EQ(verified->header().at("typ").as_string(), "ztm-attest+jwt");
    // Another key's verifier refuses it.
    auto other = crypto::PrivateKey::Generate(type);
    ASSERT_TRUE(other.ok());
    auto wrong = JwsVerifier::Create({algorithm}, Jwk::FromPublicKey(other->public_key()));
    ASSERT_TRUE(wrong.ok());
    EXPECT_FALSE(wrong->Verify(*compact).ok());
  }
}

TEST(JwsSignCompactWithSigner, RefusesDerSignersAndReservedMembers) {
  auto key = crypto::PrivateKey::Generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(key.ok());
  auto der =
      crypto::PrivateKeySigner::Create(*key, crypto::SignatureAlgorithm::kEcdsaP256Sha256Der);
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(SignCompact({}, AsBytes(std::string_view("{}")), *der).code(),
            Code::kCryptoUnsupportedAlgorithm);
  auto raw =
      crypto::PrivateKeySigner::Create(*key, crypto::SignatureAlgorithm::kEcdsaP256Sha256Raw);
  ASSERT_TRUE(raw.ok());
  for (const char* reserved : {"alg", "crit", "b64"}) {
    EXPECT_EQ(
        SignCompact(boost::json::object{{reserved, "x"}}, AsBytes(std::string_view("{}")), *raw)
            .code(),
        Code::kInvalidArgument)
        << reserved;
  }
}

}  // namespace
}  // namespace ztm::jose
