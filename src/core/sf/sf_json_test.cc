// The test-suite JSON mapping of Structured Field Values: base32, decimal rounding, shape
// errors and the JSON writer.
#include "core/sf/sf_json.h"

#include <gtest/gtest.h>

#include <string>

#include "core/json.h"

namespace ztm::sf {
namespace {

boost::json::value ParseJson(std::string_view text) {
  Result<boost::json::value> v = json::Parse(text);
  if (!v.ok()) ADD_FAILURE() << v.error().message;
  return v.ok() ? *v : boost::json::value();
}

// RFC 4648 §10 test vectors.
TEST(SfJsonBase32, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "MY======"},
      {"fo", "MZXQ===="},
      {"foo", "MZXW6==="},
      {"foob", "MZXW6YQ="},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI======"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base32Encode(AsBytes(plain)), encoded);
    Result<Bytes> decoded = Base32Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(AsString(*decoded), plain);
  }
}

TEST(SfJsonBase32, RejectsNonCanonical) {
  EXPECT_FALSE(Base32Decode("MY").ok());        // unpadded
  EXPECT_FALSE(Base32Decode("my======").ok());  // lower case
  EXPECT_FALSE(Base32Decode("MZ======").ok());  // unused bits set
  EXPECT_FALSE(Base32Decode("M=======").ok());  // 7 '=' is impossible
  EXPECT_FALSE(Base32Decode("MZXW6==Y").ok());  // '=' inside
  EXPECT_FALSE(Base32Decode("MZXW6YT1").ok());  // '1' is not in the alphabet
  EXPECT_FALSE(Base32Decode("========").ok());
}

// RFC 9651 §4.1.5: round to three places, ties to even, on the decimal the JSON shows.
TEST(SfJson, DoublesRoundHalfToEvenToThousandths) {
  const std::pair<const char*, std::int64_t> cases[] = {
      {"0.0015", 2},   {"0.0025", 2},     {"-0.0015", -2},
      {"-0.0025", -2}, {"9.9995", 10000}, {"1.23", 1230},
      {"0.0004", 0},   {"1e3", 1000000},  {"123456789012.123", 123456789012123},
  };
  for (const auto& [text, thousandths] : cases) {
    Result<BareItem> item = BareItemFromTestJson(ParseJson(text));
    ASSERT_TRUE(item.ok()) << text;
    EXPECT_EQ(std::get<Decimal>(*item).thousandths, thousandths) << text;
  }
  EXPECT_EQ(BareItemFromTestJson(ParseJson("1e300")).code(), Code::kSfSerializeError);
  EXPECT_EQ(BareItemFromTestJson(ParseJson("18446744073709551615")).code(),
            Code::kSfSerializeError);
}

TEST(SfJson, ShapeErrorsAreWrongType) {
  for (const char* text :
       {"[1]", "[1, {}]", "[null, []]", "[1, [[\"a\"]]]", "[[1], []]",
        "[{\"__type\": \"token\"}, []]", "[{\"__type\": \"binary\", \"value\": \"a\"}, []]",
        "[{\"__type\": \"date\", \"value\": 1.5}, []]",
        "[{\"__type\": \"nope\", \"value\": 1}, []]"}) {
    Result<Item> item = ItemFromTestJson(ParseJson(text));
    ASSERT_FALSE(item.ok()) << text;
    EXPECT_EQ(item.code(), Code::kJsonWrongType) << text;
  }
  EXPECT_EQ(DictionaryFromTestJson(ParseJson("{\"a\": 1}")).code(), Code::kJsonWrongType);
  EXPECT_EQ(ListFromTestJson(ParseJson("[[1]]")).code(), Code::kJsonWrongType);
}

TEST(SfJson, ErrorsSayWhere) {
  Result<List> list = ListFromTestJson(ParseJson("[[1, []], [[[1, [[\"a\", null]]]], []]]"));
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.error().message, "sf-json: $[1][0][0][1][0][1] is not a bare item");
}

TEST(SfJson, EveryTypeRoundTrips) {
  const char* text =
      "[[\"a\",[1,[]]],[\"b\",[[[1.5,[[\"p\",true]]],[\"s\",[]]],[[\"q\",{\"__type\":\"token\","
      "\"value\":\"t\"}]]]],[\"c\",[{\"__type\":\"binary\",\"value\":\"NBSWY3DP\"},[]]],[\"d\","
      "[{\"__type\":\"date\",\"value\":-5},[]]],[\"e\",[{\"__type\":\"displaystring\",\"value\":"
      "\"f\\u00fc\"},[]]],[\"f\",[false,[]]],[\"g\",[10.0,[]]]]";
  Result<Dictionary> d = DictionaryFromTestJson(ParseJson(text));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(*SerializeDictionary(*d),
            "a=1, b=(1.5;p \"s\");q=t, c=:aGVsbG8=:, d=@-5, e=%\"f%c3%bc\", f=?0, g=10.0");
  // The writer keeps decimals recognisable (10.0, not 10 or 1E1) and escapes strings.
  EXPECT_EQ(WriteTestJson(ToTestJson(*d)),
            "[[\"a\",[1,[]]],[\"b\",[[[1.5,[[\"p\",true]]],[\"s\",[]]],[[\"q\",{\"__type\":"
            "\"token\",\"value\":\"t\"}]]]],[\"c\",[{\"__type\":\"binary\",\"value\":"
            "\"NBSWY3DP\"},[]]],[\"d\",[{\"__type\":\"date\",\"value\":-5},[]]],[\"e\",[{"
            "\"__type\":\"displaystring\",\"value\":\"f\xc3\xbc\"},[]]],[\"f\",[false,[]]],"
            "[\"g\",[10.0,[]]]]");
  Result<Dictionary> again = DictionaryFromTestJson(ParseJson(WriteTestJson(ToTestJson(*d))));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *d);
}

}  // namespace
}  // namespace ztm::sf
