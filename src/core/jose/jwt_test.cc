// JWT claim validation: every default check, every explicit opt-out, and the builder.
#include "core/jose/jwt.h"

#include <gtest/gtest.h>

#include "core/crypto/keys.h"
#include "core/encoding.h"
#include "testdata.h"

namespace ztm::jose {
namespace {

constexpr std::int64_t kNow = 1700000000;

class JwtTest : public ::testing::Test {
 protected:
  JwtTest() : key_(Jwk::FromPrivateKey(*crypto::PrivateKey::Generate(crypto::KeyType::kEcP256))) {}

  // Signs `claims_json` with header {"alg":"ES256"} plus `typ` when given.
  std::string Token(const std::string& claims_json, const std::string& typ = "") const {
    boost::json::object header;
    if (!typ.empty()) header["typ"] = typ;
    auto token = SignCompact(header, AsBytes(claims_json), key_, JwsAlgorithm::kEs256);
    if (!token.ok()) std::abort();
    return *token;
  }
  Result<VerifiedJwt> Check(const JwtValidatorBuilder& builder, const std::string& token,
                            std::int64_t now = kNow) const {
    auto validator = builder.Build();
    if (!validator.ok()) return validator.error();
    auto verifier = JwsVerifier::Create({JwsAlgorithm::kEs256}, key_);
    FixedClock clock(now);
    return VerifyJwt(*verifier, *validator, token, clock);
  }
  Code CheckCode(const JwtValidatorBuilder& builder, const std::string& token,
                 std::int64_t now = kNow) const {
    auto result = Check(builder, token, now);
    return result.ok() ? Code::kInternal : result.code();  // kInternal marks "accepted"
  }
  static std::string Exp(std::int64_t exp) { return R"({"exp":)" + std::to_string(exp) + "}"; }

