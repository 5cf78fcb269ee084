// RFC 9530 Content-Digest: creation with the RFC's values and every verification failure.
#include "core/httpsig/content_digest.h"

#include <gtest/gtest.h>

#include <string>

#include "core/sf/structured_fields.h"

namespace ztm::httpsig {
namespace {

constexpr char kHelloWorld[] = "{\"hello\": \"world\"}";
// RFC 9530 §2 and RFC 9421 Appendix B.2: the digests of {"hello": "world"}.
constexpr char kHelloSha256[] = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:";
constexpr char kHelloSha512[] =
    "sha-512=:WZDPaVn/"
    "7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:";

TEST(ContentDigest, ReproducesRfcValues) {
  EXPECT_EQ(ContentDigest(AsBytes(kHelloWorld)).value(), kHelloSha256);
  EXPECT_EQ(ContentDigest(AsBytes(kHelloWorld), {DigestAlgorithm::kSha512}).value(), kHelloSha512);
  EXPECT_EQ(
      ContentDigest(AsBytes(kHelloWorld), {DigestAlgorithm::kSha256, DigestAlgorithm::kSha512})
          .value(),
      std::string(kHelloSha256) + ", " + kHelloSha512);
}

TEST(ContentDigest, RefusesEmptyOrRepeatedAlgorithmList) {
  EXPECT_EQ(ContentDigest(AsBytes(kHelloWorld), {}).code(), Code::kInvalidArgument);
  EXPECT_EQ(
      ContentDigest(AsBytes(kHelloWorld), {DigestAlgorithm::kSha256, DigestAlgorithm::kSha256})
          .code(),
      Code::kInvalidArgument);
}

TEST(ContentDigest, VerifiesRfcValues) {
  EXPECT_TRUE(VerifyContentDigest(kHelloSha256, AsBytes(kHelloWorld)).ok());
  EXPECT_TRUE(VerifyContentDigest(kHelloSha512, AsBytes(kHelloWorld)).ok());
  EXPECT_TRUE(
      VerifyContentDigest(std::string(kHelloSha512) + ", " + kHelloSha256, AsBytes(kHelloWorld))
          .ok());
}

TEST(ContentDigest, IgnoresUnknownAndDeprecatedAlgorithms) {
  // md5 is a deprecated algorithm of RFC 9530 §5: never checked, never enough on its own.
  EXPECT_TRUE(VerifyContentDigest(std::string("md5=:AAAA:, x-new=?1, ") + kHelloSha256,
                                  AsBytes(kHelloWorld))
                  .ok());
  EXPECT_EQ(VerifyContentDigest("md5=:sQqNsWTgdUEFt6mb5y4/5Q==:", AsBytes(kHelloWorld)).code(),
            Code::kDigestUnsupportedAlgorithm);
  EXPECT_EQ(VerifyContentDigest("sha-1=:AAAA:", AsBytes(kHelloWorld)).code(),
            Code::kDigestUnsupportedAlgorithm);
}

TEST(ContentDigest, EveryPresentSupportedAlgorithmMustMatch) {
  // A correct sha-512 does not excuse a wrong sha-256.
  const std::string wrong_sha256 = "sha-256=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:";
  EXPECT_EQ(
      VerifyContentDigest(std::string(kHelloSha512) + ", " + wrong_sha256, AsBytes(kHelloWorld))
          .code(),
      Code::kDigestMismatch);
  // Tampered body.
  EXPECT_EQ(VerifyContentDigest(kHelloSha256, AsBytes("{\"hello\": \"World\"}")).code(),
            Code::kDigestMismatch);
  // A truncated digest is a mismatch, not a prefix match.
  EXPECT_EQ(VerifyContentDigest("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9D:",
                                AsBytes(kHelloWorld))
                .code(),
            Code::kDigestMismatch);
}

TEST(ContentDigest, RfcResponseExampleDigestIsWrongAsPrinted) {
  // RFC 9421 B.2.4 prints a Content-Digest that is not the SHA-512 of its body (see
  // testdata/http-message-signatures/SOURCES.md); the value in its signature base is.
  const std::string body = "{\"message\": \"good dog\"}";
  EXPECT_EQ(VerifyContentDigest("sha-512=:JlEy2bfUz7WrWIjc1qV6KVLpdr/7L5/L4h7Sxvh6sNHpDQWDCL+"
                                "GauFQWcZBvVDhiyOnAQsxzZFYwi0wDH+1pw==:",
                                AsBytes(body))
                .code(),
            Code::kDigestMismatch);
  EXPECT_TRUE(VerifyContentDigest("sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp2"
                                  "9l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:",
                                  AsBytes(body))
                  .ok());
}

TEST(ContentDigest, RejectsMalformedValues) {
  EXPECT_EQ(VerifyContentDigest("", AsBytes(kHelloWorld)).code(), Code::kDigestMissing);
  EXPECT_EQ(VerifyContentDigest("sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
                                AsBytes(kHelloWorld))
                .code(),
            Code::kDigestMalformed);
  EXPECT_EQ(VerifyContentDigest("sha-256=\"X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\"",
                                AsBytes(kHelloWorld))
                .code(),
            Code::kDigestMalformed);
  EXPECT_EQ(VerifyContentDigest("sha-256=(:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:)",
                                AsBytes(kHelloWorld))
                .code(),
            Code::kDigestMalformed);
  EXPECT_EQ(
      VerifyContentDigest(std::string(sf::kMaxFieldBytes + 1, 'a'), AsBytes(kHelloWorld)).code(),
      Code::kInputTooLarge);
}

TEST(ContentDigestChecker, BodyInPiecesVerifiesLikeWholeBody) {
  const std::string body = R"({"hello": "world"})";
  const std::string field =
      "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, "
      "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwE"
      "mTHWXvJwew==:";
  auto checker = ContentDigestChecker::Create(field);
  ASSERT_TRUE(checker.ok()) << checker.error().message;
  checker->Update(AsBytes(std::string_view(body).substr(0, 5)));
  checker->Update(AsBytes(std::string_view(body).substr(5)));
  EXPECT_TRUE(checker->Finish().ok());
}

TEST(ContentDigestChecker, RefusesChangedOrTruncatedBody) {
  const std::string field = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:";
  for (const std::string body : {R"({"hello": "World"})", R"({"hello": "world")", ""}) {
    auto checker = ContentDigestChecker::Create(field);
    ASSERT_TRUE(checker.ok());
    checker->Update(AsBytes(body));
    EXPECT_EQ(checker->Finish().code(), Code::kDigestMismatch) << body;
  }
}

TEST(ContentDigestChecker, EveryMemberMustMatch) {
  // sha-256 right, sha-512 of another body.
  const std::string field =
      "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-512=:" + std::string(86, 'A') +
      "==:";
  auto checker = ContentDigestChecker::Create(field);
  ASSERT_TRUE(checker.ok());
  checker->Update(AsBytes(std::string_view(R"({"hello": "world"})")));
  EXPECT_EQ(checker->Finish().code(), Code::kDigestMismatch);
}

TEST(ContentDigestChecker, RefusesFieldsAtCreate) {
  EXPECT_EQ(ContentDigestChecker::Create("").code(), Code::kDigestMissing);
  EXPECT_EQ(ContentDigestChecker::Create("sha-256=1").code(), Code::kDigestMalformed);
  EXPECT_EQ(ContentDigestChecker::Create("sha-256=:AA==:, sha-256=:AA==:").code(),
            Code::kDigestMalformed);
  EXPECT_EQ(ContentDigestChecker::Create("md5=:AA==:").code(), Code::kDigestUnsupportedAlgorithm);
}

TEST(ContentDigest, ReadsAndCombinesFieldLines) {
  HttpFields fields;
  EXPECT_EQ(VerifyContentDigest(fields, AsBytes(kHelloWorld)).code(), Code::kDigestMissing);
  ASSERT_TRUE(fields.Add("Content-Digest", kHelloSha512).ok());
  ASSERT_TRUE(fields.Add("Content-Digest", kHelloSha256).ok());
  EXPECT_TRUE(VerifyContentDigest(fields, AsBytes(kHelloWorld)).ok());
  ASSERT_TRUE(fields.Add("Content-Digest", "sha-256=:AAAA:").ok());
  // The third line repeats sha-256: refused as malformed, not resolved by position.
  EXPECT_EQ(VerifyContentDigest(fields, AsBytes(kHelloWorld)).code(), Code::kDigestMalformed);
}

// RFC 8941 would let the last sha-256 member win, so a wrong first digest would go unseen by
// this check but not by every other reader of the field: a repeated algorithm is refused.
TEST(ContentDigest, RejectsRepeatedAlgorithms) {
  const std::string wrong_sha256 = "sha-256=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:";
  const auto digest = [](const std::string& value) {
    return VerifyContentDigest(value, AsBytes(kHelloWorld));
  };
  EXPECT_EQ(digest(wrong_sha256 + ", " + kHelloSha256).code(), Code::kDigestMalformed);
  EXPECT_EQ(digest(std::string(kHelloSha256) + ", " + wrong_sha256).code(), Code::kDigestMalformed);
  EXPECT_EQ(digest(std::string(kHelloSha256) + ", " + kHelloSha256).code(), Code::kDigestMalformed);
  EXPECT_EQ(digest(std::string("md5=:AAAA:, md5=:AAAA:, ") + kHelloSha256).code(),
            Code::kDigestMalformed);
  const auto repeated = digest(wrong_sha256 + ", " + kHelloSha256);
  EXPECT_NE(repeated.error().message.find("sha-256"), std::string::npos)
      << repeated.error().message;
}

}  // namespace
}  // namespace ztm::httpsig
