// Structured Field Values for HTTP (RFC 8941, with RFC 9651's Date and Display String):
// the data model, a strict parser and a canonical serializer. Used by HTTP Message
// Signatures (Signature-Input, Signature, Content-Digest) and by anything else that
// parses structured headers. Parsing follows RFC 9651 §4.2 exactly: any deviation fails
// the whole field, as the RFC requires.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"

namespace ztm::sf {

// Fields that matter here (signatures, digests) are a few hundred bytes; 64 KiB bounds
// parser work well above any legitimate value and below typical header-section limits.
inline constexpr std::size_t kMaxFieldBytes = 64 * 1024;

struct Token {
  std::string value;
  friend bool operator==(const Token&, const Token&) = default;
};

// A Decimal is kept exactly, in thousandths (RFC 9651 §3.3.2: at most 12 integer digits
// and 3 fractional digits), so parse → serialize never drifts through floating point.
struct Decimal {
  std::int64_t thousandths = 0;
  friend bool operator==(const Decimal&, const Decimal&) = default;
};

// RFC 9651 §3.3.7: seconds since the Unix epoch.
struct Date {
  std::int64_t seconds = 0;
  friend bool operator==(const Date&, const Date&) = default;
};

// RFC 9651 §3.3.8: a Unicode string, held as UTF-8.
struct DisplayString {
  std::string value;
  friend bool operator==(const DisplayString&, const DisplayString&) = default;
};

// Bare item alternatives, in this order: Integer, Decimal, String, Token, Byte Sequence,
// Boolean, Date, Display String.
using BareItem =
    std::variant<std::int64_t, Decimal, std::string, Token, Bytes, bool, Date, DisplayString>;

// Parameters keep their order; parsing a duplicate key overwrites the earlier value in place
// (RFC 9651 §4.2.3.2).
using Parameters = std::vector<std::pair<std::string, BareItem>>;

struct Item {
  BareItem value;
  Parameters params;
  friend bool operator==(const Item&, const Item&) = default;
};

struct InnerList {
  std::vector<Item> items;
  Parameters params;
  friend bool operator==(const InnerList&, const InnerList&) = default;
};

using ListMember = std::variant<Item, InnerList>;
using List = std::vector<ListMember>;
// Dictionary members keep their order; a duplicate key overwrites in place.
using Dictionary = std::vector<std::pair<std::string, ListMember>>;

// How ParseDictionary treats a key that occurs more than once.
enum class DuplicateKeys {
  // RFC 9651 §4.2.2: the later value overwrites the earlier one, in place.
  kLastWins,
  // The field fails (kSfParseError). For fields whose members must be unique, where "last
  // wins" would let a peer hide a member from one reader and show it to another: Signature,
  // Signature-Input (RFC 9421 §4) and Content-Digest (one digest per algorithm).
  kReject,
};

// Parses a field value. Repeated field lines must be combined by the caller with ", "
// first (RFC 9110 §5.3). Fails with kSfParseError (or kInputTooLarge above kMaxFieldBytes).
Result<Item> ParseItem(std::string_view field_value);
Result<List> ParseList(std::string_view field_value);
// As above; with DuplicateKeys::kReject a repeated member key also fails, with kSfParseError
// and a message naming the key ("sf: duplicate dictionary key ..."). Only top-level member
// keys are concerned: parameters keep RFC 9651's "last wins" either way.
Result<Dictionary> ParseDictionary(std::string_view field_value,
                                   DuplicateKeys duplicates = DuplicateKeys::kLastWins);

// Canonical serialization (RFC 9651 §4.1). Fails with kSfSerializeError on values that
// cannot be serialized (integer out of range, invalid token or key, non-ASCII string, …).
// An empty List or Dictionary serializes to "" (the caller omits the field).
Result<std::string> SerializeItem(const Item& item);
Result<std::string> SerializeList(const List& list);
Result<std::string> SerializeDictionary(const Dictionary& dictionary);
Result<std::string> SerializeInnerList(const InnerList& inner_list);
Result<std::string> SerializeBareItem(const BareItem& bare_item);
Result<std::string> SerializeParameters(const Parameters& params);

// Returns the parameter named `key`, or nullptr.
const BareItem* FindParam(const Parameters& params, std::string_view key);
// Returns the dictionary member named `key`, or nullptr.
const ListMember* FindMember(const Dictionary& dictionary, std::string_view key);

}  // namespace ztm::sf