  Jwk key_;
};

TEST_F(JwtTest, ValidTokenExposesTypedClaims) {
  JwtValidatorBuilder builder;
  builder.ExpectIssuer("https://as.example").ExpectAudience("api").ExpectTypeHeader("at+jwt");
  auto jwt = Check(builder, Token(R"({"iss":"https://as.example","sub":"alice","aud":["x","api"],)"
                                  R"("exp":1700000600,"nbf":1699999990,"iat":1699999999,)"
                                  R"("jti":"id1","scope":"read"})",
                                  "at+jwt"));
  ASSERT_TRUE(jwt.ok()) << jwt.error().message;
  EXPECT_EQ(jwt->issuer(), "https://as.example");
  EXPECT_EQ(jwt->subject(), "alice");
  EXPECT_EQ(jwt->audiences(), (std::vector<std::string>{"x", "api"}));
  EXPECT_EQ(jwt->expiration(), 1700000600);
  EXPECT_EQ(jwt->not_before(), 1699999990);
  EXPECT_EQ(jwt->issued_at(), 1699999999);
  EXPECT_EQ(jwt->jwt_id(), "id1");
  EXPECT_EQ(jwt->type_header(), "at+jwt");
  EXPECT_EQ(jwt->claims().at("scope").as_string(), "read");
}

TEST_F(JwtTest, ExpirationIsRequiredAndEnforcedWithSkew) {
  JwtValidatorBuilder builder;
  EXPECT_EQ(CheckCode(builder, Token("{}")), Code::kJwtMissingClaim);
  EXPECT_EQ(CheckCode(JwtValidatorBuilder().AllowMissingExpiration(), Token("{}")),
            Code::kInternal);
  // Default skew 60 s: exp == now - 60 is expired, now - 59 still accepted.
  EXPECT_EQ(CheckCode(builder, Token(Exp(kNow - 60))), Code::kJwtExpired);
  EXPECT_EQ(CheckCode(builder, Token(Exp(kNow - 59))), Code::kInternal);
  EXPECT_EQ(CheckCode(JwtValidatorBuilder().SetClockSkew(0), Token(Exp(kNow))), Code::kJwtExpired);
  EXPECT_EQ(CheckCode(JwtValidatorBuilder().SetClockSkew(0), Token(Exp(kNow + 1))),
            Code::kInternal);
}

TEST_F(JwtTest, NotBeforeAndIssuedAtInTheFuture) {
  JwtValidatorBuilder builder;
  builder.SetClockSkew(10);
  EXPECT_EQ(CheckCode(builder, Token(R"({"exp":1800000000,"nbf":1700000011})")),
            Code::kJwtNotYetValid);
  EXPECT_EQ(CheckCode(builder, Token(R"({"exp":1800000000,"nbf":1700000010})")), Code::kInternal);
  EXPECT_EQ(CheckCode(builder, Token(R"({"exp":1800000000,"iat":1700000011})")),
            Code::kJwtIssuedInFuture);
  EXPECT_EQ(CheckCode(builder, Token(R"({"exp":1800000000,"iat":1700000010})")), Code::kInternal);
}

TEST_F(JwtTest, NumericDatesMustBeIntegers) {
  JwtValidatorBuilder builder;
  for (const char* claims :
       {R"({"exp":"1800000000"})", R"({"exp":1800000000.5})", R"({"exp":true})", R"({"exp":null})",
        R"({"exp":-1})", R"({"exp":18446744073709551615})", R"({"exp":1800000000,"nbf":"0"})",
        R"({"exp":1800000000,"iat":[1]})", R"({"exp":253402300800})"}) {
    EXPECT_EQ(CheckCode(builder, Token(claims)), Code::kJwtClaimsInvalid) << claims;
  }
}

TEST_F(JwtTest, IssuerChecks) {
  const std::string token = Token(R"({"iss":"https://as.example","exp":1800000000})");
  EXPECT_EQ(CheckCode(JwtValidatorBuilder().ExpectIssuer("https://as.example"), token),
            Code::kInternal);
  EXPECT_EQ(CheckCode(JwtValidatorBuilder().ExpectIssuer("https://evil.example"), token),
            Code::kJwtIssuerMismatch);
  EXPECT_EQ(CheckCode(JwtValidatorBuilder().ExpectIssuer("https://as.example/"), token),
            Code::kJwtIssuerMismatch);
  // Not expected and not ignored: a token naming an issuer is refused.
  EXPECT_EQ(CheckCode(JwtValidatorBuilder(), token), Code::kJwtIssuerMismatch);
  EXPECT_EQ(CheckCode(JwtValidatorBuilder().IgnoreIssuer(), token), Code::kInternal);
  EXPECT_EQ(
      CheckCode(JwtValidatorBuilder().ExpectIssuer("https://as.example"), Token(Exp(kNow + 9))),
      Code::kJwtMissingClaim);
  EXPECT_EQ(CheckCode(JwtValidatorBuilder().IgnoreIssuer(), Token(R"({"iss":5,"exp":1800000000})")),
            Code::kJwtClaimsInvalid);
}

TEST_F(JwtTest, AudienceChecks) {
  const std::string single = Token(R"({"aud":"api","exp":1800000000})");
  const std::string list = Token(R"({"aud":["web","api"],"exp":1800000000})");
  EXPECT_EQ(CheckCode(JwtValidatorBuilder().ExpectAudience("api"), single), Code::kInternal);
  EXPECT_EQ(CheckCode(JwtValidatorBuilder().ExpectAudience("api"), list), Code::kInternal);
  EXPECT_EQ(CheckCode(JwtValidatorBuilder().ExpectAudience("other"), list),
            Code::kJwtAudienceMismatch);
  EXPECT_EQ(CheckCode(JwtValidatorBuilder().ExpectAudience("api"), Token(Exp(kNow + 9))),
            Code::kJwtMissingClaim);
  // No expected audience does not silently accept a token meant for some audience.
  EXPECT_EQ(CheckCode(JwtValidatorBuilder(), single), Code::kJwtAudienceMismatch);
  EXPECT_EQ(CheckCode(JwtValidatorBuilder(), list), Code::kJwtAudienceMismatch);
  EXPECT_EQ(CheckCode(JwtValidatorBuilder().IgnoreAudience(), list), Code::kInternal);
  for (const char* bad : {R"({"aud":[],"exp":1800000000})", R"({"aud":["api",1],"exp":1800000000})",
                          R"({"aud":{"a":1},"exp":1800000000})"}) {
    EXPECT_EQ(CheckCode(JwtValidatorBuilder().ExpectAudience("api"), Token(bad)),
              Code::kJwtClaimsInvalid)
        << bad;
  }
}

TEST_F(JwtTest, TypeHeaderChecks) {
  const std::string typed = Token(Exp(kNow + 9), "at+jwt");
  EXPECT_EQ(CheckCode(JwtValidatorBuilder().ExpectTypeHeader("at+jwt"), typed), Code::kInternal);
  // RFC 7515 §4.1.9: case-insensitive, "application/" implied.
  EXPECT_EQ(CheckCode(JwtValidatorBuilder().ExpectTypeHeader("at+jwt"),
                      Token(Exp(kNow + 9), "application/AT+JWT")),
            Code::kInternal);
  EXPECT_EQ(
      CheckCode(JwtValidatorBuilder().ExpectTypeHeader("at+jwt"), Token(Exp(kNow + 9), "dpop+jwt")),
      Code::kJwtTypeMismatch);
  EXPECT_EQ(CheckCode(JwtValidatorBuilder().ExpectTypeHeader("at+jwt"),
                      Token(Exp(kNow + 9), "text/at+jwt")),
            Code::kJwtTypeMismatch);
  EXPECT_EQ(CheckCode(JwtValidatorBuilder().ExpectTypeHeader("at+jwt"), Token(Exp(kNow + 9))),
            Code::kJwtTypeMismatch);
  EXPECT_EQ(CheckCode(JwtValidatorBuilder(), typed), Code::kJwtTypeMismatch);
  EXPECT_EQ(CheckCode(JwtValidatorBuilder().IgnoreTypeHeader(), typed), Code::kInternal);
}

TEST_F(JwtTest, ClaimsMustBeAStrictJsonObject) {
  JwtValidatorBuilder builder;
  EXPECT_EQ(CheckCode(builder, Token(R"({"exp":1800000000,"exp":1})")), Code::kJwtClaimsInvalid);
  EXPECT_EQ(CheckCode(builder, Token(R"({"sub":"a","sub":"b","exp":1800000000})")),
            Code::kJwtClaimsInvalid);
  EXPECT_EQ(CheckCode(builder, Token("[1]")), Code::kJwtClaimsInvalid);
  EXPECT_EQ(CheckCode(builder, Token("not json")), Code::kJwtClaimsInvalid);
}

TEST_F(JwtTest, Rfc7515ExampleIsAJwtThatExpiredIn2011) {
  auto key = ParsePrivateJwk(testing::ReadTestdata("rfc/rfc7515_a1.jwk.json"));
  ASSERT_TRUE(key.ok());
  auto verifier = JwsVerifier::Create({JwsAlgorithm::kHs256}, *key);
  auto validator =
      JwtValidatorBuilder().ExpectIssuer("joe").ExpectTypeHeader("JWT").SetClockSkew(0).Build();
  ASSERT_TRUE(verifier.ok() && validator.ok());
  const std::string token = testing::ReadTestdata("rfc/rfc7515_a1.jws");
  auto before = VerifyJwt(*verifier, *validator, token, FixedClock(1300819379));
  ASSERT_TRUE(before.ok()) << before.error().message;
  EXPECT_EQ(before->claims().at("http://example.com/is_root").as_bool(), true);
  EXPECT_EQ(VerifyJwt(*verifier, *validator, token, FixedClock(1300819380)).code(),
            Code::kJwtExpired);
}

TEST(JwtValidatorBuilderTest, RefusesContradictionsAndBadSkew) {
  EXPECT_EQ(JwtValidatorBuilder().ExpectIssuer("a").IgnoreIssuer().Build().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(JwtValidatorBuilder().ExpectAudience("a").IgnoreAudience().Build().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(JwtValidatorBuilder().ExpectTypeHeader("a").IgnoreTypeHeader().Build().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(JwtValidatorBuilder().ExpectAudience("").Build().code(), Code::kInvalidArgument);
  EXPECT_EQ(JwtValidatorBuilder().ExpectIssuer("").Build().code(), Code::kInvalidArgument);
  EXPECT_EQ(JwtValidatorBuilder().SetClockSkew(-1).Build().code(), Code::kInvalidArgument);
  EXPECT_EQ(JwtValidatorBuilder().SetClockSkew(kMaxClockSkewSeconds + 1).Build().code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(JwtValidatorBuilder().SetClockSkew(kMaxClockSkewSeconds).Build().ok());
}

}  // namespace
}  // namespace ztm::jose
