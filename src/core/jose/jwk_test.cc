// JWK parsing strictness and RFC 7638 thumbprints.
#include "core/jose/jwk.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
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

// RFC 7515 A.3's key (testdata/rfc/rfc7515_a3.jwk.json).
constexpr char kEcX[] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
constexpr char kEcY[] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
constexpr char kEcD[] = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";

std::string EcJwk(const std::string& extra = "") {
  return std::string(R"({"kty":"EC","crv":"P-256","x":")") + kEcX + R"(","y":")" + kEcY + "\"" +
         extra + "}";
}

TEST(JwkThumbprint, Rfc7638Section31ExampleInput) {
  bj::value data = LoadJson("rfc/rfc7638_3_1.json");
  const bj::object& o = data.as_object();
  std::string canonical = Str(o.at("canonical_json"));
  Bytes digest = crypto::Sha256(canonical);
  const bj::array& octets = o.at("sha256_octets").as_array();
  ASSERT_EQ(octets.size(), digest.size());
  for (std::size_t i = 0; i < digest.size(); ++i) EXPECT_EQ(octets[i].as_int64(), digest[i]);
  EXPECT_EQ(ThumbprintOfCanonicalJson(canonical), Str(o.at("thumbprint")));
}

TEST(JwkThumbprint, Rfc8037AppendixA3Ed25519) {
  bj::value data = LoadJson("rfc/rfc8037_a3.json");
  auto jwk = ParsePublicJwk(data.as_object().at("jwk").as_object());
  ASSERT_TRUE(jwk.ok()) << jwk.error().message;
  EXPECT_EQ(jwk->Thumbprint(), Str(data.as_object().at("thumbprint")));
}

TEST(JwkThumbprint, GeneratedEcAndOkpKeys) {
  bj::value data = LoadJson("rfc/thumbprints.generated.json");
  const bj::array& cases = data.as_object().at("cases").as_array();
  ASSERT_EQ(cases.size(), 4u);
  for (const bj::value& c : cases) {
    const bj::object& jwk_object = c.as_object().at("jwk").as_object();
    auto private_jwk = ParsePrivateJwk(jwk_object);
    ASSERT_TRUE(private_jwk.ok()) << private_jwk.error().message;
    EXPECT_EQ(private_jwk->Thumbprint(), Str(c.as_object().at("thumbprint")));
    // The public form (without "d") has the same thumbprint and re-serialises to the same
    // members.
    bj::object public_object = jwk_object;
    public_object.erase("d");
    auto public_jwk = ParsePublicJwk(public_object);
    ASSERT_TRUE(public_jwk.ok()) << public_jwk.error().message;
    EXPECT_EQ(public_jwk->Thumbprint(), Str(c.as_object().at("thumbprint")));
    EXPECT_EQ(*public_jwk->ToPublicObject(), public_object);
    EXPECT_EQ(*private_jwk->ToPrivateObject(), jwk_object);
  }
}

TEST(JwkThumbprint, IgnoresOptionalMembers) {
  auto plain = ParsePublicJwk(EcJwk());
  auto decorated = ParsePublicJwk(EcJwk(R"(,"kid":"k1","use":"sig","alg":"ES256","x5u":"u")"));
  ASSERT_TRUE(plain.ok() && decorated.ok());
  EXPECT_EQ(plain->Thumbprint(), decorated->Thumbprint());
  EXPECT_EQ(decorated->kid(), "k1");
}

TEST(JwkParse, PublicRejectsEveryPrivateMember) {
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    auto jwk = ParsePublicJwk(EcJwk(std::string(",\"") + member + "\":\"AQAB\""));
    ASSERT_FALSE(jwk.ok()) << member;
    EXPECT_EQ(jwk.code(), Code::kJwkPrivateMember) << member;
  }
  auto oct = ParsePublicJwk(R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ"})");
  EXPECT_EQ(oct.code(), Code::kJwkPrivateMember);
}

TEST(JwkParse, PrivateEcKeyDerivesItsPublicMembers) {
  auto jwk = ParsePrivateJwk(EcJwk(std::string(R"(,"d":")") + kEcD + "\""));
  ASSERT_TRUE(jwk.ok()) << jwk.error().message;
  EXPECT_TRUE(jwk->is_private());
  ASSERT_NE(jwk->private_key(), nullptr);
  // A "d" from another key: the pair is inconsistent.
  bj::value generated = LoadJson("rfc/thumbprints.generated.json");
  std::string other_d =
      Str(generated.as_object().at("cases").as_array()[0].as_object().at("jwk").at("d"));
  auto mismatched = ParsePrivateJwk(EcJwk(R"(,"d":")" + other_d + "\""));
  EXPECT_EQ(mismatched.code(), Code::kJwkInvalid);
  // ParsePrivateJwk needs the private member.
  EXPECT_EQ(ParsePrivateJwk(EcJwk()).code(), Code::kJwkInvalid);
}

