#include "core/encoding.h"

#include <gtest/gtest.h>

namespace ztm {
namespace {

// RFC 4648 §10 test vectors.
struct Rfc4648Case {
  std::string plain, base64;
};
class Rfc4648Test : public ::testing::TestWithParam<Rfc4648Case> {};

TEST_P(Rfc4648Test, Base64RoundTrips) {
  const auto& c = GetParam();
  EXPECT_EQ(Base64Encode(c.plain), c.base64);
  auto decoded = Base64Decode(c.base64);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(AsString(*decoded), c.plain);
  std::string unpadded = c.base64.substr(0, c.base64.find('='));
  EXPECT_EQ(Base64UrlEncode(c.plain), unpadded);
  auto url = Base64UrlDecode(unpadded);
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(AsString(*url), c.plain);
}

INSTANTIATE_TEST_SUITE_P(Vectors, Rfc4648Test,
                         ::testing::Values(Rfc4648Case{"", ""}, Rfc4648Case{"f", "Zg=="},
                                           Rfc4648Case{"fo", "Zm8="}, Rfc4648Case{"foo", "Zm9v"},
                                           Rfc4648Case{"foob", "Zm9vYg=="},
                                           Rfc4648Case{"fooba", "Zm9vYmE="},
                                           Rfc4648Case{"foobar", "Zm9vYmFy"}));

TEST(Base64Url, UsesUrlAlphabet) {
  const std::uint8_t data[] = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(Base64UrlEncode(ByteView(data)), "-_-_");
  EXPECT_EQ(Base64Encode(ByteView(data)), "+/+/");
}

TEST(Base64Url, RejectsPadding) {
  EXPECT_EQ(Base64UrlDecode("Zg==").code(), Code::kBase64Invalid);
  EXPECT_EQ(Base64UrlDecode("Zm8=").code(), Code::kBase64Invalid);
}

TEST(Base64Url, RejectsCharactersOutsideAlphabet) {
  for (const char* bad : {"Zm9v+g", "Zm9v/g", "Zm 9v", "Zm9v\n", "Zm9v.", "Zm9\x80"}) {
    EXPECT_EQ(Base64UrlDecode(bad).code(), Code::kBase64Invalid) << bad;
  }
}

TEST(Base64Url, RejectsImpossibleLength) {
  EXPECT_EQ(Base64UrlDecode("Zm9vY").code(), Code::kBase64Invalid);
}

TEST(Base64Url, RejectsNonCanonicalTrailingBits) {
  // "Zg" is canonical for "f"; "Zh" decodes to the same byte with unused bits set.
  EXPECT_TRUE(Base64UrlDecode("Zg").ok());
  EXPECT_EQ(Base64UrlDecode("Zh").code(), Code::kBase64Invalid);
  EXPECT_TRUE(Base64UrlDecode("Zm8").ok());
  EXPECT_EQ(Base64UrlDecode("Zm9").code(), Code::kBase64Invalid);
}

TEST(Base64, PaddingRules) {
  EXPECT_EQ(Base64Decode("Zg").code(), Code::kBase64Invalid);
  EXPECT_TRUE(Base64Decode("Zg", Base64Padding::kOptional).ok());
  EXPECT_EQ(Base64Decode("Zg=").code(), Code::kBase64Invalid);
  EXPECT_EQ(Base64Decode("Zg===").code(), Code::kBase64Invalid);
  EXPECT_EQ(Base64Decode("Zm9v=").code(), Code::kBase64Invalid);
  EXPECT_EQ(Base64Decode("Z=g=").code(), Code::kBase64Invalid);
  EXPECT_EQ(Base64Decode("Zh==").code(), Code::kBase64Invalid);
  EXPECT_EQ(Base64Decode("Zm9v-_==").code(), Code::kBase64Invalid);
}

TEST(Hex, RoundTripAndErrors) {
  const std::uint8_t data[] = {0x00, 0xab, 0xff};
  EXPECT_EQ(HexEncode(ByteView(data)), "00abff");
  auto decoded = HexDecode("00ABff");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, Bytes(data, data + 3));
  EXPECT_EQ(HexDecode("abc").code(), Code::kHexInvalid);
  EXPECT_EQ(HexDecode("zz").code(), Code::kHexInvalid);
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEqual(std::string_view("abc"), std::string_view("abc")));
  EXPECT_FALSE(ConstantTimeEqual(std::string_view("abc"), std::string_view("abd")));
  EXPECT_FALSE(ConstantTimeEqual(std::string_view("abc"), std::string_view("ab")));
  EXPECT_TRUE(ConstantTimeEqual(std::string_view(""), std::string_view("")));
}

TEST(Secret, EqualityAndMove) {
  Secret a(ToBytes("key")), b(ToBytes("key")), c(ToBytes("kez"));
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
  Secret moved(std::move(a));
  EXPECT_EQ(moved.size(), 3u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is wiped
}

}  // namespace
}  // namespace ztm

namespace ztm {
namespace {

TEST(FormUrlEncode, EncodesEverythingButUnreserved) {
  EXPECT_EQ(FormUrlEncode({}), "");
  EXPECT_EQ(FormUrlEncode({{"grant_type", "password"}, {"username", "alice"}}),
            "grant_type=password&username=alice");
  // A password with the form's own delimiters, '+', a space and UTF-8 survives.
  EXPECT_EQ(FormUrlEncode({{"password", "a&b=c+d e~f.g_h-i\xC3\xA9"}}),
            "password=a%26b%3Dc%2Bd%20e~f.g_h-i%C3%A9");
  EXPECT_EQ(FormUrlEncode({{"k y", ""}}), "k%20y=");
}

}  // namespace
}  // namespace ztm
