// Tests for the strict CBOR decoder: each rejection an evidence parser relies on.
#include "server/attestation/strict_cbor.h"

#include <gtest/gtest.h>

#include <initializer_list>

namespace ztm::server::cbor {
namespace {

Result<Value> Decode(std::initializer_list<std::uint8_t> bytes, const Limits& limits = Limits{}) {
  const Bytes data(bytes);
  return DecodeStrict(data, limits);
}

void ExpectRejected(std::initializer_list<std::uint8_t> bytes, std::string_view reason,
                    const Limits& limits = Limits{}) {
  auto decoded = Decode(bytes, limits);
  ASSERT_FALSE(decoded.ok()) << reason;
  EXPECT_EQ(decoded.code(), Code::kAttestationInvalid);
  EXPECT_NE(decoded.error().message.find(reason), std::string::npos) << decoded.error().message;
}

TEST(StrictCborTest, DecodesMapsArraysStringsAndIntegers) {
  // {"a": 1, "b": [h'', h'00'], -1: "é"}
  auto decoded =
      Decode({0xA3, 0x61, 'a', 0x01, 0x61, 'b', 0x82, 0x40, 0x41, 0x00, 0x20, 0x62, 0xC3, 0xA9});
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_EQ(decoded->kind(), Value::Kind::kMap);
  ASSERT_EQ(decoded->entries().size(), 3u);
  const Value* a = decoded->Find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->kind(), Value::Kind::kUnsigned);
  EXPECT_EQ(a->argument(), 1u);
  const Value* b = decoded->Find("b");
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->items().size(), 2u);
  EXPECT_TRUE(b->items()[0].bytes().empty());
  EXPECT_EQ(b->items()[1].bytes(), Bytes{0x00});
  const Value* negative = decoded->FindInteger(-1);
  ASSERT_NE(negative, nullptr);
  EXPECT_EQ(negative->text(), "\xC3\xA9");
  EXPECT_EQ(decoded->Find("c"), nullptr);
  EXPECT_EQ(decoded->FindInteger(1), nullptr);
}

TEST(StrictCborTest, DecodesEmptyContainersAndLargeIntegers) {
  auto empty_map = Decode({0xA0});
  ASSERT_TRUE(empty_map.ok());
  EXPECT_TRUE(empty_map->entries().empty());
  auto nested = Decode({0x82, 0x80, 0xA0});
  ASSERT_TRUE(nested.ok());
  EXPECT_EQ(nested->items().size(), 2u);
  auto large = Decode({0x1B, 0x01, 0, 0, 0, 0, 0, 0, 0});
  ASSERT_TRUE(large.ok());
  EXPECT_EQ(large->argument(), std::uint64_t{1} << 56);
}

TEST(StrictCborTest, RejectsIndefiniteLengths) {
  ExpectRejected({0x5F, 0x41, 0x00, 0xFF}, "indefinite-length string");
  ExpectRejected({0x7F, 0x61, 'a', 0xFF}, "indefinite-length string");
  ExpectRejected({0x9F, 0x01, 0xFF}, "indefinite-length array");
  ExpectRejected({0xBF, 0x61, 'a', 0x01, 0xFF}, "indefinite-length map");
  // Inside a definite map, as a decoy authData would be.
  ExpectRejected({0xA1, 0x61, 'a', 0x5F, 0x41, 0x00, 0xFF}, "indefinite-length string");
  ExpectRejected({0xFF}, "unexpected break");
}

TEST(StrictCborTest, RejectsDuplicateMapKeys) {
  ExpectRejected({0xA2, 0x61, 'a', 0x01, 0x61, 'a', 0x02}, "duplicate map key");
  ExpectRejected({0xA2, 0x01, 0x01, 0x01, 0x02}, "duplicate map key");
  ExpectRejected({0xA2, 0x41, 0x07, 0x01, 0x41, 0x07, 0x02}, "duplicate map key");
  // A nested duplicate.
  ExpectRejected({0x81, 0xA2, 0x61, 'k', 0x40, 0x61, 'k', 0x41, 0x00}, "duplicate map key");
  // Same bytes but another kind is another key.
  EXPECT_TRUE(Decode({0xA2, 0x41, 'a', 0x01, 0x61, 'a', 0x02}).ok());
}