TEST(JwkParse, RejectsMalformedKeys) {
  const std::string x = kEcX, y = kEcY;
  const char* cases[] = {
      R"({"crv":"P-256","x":"AA","y":"AA"})",             // no kty
      R"({"kty":"RSA","n":"AQAB","e":"AQAB"})",           // unsupported kty
      R"({"kty":7})",                                     // kty not a string
      "[]",                                               // not an object
      R"({"kty":"EC","crv":"P-521","x":"AA","y":"AA"})",  // curve
      R"({"kty":"OKP","crv":"X25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})",
      R"({"kty":"EC","crv":"P-256","y":"AA"})",  // no x
      R"({"kty":"OKP","crv":"Ed25519"})",        // no x
  };
  for (const char* text : cases) {
    auto jwk = ParsePublicJwk(std::string_view(text));
    ASSERT_FALSE(jwk.ok()) << text;
    EXPECT_EQ(jwk.code(), Code::kJwkInvalid) << text;
  }
  const std::string bad_members[] = {
      R"({"kty":"EC","crv":"P-256","x":")" + x + "=\",\"y\":\"" + y + "\"}",  // padding
      R"({"kty":"EC","crv":"P-256","x":")" + x.substr(0, 42) + "+\",\"y\":\"" + y + "\"}",  // '+'
      R"({"kty":"EC","crv":"P-256","x":")" + x.substr(0, 42) + "V\",\"y\":\"" + y +
          "\"}",  // unused bits
      R"({"kty":"EC","crv":"P-256","x":")" + x.substr(0, 40) + "\",\"y\":\"" + y +
          "\"}",                                                               // 30 bytes
      R"({"kty":"EC","crv":"P-256","x":"AA)" + x + "\",\"y\":\"" + y + "\"}",  // 33 bytes
      R"({"kty":"EC","crv":"P-256","x":")" + x + "\",\"y\":\"" + x + "\"}",    // not on curve
      R"({"kty":"EC","crv":"P-256","x":")" + x + "\",\"y\":5}",                // wrong type
      R"({"kty":"EC","crv":"P-256","x":")" + x + "\",\"y\":\"" + y + "\",\"kid\":1}",
      R"({"kty":"EC","crv":"P-256","x":")" + x + "\",\"y\":\"" + y + "\",\"key_ops\":\"verify\"}",
      R"({"kty":"EC","crv":"P-256","x":")" + x + "\",\"y\":\"" + y +
          "\",\"key_ops\":[\"verify\",\"verify\"]}",
  };
  for (const std::string& text : bad_members) {
    auto jwk = ParsePublicJwk(text);
    ASSERT_FALSE(jwk.ok()) << text;
    EXPECT_EQ(jwk.code(), Code::kJwkInvalid) << text;
  }
}

TEST(JwkParse, RejectsDuplicateMembersAndOversizedDocuments) {
  auto duplicate = ParsePublicJwk(EcJwk(std::string(R"(,"x":")") + kEcX + "\""));
  EXPECT_EQ(duplicate.code(), Code::kJwkInvalid);
  EXPECT_NE(duplicate.error().message.find("duplicate"), std::string::npos);
  std::string huge = EcJwk(",\"pad\":\"" + std::string(kMaxJwkBytes, 'a') + "\"");
  EXPECT_EQ(ParsePublicJwk(huge).code(), Code::kInputTooLarge);
}

TEST(JwkParse, OctKeysNeedAtLeast256Bits) {
  auto short_key = ParsePrivateJwk(R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMko"})");
  EXPECT_EQ(short_key.code(), Code::kJwkInvalid);
  auto key = ParsePrivateJwk(testing::ReadTestdata("rfc/rfc7515_a1.jwk.json"));
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->key_type(), JwkKeyType::kOct);
  EXPECT_EQ(key->secret()->size(), 64u);
  EXPECT_EQ(key->public_key(), nullptr);
  EXPECT_FALSE(key->ToPublicObject().ok());
}

