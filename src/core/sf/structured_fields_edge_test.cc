// Edge cases and bounds of the Structured Field Values parser and serializer that the
// conformance suite does not pin down: size limits, error codes and messages, duplicate
// keys, exact decimals, ztm's strict base64, and serializer rejections.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

#include "core/sf/structured_fields.h"

namespace ztm::sf {
namespace {

Item IntegerItem(std::int64_t v) { return Item{v, {}}; }

TEST(StructuredFieldsEdge, OversizeInputIsInputTooLargeForEveryType) {
  std::string big(kMaxFieldBytes + 1, 'a');
  EXPECT_EQ(ParseItem(big).code(), Code::kInputTooLarge);
  EXPECT_EQ(ParseList(big).code(), Code::kInputTooLarge);
  EXPECT_EQ(ParseDictionary(big).code(), Code::kInputTooLarge);
}

TEST(StructuredFieldsEdge, InputOfExactlyTheLimitIsParsed) {
  std::string token(kMaxFieldBytes, 'a');
  Result<Item> item = ParseItem(token);
  ASSERT_TRUE(item.ok()) << item.error().message;
  EXPECT_EQ(std::get<Token>(item->value).value.size(), kMaxFieldBytes);
}

TEST(StructuredFieldsEdge, LongListIsParsedInLinearTime) {
  std::string field = "1";
  while (field.size() + 3 <= kMaxFieldBytes) field += ", 1";
  auto start = std::chrono::steady_clock::now();
  Result<List> list = ParseList(field);
  ASSERT_TRUE(list.ok()) << list.error().message;
  EXPECT_EQ(list->size(), (field.size() + 2) / 3);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

// Thousands of distinct and repeated keys: duplicate lookup must not be quadratic.
TEST(StructuredFieldsEdge, ManyDictionaryKeysAndParametersStayFast) {
  std::string dictionary, params = "a";
  for (int i = 0; dictionary.size() < kMaxFieldBytes - 16; ++i) {
    if (i > 0) dictionary += ",";
    dictionary += "k" + std::to_string(i) + "=" + std::to_string(i % 7);
  }
  for (int i = 0; params.size() < kMaxFieldBytes - 16; ++i) params += ";p" + std::to_string(i);
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(ParseDictionary(dictionary).ok());
  ASSERT_TRUE(ParseItem(params).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(StructuredFieldsEdge, DuplicateDictionaryKeyOverwritesInPlace) {
  Result<Dictionary> d = ParseDictionary("a=1, b=2, a=3");
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ((*d)[0].first, "a");
  EXPECT_EQ(std::get<Item>((*d)[0].second), IntegerItem(3));
  EXPECT_EQ(*SerializeDictionary(*d), "a=3, b=2");
}

TEST(StructuredFieldsEdge, DuplicateParameterOverwritesInPlace) {
  Result<Item> item = ParseItem("t;x=1;y=2;x=3");
  ASSERT_TRUE(item.ok());
  ASSERT_EQ(item->params.size(), 2u);
  EXPECT_EQ(item->params[0].first, "x");
  EXPECT_EQ(std::get<std::int64_t>(item->params[0].second), 3);
  EXPECT_EQ(*SerializeItem(*item), "t;x=3;y=2");
}

TEST(StructuredFieldsEdge, ErrorsNameTheProblemAndOffset) {
  Result<List> list = ParseList("1, 1234567890123456");
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.code(), Code::kSfParseError);
  EXPECT_EQ(list.error().message, "sf: integer has more than 15 digits at offset 18");
  EXPECT_EQ(ParseItem("1.1234").error().message,
            "sf: decimal has more than 3 fractional digits at offset 5");
  EXPECT_EQ(ParseList("a,").error().message, "sf: trailing comma in list at offset 2");
  EXPECT_EQ(ParseItem("\"abc").error().message, "sf: string is not terminated at offset 0");
  EXPECT_EQ(ParseItem("a b").error().message, "sf: unexpected 'b' at offset 2");
}

TEST(StructuredFieldsEdge, ControlAndNonAsciiBytesAreNeverEchoed) {
  Result<Item> item = ParseItem(std::string("\"a\x01\"", 4));
  ASSERT_FALSE(item.ok());
  EXPECT_EQ(item.error().message, "sf: byte 0x01 is not allowed in a string at offset 2");
  EXPECT_EQ(ParseItem("a\xff").error().message, "sf: non-ASCII byte 0xff at offset 1");
}

TEST(StructuredFieldsEdge, EmbeddedNulFails) {
  EXPECT_FALSE(ParseList(std::string("a, \0b", 5)).ok());
  EXPECT_FALSE(ParseItem(std::string("a\0", 2)).ok());
}

// RFC 9651 §4.2: only SP is trimmed around the field; OWS (SP / HTAB) only around commas.
TEST(StructuredFieldsEdge, WhitespaceRules) {
  EXPECT_TRUE(ParseItem("  1  ").ok());
  EXPECT_FALSE(ParseItem("\t1").ok());
  EXPECT_FALSE(ParseItem("1\t").ok());
  EXPECT_TRUE(ParseList("1 ,\t2").ok());
  EXPECT_TRUE(ParseItem("1;  a").ok());    // SP may follow ';' (§4.2.3.2) …
  EXPECT_FALSE(ParseItem("1 ;a").ok());    // … but not precede it
  EXPECT_FALSE(ParseItem("1;\ta").ok());   // and HTAB is not SP
  EXPECT_FALSE(ParseList("(1\t2)").ok());  // inner lists separate items with SP only
}

TEST(StructuredFieldsEdge, InnerListsDoNotNest) {
  EXPECT_FALSE(ParseList("((1))").ok());
  EXPECT_FALSE(ParseItem("(1)").ok());
  EXPECT_FALSE(ParseList("(1 2").ok());
}

TEST(StructuredFieldsEdge, DecimalsAreExact) {
  Result<Item> item = ParseItem("-123456789012.999");
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(std::get<Decimal>(item->value).thousandths, -123456789012999);
  EXPECT_EQ(*SerializeItem(*item), "-123456789012.999");
  EXPECT_EQ(*SerializeBareItem(Decimal{-50}), "-0.05");
  EXPECT_EQ(*SerializeBareItem(Decimal{0}), "0.0");
}

// ztm accepts one spelling per byte string: a Content-Digest value cannot be re-encoded
// into a second string that verifies the same.
TEST(StructuredFieldsEdge, ByteSequencesMustBeCanonicalBase64) {
  EXPECT_TRUE(ParseItem(":aGVsbG8=:").ok());
  EXPECT_EQ(ParseItem(":aGVsbG8:").code(), Code::kSfParseError);  // missing padding
  EXPECT_EQ(ParseItem(":iZ==:").code(), Code::kSfParseError);     // non-zero unused bits
  EXPECT_EQ(ParseItem(":aGVs bG8=:").code(), Code::kSfParseError);
}

TEST(StructuredFieldsEdge, DatesUseTheIntegerRange) {
  EXPECT_EQ(std::get<Date>(ParseItem("@-999999999999999")->value).seconds, -999999999999999);
  EXPECT_FALSE(ParseItem("@1000000000000000").ok());
  EXPECT_FALSE(ParseItem("@1.5").ok());
  EXPECT_FALSE(SerializeBareItem(Date{1'000'000'000'000'000}).ok());
}

TEST(StructuredFieldsEdge, DisplayStringRejectsInvalidUtf8) {
  EXPECT_FALSE(ParseItem("%\"%ed%a0%80\"").ok());     // UTF-16 surrogate
  EXPECT_FALSE(ParseItem("%\"%c0%80\"").ok());        // overlong NUL
  EXPECT_FALSE(ParseItem("%\"%f4%90%80%80\"").ok());  // above U+10FFFF
  EXPECT_FALSE(ParseItem("%\"%e2%82\"").ok());        // truncated
  EXPECT_TRUE(ParseItem("%\"%f0%9f%98%80\"").ok());   // U+1F600
}

TEST(StructuredFieldsEdge, SerializerRejectsWhatCannotBeParsedBack) {
  EXPECT_EQ(SerializeItem(IntegerItem(1'000'000'000'000'000)).code(), Code::kSfSerializeError);
  EXPECT_FALSE(SerializeItem(IntegerItem(std::numeric_limits<std::int64_t>::min())).ok());
  EXPECT_FALSE(SerializeBareItem(Decimal{std::numeric_limits<std::int64_t>::min()}).ok());
  EXPECT_FALSE(SerializeBareItem(Decimal{1'000'000'000'000'000}).ok());
  EXPECT_FALSE(SerializeBareItem(std::string("caf\xc3\xa9")).ok());
  EXPECT_FALSE(SerializeBareItem(std::string("a\nb")).ok());
  EXPECT_FALSE(SerializeBareItem(Token{""}).ok());
  EXPECT_FALSE(SerializeBareItem(Token{"1a"}).ok());
  EXPECT_FALSE(SerializeBareItem(Token{"a b"}).ok());
  EXPECT_FALSE(SerializeBareItem(DisplayString{"\xff"}).ok());
  EXPECT_FALSE(SerializeParameters({{"", true}}).ok());
  EXPECT_FALSE(SerializeParameters({{"A", true}}).ok());
  EXPECT_FALSE(SerializeDictionary({{"a b", IntegerItem(1)}}).ok());
}

TEST(StructuredFieldsEdge, SerializerCanonicalForms) {
  EXPECT_EQ(*SerializeList({}), "");
  EXPECT_EQ(*SerializeDictionary({}), "");
  EXPECT_EQ(*SerializeBareItem(std::string("a\"b\\c")), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(*SerializeBareItem(DisplayString{"50% \"f\xc3\xbc\""}), "%\"50%25 %22f%c3%bc%22\"");
  EXPECT_EQ(*SerializeBareItem(Bytes{}), "::");
  EXPECT_EQ(*SerializeParameters({{"a", true}, {"b", false}}), ";a;b=?0");
  Dictionary d = {{"a", Item{true, {{"x", std::int64_t{1}}}}},
                  {"b", InnerList{{IntegerItem(1), IntegerItem(2)}, {{"q", Token{"t"}}}}}};
  EXPECT_EQ(*SerializeDictionary(d), "a;x=1, b=(1 2);q=t");
  Result<Dictionary> reparsed = ParseDictionary(*SerializeDictionary(d));
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(*reparsed, d);
}

// DuplicateKeys::kReject: a repeated member key fails the field, wherever it hides; the
// default stays RFC 9651's "last wins".
TEST(StructuredFieldsEdge, StrictDictionaryRejectsRepeatedKeys) {
  for (const char* field : {
           "a=1, a=2",
           "a, a",
           "a=1, b=2, a=3",
           "a=(1 2), b, a;x=1",
           "a=%\"\\\", a=(\"@method\");created=1700000000",  // '\' is no escape in %"..."
           "a=\"x\\\", a\", a=1",                            // but it is in "..."
           "a=1,a=1",
           "*=1, *=2",
       }) {
    Result<Dictionary> strict = ParseDictionary(field, DuplicateKeys::kReject);
    ASSERT_FALSE(strict.ok()) << field;
    EXPECT_EQ(strict.code(), Code::kSfParseError) << field;
    EXPECT_NE(strict.error().message.find("duplicate dictionary key"), std::string::npos)
        << strict.error().message;
    EXPECT_TRUE(ParseDictionary(field).ok()) << field;
    EXPECT_TRUE(ParseDictionary(field, DuplicateKeys::kLastWins).ok()) << field;
  }
  Result<Dictionary> lenient = ParseDictionary("a=1, b=2, a=3");
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ(*SerializeDictionary(*lenient), "a=3, b=2");
  // Distinct keys, a key repeated only as a parameter, and the same text inside a String.
  for (const char* field :
       {"a=1, b=2", "a;x=1;x=2, b", "a=\"a=1, a=2\", b=%\"a, a\"", "", "a=(1;a=2 a)"}) {
    Result<Dictionary> strict = ParseDictionary(field, DuplicateKeys::kReject);
    EXPECT_TRUE(strict.ok()) << field << ": " << strict.error().message;
    EXPECT_EQ(*strict, *ParseDictionary(field)) << field;
  }
  // The key is shown bounded, and the offset is the repeated key's.
  const std::string long_key(200, 'k');
  Result<Dictionary> long_duplicate =
      ParseDictionary(long_key + ", " + long_key, DuplicateKeys::kReject);
  ASSERT_FALSE(long_duplicate.ok());
  EXPECT_LT(long_duplicate.error().message.size(), 150u) << long_duplicate.error().message;
  EXPECT_NE(long_duplicate.error().message.find("at offset 202"), std::string::npos)
      << long_duplicate.error().message;
}

TEST(StructuredFieldsEdge, FindParamAndFindMember) {
  Result<Dictionary> d = ParseDictionary("sig1=(\"@method\");created=1;keyid=\"k\", sig2=?0");
  ASSERT_TRUE(d.ok());
  const ListMember* sig1 = FindMember(*d, "sig1");
  ASSERT_NE(sig1, nullptr);
  const BareItem* keyid = FindParam(std::get<InnerList>(*sig1).params, "keyid");
  ASSERT_NE(keyid, nullptr);
  EXPECT_EQ(std::get<std::string>(*keyid), "k");
  EXPECT_EQ(FindParam(std::get<InnerList>(*sig1).params, "alg"), nullptr);
  EXPECT_EQ(FindMember(*d, "sig3"), nullptr);
}

}  // namespace
}  // namespace ztm::sf
