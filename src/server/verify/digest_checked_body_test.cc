#include "server/verify/digest_checked_body.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/httpsig/content_digest.h"
#include "server/http/body_test_support.h"

namespace ztm::server {
namespace {

using http::testing::ScriptedBody;

// Pieces a reader released, in order (stops at the first error).
struct Released {
  std::vector<std::string> pieces;
  std::optional<Error> error;
};

Released ReadAll(http::BodyReader& body) {
  Released released;
  for (int i = 0; i < 10000; ++i) {
    std::optional<Result<http::BodyChunk>> got;
    body.Read([&](Result<http::BodyChunk> piece) { got = std::move(piece); });
    EXPECT_TRUE(got.has_value());  // ScriptedBody answers inline
    if (!got->ok()) {
      released.error = got->error();
      return released;
    }
    released.pieces.push_back((*got)->data);
    if ((*got)->last) return released;
  }
  ADD_FAILURE() << "no last piece";
  return released;
}

std::shared_ptr<DigestCheckedBody> Checked(std::vector<std::string> pieces,
                                           const std::string& signed_body) {
  auto field = httpsig::ContentDigest(AsBytes(signed_body));
  EXPECT_TRUE(field.ok());
  auto checker = httpsig::ContentDigestChecker::Create(*field);
  EXPECT_TRUE(checker.ok());
  return std::make_shared<DigestCheckedBody>(
      std::make_shared<ScriptedBody>(std::move(pieces), std::nullopt),
      std::make_shared<httpsig::ContentDigestChecker>(std::move(checker).value()));
}

TEST(DigestCheckedBody, SmallMatchingBodyIsReleasedWholeAtTheEnd) {
  auto body = Checked({"{\"a\":", "", "1}"}, "{\"a\":1}");
  const Released released = ReadAll(*body);
  ASSERT_FALSE(released.error);
  EXPECT_EQ(released.pieces, std::vector<std::string>{"{\"a\":1}"});
  EXPECT_FALSE(body->mismatched());
}

TEST(DigestCheckedBody, SmallTamperedBodyReleasesNothing) {
  auto body = Checked({"{\"a\":", "2}"}, "{\"a\":1}");
  const Released released = ReadAll(*body);
  EXPECT_TRUE(released.pieces.empty());
  ASSERT_TRUE(released.error);
  EXPECT_EQ(released.error->code, Code::kContentDigestMismatch);
  EXPECT_TRUE(body->mismatched());
}

TEST(DigestCheckedBody, LargeBodyStreamsButHoldsBackItsEnd) {
  // 3 MiB in 64 KiB pieces: bytes flow before the end, but never the whole body.
  std::vector<std::string> pieces(48, std::string(64 * 1024, 'x'));
  std::string whole;
  for (const auto& piece : pieces) whole += piece;
  {
    auto body = Checked(pieces, whole);
    const Released released = ReadAll(*body);
    ASSERT_FALSE(released.error);
    std::string joined;
    for (const auto& piece : released.pieces) joined += piece;
    EXPECT_TRUE(joined == whole);
    EXPECT_GT(released.pieces.size(), 1u);
  }
  {
    std::string tampered = whole;
    tampered.back() = 'y';
    std::vector<std::string> tampered_pieces = pieces;
    tampered_pieces.back().back() = 'y';
    auto body = Checked(tampered_pieces, whole);
    const Released released = ReadAll(*body);
    ASSERT_TRUE(released.error);
    EXPECT_EQ(released.error->code, Code::kContentDigestMismatch);
    std::size_t passed = 0;
    for (const auto& piece : released.pieces) passed += piece.size();
    EXPECT_GT(passed, 0u);            // it streamed...
    EXPECT_LT(passed, whole.size());  // ...but never all of it
    EXPECT_GE(whole.size() - passed, kVerifyBeforeForwardBytes / 2);
  }
}

TEST(DigestCheckedBody, PassesTheBodysOwnErrorsThrough) {
  auto field = httpsig::ContentDigest(AsBytes(std::string_view("abc")));
  ASSERT_TRUE(field.ok());
  auto checker = httpsig::ContentDigestChecker::Create(*field);
  ASSERT_TRUE(checker.ok());
  auto body = std::make_shared<DigestCheckedBody>(
      std::make_shared<ScriptedBody>(std::vector<std::string>{"a"}, 3,
                                     Error{Code::kHttpBodyTimeout, "stalled"}),
      std::make_shared<httpsig::ContentDigestChecker>(std::move(checker).value()));
  EXPECT_EQ(body->declared_length(), 3u);
  const Released released = ReadAll(*body);
  ASSERT_TRUE(released.error);
  EXPECT_EQ(released.error->code, Code::kHttpBodyTimeout);
  EXPECT_FALSE(body->mismatched());
}

}  // namespace
}  // namespace ztm::server