// Error messages go to logs: member values chosen by the sender are shown bounded and
// printable, never verbatim (review finding 6).
TEST(JwkParse, ErrorMessagesDoNotEchoControlCharactersOrLongValues) {
  const std::string hostile = "E\\nC\\r\\u001b[31m\\u0000" + std::string(5000, 'A');
  const auto check = [](const Error& error) {
    EXPECT_LT(error.message.size(), 200u) << error.message.substr(0, 300);
    for (const char c : error.message) {
      EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "byte " << static_cast<int>(c) << " in message";
    }
  };
  for (const std::string& text :
       {R"({"kty":")" + hostile + R"("})",
        R"({"kty":"EC","crv":")" + hostile + R"(","x":")" + std::string(kEcX) + R"(","y":")" +
            kEcY + R"("})",
        R"({"kty":"OKP","crv":")" + hostile + R"(","x":")" + std::string(kEcX) + R"("})"}) {
    auto jwk = ParsePublicJwk(text);
    ASSERT_FALSE(jwk.ok());
    EXPECT_EQ(jwk.code(), Code::kJwkInvalid);
    check(jwk.error());
  }
  auto use = ParsePublicJwk(EcJwk(R"(,"use":")" + hostile + R"(")"));
  ASSERT_TRUE(use.ok());
  auto refused = use->PermitsSignatureUse(KeyOperation::kVerify, "ES256");
  ASSERT_FALSE(refused.ok());
  check(refused.error());
  auto alg = ParsePublicJwk(EcJwk(R"(,"alg":")" + hostile + R"(")"));
  ASSERT_TRUE(alg.ok());
  refused = alg->PermitsSignatureUse(KeyOperation::kVerify, "ES256");
  ASSERT_FALSE(refused.ok());
  check(refused.error());
}

TEST(JwkParse, OkpKeyWithYIsRefused) {
  auto jwk = ParsePublicJwk(R"({"kty":"OKP","crv":"Ed25519",)"
                            R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",)"
                            R"("y":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
  ASSERT_FALSE(jwk.ok());
  EXPECT_EQ(jwk.code(), Code::kJwkInvalid);
  EXPECT_NE(jwk.error().message.find("\"y\""), std::string::npos) << jwk.error().message;
  // Also when the member is not a string.
  EXPECT_EQ(ParsePublicJwk(R"({"kty":"OKP","crv":"Ed25519",)"
                           R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","y":null})")
                .code(),
            Code::kJwkInvalid);
}

TEST(JwkUse, UseKeyOpsAndAlgRestrictSignatures) {
  auto sig = ParsePublicJwk(EcJwk(R"(,"use":"sig","key_ops":["verify"],"alg":"ES256")"));
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(sig->PermitsSignatureUse(KeyOperation::kVerify, "ES256").ok());
  EXPECT_EQ(sig->PermitsSignatureUse(KeyOperation::kSign, "ES256").code(), Code::kJwkInvalid);
  EXPECT_EQ(sig->PermitsSignatureUse(KeyOperation::kVerify, "EdDSA").code(), Code::kJwkInvalid);
  auto enc = ParsePublicJwk(EcJwk(R"(,"use":"enc")"));
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->PermitsSignatureUse(KeyOperation::kVerify, "ES256").code(), Code::kJwkInvalid);
}

TEST(JwkRoundTrip, GeneratedKeysSerialiseAndParseBack) {
  for (crypto::KeyType type : {crypto::KeyType::kEcP256, crypto::KeyType::kEd25519}) {
    auto key = crypto::PrivateKey::Generate(type);
    ASSERT_TRUE(key.ok());
    Jwk jwk = Jwk::FromPrivateKey(*key);
    auto text = json::Serialize(*jwk.ToPrivateObject());
    auto parsed = ParsePrivateJwk(text);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed->Thumbprint(), jwk.Thumbprint());
    auto any = ParseAnyJwk(json::Serialize(*jwk.ToPublicObject()));
    ASSERT_TRUE(any.ok());
    EXPECT_FALSE(any->is_private());
  }
}

// Serialising a key must keep its restrictions: an oct key limited to "verify" that came
// back without "key_ops" could sign (review finding 9).
TEST(JwkRoundTrip, OctKeyKeepsItsRestrictions) {
  const std::string k = Base64UrlEncode(Bytes(32, 0x42));
  auto key = ParsePrivateJwk(R"({"kty":"oct","k":")" + k +
                             R"(","kid":"k1","alg":"HS256","use":"sig","key_ops":["verify"]})");
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->PermitsSignatureUse(KeyOperation::kSign, "HS256").code(), Code::kJwkInvalid);
  auto object = key->ToPrivateObject();
  ASSERT_TRUE(object.ok());
  auto parsed = ParsePrivateJwk(json::Serialize(*object));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->key_ops(), std::vector<std::string>{"verify"});
  EXPECT_EQ(parsed->kid(), "k1");
  EXPECT_EQ(parsed->alg(), "HS256");
  EXPECT_EQ(parsed->use(), "sig");
  EXPECT_EQ(parsed->PermitsSignatureUse(KeyOperation::kSign, "HS256").code(), Code::kJwkInvalid);
  EXPECT_TRUE(parsed->PermitsSignatureUse(KeyOperation::kVerify, "HS256").ok());
  EXPECT_EQ(parsed->Thumbprint(), key->Thumbprint());
}

}  // namespace
}  // namespace ztm::jose
