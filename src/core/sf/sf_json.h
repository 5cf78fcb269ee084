// The JSON form of Structured Field Values used by the httpwg/structured-field-tests suite
// ("expected" members), so conformance tests and the `ztm sf` CLI speak one format:
//   Item        [bare_item, parameters]
//   Inner List  [[item, ...], parameters]
//   Parameters  [[name, bare_item], ...]
//   Dictionary  [[name, item_or_inner_list], ...]
//   List        [item_or_inner_list, ...]
// Bare items: JSON integer → Integer, JSON number with a fraction or exponent → Decimal,
// string → String, true/false → Boolean, and {"__type": T, "value": V} for T = "token",
// "binary" (V is base32, RFC 4648 §6), "date" (V is an integer) and "displaystring".
#pragma once

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "core/bytes.h"
#include "core/error.h"
#include "core/sf/structured_fields.h"

namespace ztm::sf {

// ToTestJson converts a value to its JSON form. It cannot fail: every model value has one.
boost::json::value ToTestJson(const BareItem& bare_item);
boost::json::value ToTestJson(const Parameters& params);
boost::json::value ToTestJson(const Item& item);
boost::json::value ToTestJson(const InnerList& inner_list);
boost::json::value ToTestJson(const ListMember& member);
boost::json::value ToTestJson(const List& list);
boost::json::value ToTestJson(const Dictionary& dictionary);

// The *FromTestJson functions convert the JSON form back. They fail with kJsonWrongType
// when the JSON does not have the shape above, and with kSfSerializeError for a number no
// model value can hold (an integer beyond int64, a decimal beyond ±9.2e12). They do not
// check what the serializer checks (key syntax, integer range, string characters): a
// value that converts may still fail to serialize.
//
// A JSON double becomes a Decimal rounded to three fractional digits, half to even
// (RFC 9651 §4.1.5 step 2), from its shortest round-trip decimal form: 0.0025 → 0.002 and
// 9.9995 → 10.0, as a person reading the JSON text expects.
Result<BareItem> BareItemFromTestJson(const boost::json::value& json);
Result<Parameters> ParametersFromTestJson(const boost::json::value& json);
Result<Item> ItemFromTestJson(const boost::json::value& json);
Result<InnerList> InnerListFromTestJson(const boost::json::value& json);
Result<ListMember> ListMemberFromTestJson(const boost::json::value& json);
Result<List> ListFromTestJson(const boost::json::value& json);
Result<Dictionary> DictionaryFromTestJson(const boost::json::value& json);

// Writes `json` compactly like json::Serialize, except that doubles are written in their
// shortest round-trip form and always with a '.' or exponent (1.5, 10.0, 1e+20), so a
// Decimal written out is read back as a Decimal and not as an Integer.
std::string WriteTestJson(const boost::json::value& json);

// Base32 (RFC 4648 §6), upper case with '=' padding: the suite's encoding of Byte Sequences.
std::string Base32Encode(ByteView data);
// Decodes padded base32. Rejects characters outside A-Z2-7, a length that is not a multiple
// of 8, impossible padding lengths and non-zero unused bits. Fails with kJsonWrongType.
Result<Bytes> Base32Decode(std::string_view text);

}  // namespace ztm::sf
