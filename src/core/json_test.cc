#include "core/json.h"

#include <gtest/gtest.h>

namespace ztm::json {
namespace {

TEST(Json, ParsesObjects) {
  auto obj = ParseObject(R"({"a":1,"b":"x","c":{"d":[1,2,{"e":null}]}})");
  ASSERT_TRUE(obj.ok()) << obj.error().message;
  EXPECT_EQ(obj->at("a").as_int64(), 1);
  EXPECT_EQ(obj->at("b").as_string(), "x");
  EXPECT_EQ(Serialize(*obj), R"({"a":1,"b":"x","c":{"d":[1,2,{"e":null}]}})");
}

TEST(Json, RejectsDuplicateKeysAtAnyDepth) {
  EXPECT_EQ(Parse(R"({"alg":"ES256","alg":"none"})").code(), Code::kJsonDuplicateKey);
  EXPECT_EQ(Parse(R"({"a":{"b":1,"b":2}})").code(), Code::kJsonDuplicateKey);
  EXPECT_EQ(Parse(R"([{"b":1},{"b":1,"b":2}])").code(), Code::kJsonDuplicateKey);
  // Same name in sibling objects is fine.
  EXPECT_TRUE(Parse(R"([{"b":1},{"b":2}])").ok());
  EXPECT_TRUE(Parse(R"({"a":{"a":{"a":1}}})").ok());
}

TEST(Json, RejectsEscapedDuplicateKeys) {
  // "\u0061lg" is "alg": the duplicate check must compare decoded names.
  EXPECT_EQ(Parse(R"({"alg":"ES256","\u0061lg":"none"})").code(), Code::kJsonDuplicateKey);
}

TEST(Json, RejectsMalformed) {
  for (const char* bad : {"{", "{\"a\":}", "{\"a\":1,}", "[1,]", "{\"a\":1} x", "// c\n{}",
                          "{'a':1}", "\"\xff\"", ""}) {
    EXPECT_EQ(Parse(bad).code(), Code::kJsonMalformed) << bad;
  }
}

TEST(Json, BoundsSizeAndDepth) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  EXPECT_EQ(Parse(deep).code(), Code::kJsonTooDeep);
  std::string big = "\"" + std::string(kMaxDocumentBytes, 'a') + "\"";
  EXPECT_EQ(Parse(big).code(), Code::kInputTooLarge);
}

TEST(Json, TypedGetters) {
  auto obj = ParseObject(R"({"s":"v","i":5,"n":"5"})");
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ(GetString(*obj, "s").value().value(), "v");
  EXPECT_FALSE(GetString(*obj, "missing").value().has_value());
  EXPECT_EQ(GetString(*obj, "i").code(), Code::kJsonWrongType);
  EXPECT_EQ(GetInt(*obj, "i").value().value(), 5);
  EXPECT_EQ(GetInt(*obj, "n").code(), Code::kJsonWrongType);
}

TEST(Json, ParseObjectRejectsNonObjects) {
  EXPECT_EQ(ParseObject("[1]").code(), Code::kJsonWrongType);
}

}  // namespace
}  // namespace ztm::json
