// A strict CBOR (RFC 8949) decoder for attestation evidence: a small typed tree built from
// libcbor's streaming decoder, accepting only what evidence formats need and rejecting every
// encoding a lenient parser would let through with another meaning. It accepts exactly one
// data item with definite lengths, minimal ("preferred", RFC 8949 §4.2.1) argument encodings,
// unique map keys, valid UTF-8 text, and only unsigned and negative integers, byte strings,
// text strings, arrays and maps (no tags, floats, simple values), within size bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"

namespace ztm::server::cbor {

// One decoded data item. Immutable once decoded; only DecodeStrict builds a tree.
class Value {
 public:
  enum class Kind { kUnsigned, kNegative, kBytes, kText, kArray, kMap };

  Kind kind() const { return kind_; }
  // kUnsigned: the value. kNegative: the encoded argument n of the value -1 - n.
  std::uint64_t argument() const { return argument_; }
  // kBytes: the bytes; kText: the UTF-8 text bytes.
  const Bytes& bytes() const { return bytes_; }
  std::string_view text() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }
  // kArray: the elements, in order.
  const std::vector<Value>& items() const { return items_; }
  // kMap: the entries, in encoded order (keys are unique).
  const std::vector<std::pair<Value, Value>>& entries() const { return entries_; }

  // kMap: the value under the text key `key`, or nullptr.
  const Value* Find(std::string_view key) const;
  // kMap: the value under the integer key `key`, or nullptr.
  const Value* FindInteger(std::int64_t key) const;

  // True for two items of the same kind and content (used to detect duplicate map keys).
  bool SameAs(const Value& other) const;

 private:
  friend class TreeBuilder;
  explicit Value(Kind kind) : kind_(kind) {}
  Kind kind_;
  std::uint64_t argument_ = 0;
  Bytes bytes_;
  std::vector<Value> items_;
  std::vector<std::pair<Value, Value>> entries_;
};

// Bounds on what DecodeStrict accepts. Callers pass the bounds of their format.
struct Limits {
  // Largest encoded input.
  std::size_t max_input_bytes = 64 * 1024;
  // Deepest nesting of arrays and maps: [[1]] and {"a": []} have depth 2.
  std::size_t max_depth = 8;
  // Most elements in one array, or entries in one map.
  std::size_t max_container_items = 64;
};

// Decodes `data` as exactly one CBOR data item. Fails with kAttestationInvalid, saying why,
// for input over the limits, truncated input, trailing bytes, indefinite lengths, non-minimal
// argument encodings, duplicate map keys, invalid UTF-8 in text, and any other major type than
// unsigned/negative integer, byte string, text string, array or map.
Result<Value> DecodeStrict(ByteView data, const Limits& limits = Limits{});

}  // namespace ztm::server::cbor