TEST(StrictCborTest, RejectsContainerMapKeys) {
  ExpectRejected({0xA1, 0x80, 0x01}, "map key is not an integer or string");
}

TEST(StrictCborTest, RejectsTrailingAndTruncatedInput) {
  ExpectRejected({0x01, 0x00}, "trailing bytes");
  ExpectRejected({0xA0, 0xA0}, "trailing bytes");
  ExpectRejected({0x42, 0x00}, "truncated");
  ExpectRejected({0x82, 0x01}, "truncated");
  ExpectRejected({0xA1, 0x61, 'a'}, "truncated");
  ExpectRejected({0x19, 0x01}, "truncated");
  ExpectRejected({}, "truncated");
  // A byte string claiming 2^32 bytes must fail without allocating them.
  ExpectRejected({0x5A, 0xFF, 0xFF, 0xFF, 0xFF, 0x00}, "truncated");
}

TEST(StrictCborTest, RejectsNonMinimalEncodings) {
  ExpectRejected({0x18, 0x05}, "non-minimal");
  ExpectRejected({0x19, 0x00, 0xFF}, "non-minimal");
  ExpectRejected({0x1A, 0x00, 0x00, 0xFF, 0xFF}, "non-minimal");
  ExpectRejected({0x1B, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF}, "non-minimal");
  ExpectRejected({0x58, 0x01, 0x00}, "non-minimal");
  ExpectRejected({0x98, 0x01, 0x00}, "non-minimal");
  ExpectRejected({0xB8, 0x00}, "non-minimal");
  EXPECT_TRUE(Decode({0x18, 0x18}).ok());
}

TEST(StrictCborTest, RejectsTagsFloatsAndSimpleValues) {
  ExpectRejected({0xC1, 0x01}, "tags");
  ExpectRejected({0xF9, 0x3C, 0x00}, "floats");
  ExpectRejected({0xFA, 0x3F, 0x80, 0x00, 0x00}, "floats");
  ExpectRejected({0xFB, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0}, "floats");
  ExpectRejected({0xF5}, "simple values");
  ExpectRejected({0xF6}, "simple values");
  ExpectRejected({0xF7}, "simple values");
  auto simple = Decode({0xF8, 0x20});
  EXPECT_FALSE(simple.ok());
  auto reserved = Decode({0x1C});
  EXPECT_FALSE(reserved.ok());
}

TEST(StrictCborTest, RejectsInvalidUtf8) {
  ExpectRejected({0x62, 0xC3, 0x28}, "UTF-8");
  ExpectRejected({0x62, 0xC0, 0x80}, "UTF-8");              // overlong NUL
  ExpectRejected({0x63, 0xED, 0xA0, 0x80}, "UTF-8");        // surrogate
  ExpectRejected({0x64, 0xF4, 0x90, 0x80, 0x80}, "UTF-8");  // above U+10FFFF
  ExpectRejected({0x61, 0xFF}, "UTF-8");
}

TEST(StrictCborTest, EnforcesLimits) {
  const Limits limits{.max_input_bytes = 8, .max_depth = 2, .max_container_items = 2};
  ExpectRejected({0x81, 0x81, 0x81, 0x01}, "nesting", limits);
  ExpectRejected({0x81, 0x81, 0x80}, "nesting", limits);  // even an empty third level
  EXPECT_TRUE(Decode({0x81, 0x81, 0x01}, limits).ok());
  ExpectRejected({0x83, 0x01, 0x02, 0x03}, "too many items", limits);
  ExpectRejected({0xA3, 0x01, 0x01, 0x02, 0x02, 0x03, 0x03}, "too many items", limits);
  ExpectRejected({0x49, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "larger than allowed", limits);
  // A huge declared count fails on the bound, before any allocation.
  ExpectRejected({0x9B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, "too many items");
}

TEST(StrictCborTest, DefaultDepthLimitStopsDeepNesting) {
  Bytes deep(100, 0x81);
  deep.push_back(0x00);
  auto decoded = DecodeStrict(deep);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message.find("nesting"), std::string::npos);
}

}  // namespace
}  // namespace ztm::server::cbor
