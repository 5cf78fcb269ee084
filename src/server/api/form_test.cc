#include "server/api/form.h"

#include <gtest/gtest.h>

namespace ztm::server {
namespace {

TEST(FormParameters, ParsesAndDecodes) {
  auto form = FormParameters::Parse(
      "grant_type=password&username=alice%40example.com&password=a+b%2Bc&empty=");
  ASSERT_TRUE(form.ok()) << form.error().message;
  EXPECT_EQ(form->Get("grant_type"), "password");
  EXPECT_EQ(form->Get("username"), "alice@example.com");
  EXPECT_EQ(form->Get("password"), "a b+c");
  EXPECT_EQ(form->Get("empty"), "");
  EXPECT_FALSE(form->Get("absent").has_value());
  EXPECT_TRUE(form->Required("grant_type").ok());
  auto empty = form->Required("empty");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.code(), Code::kOAuthInvalidRequest);
}

TEST(FormParameters, RepeatedParametersAreRefused) {
  // RFC 6749 §3.2: parameters MUST NOT be included more than once.
  auto form = FormParameters::Parse("grant_type=password&grant_type=refresh_token");
  ASSERT_FALSE(form.ok());
  EXPECT_EQ(form.code(), Code::kOAuthInvalidRequest);
  EXPECT_FALSE(FormParameters::Parse("a=1&%61=2").ok());  // the same name once decoded
}

TEST(FormParameters, MalformedBodiesAreRefused) {
  for (const char* body : {"a=%zz", "a=%4", "=value", "a=1&=2"}) {
    EXPECT_FALSE(FormParameters::Parse(body).ok()) << body;
  }
  std::string many;
  for (std::size_t i = 0; i <= kMaxFormParameters; ++i) many += "p" + std::to_string(i) + "=1&";
  EXPECT_FALSE(FormParameters::Parse(many).ok());
  EXPECT_FALSE(FormParameters::Parse(std::string(kMaxFormBodyBytes + 1, 'a')).ok());
  EXPECT_TRUE(FormParameters::Parse("").ok());
  EXPECT_TRUE(FormParameters::Parse("a=1&&b=2").ok());
}

TEST(ContentTypes, MediaTypesCompareCaseInsensitivelyWithParameters) {
  EXPECT_TRUE(IsFormContentType("application/x-www-form-urlencoded"));
  EXPECT_TRUE(IsFormContentType("Application/X-WWW-Form-Urlencoded; charset=UTF-8"));
  EXPECT_FALSE(IsFormContentType("application/json"));
  EXPECT_FALSE(IsFormContentType("application/x-www-form-urlencodedX"));
  EXPECT_TRUE(IsJsonContentType("application/json; charset=utf-8"));
  EXPECT_FALSE(IsJsonContentType("text/json"));
}

}  // namespace
}  // namespace ztm::server
