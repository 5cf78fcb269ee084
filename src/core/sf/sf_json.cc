// Conversion between Structured Field Values and the JSON form of the httpwg
// structured-field-tests suite, plus the base32 codec that form uses for Byte Sequences.
#include "core/sf/sf_json.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <system_error>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

namespace ztm::sf {
namespace {

namespace bj = boost::json;

constexpr char kBase32Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
// RFC 4648 §6: 5 bytes become one quantum of 8 characters.
constexpr std::size_t kBase32QuantumChars = 8;

// Powers of ten that fit in uint64 (10^0 .. 10^19).
constexpr std::array<std::uint64_t, 20> kPowersOfTen = [] {
  std::array<std::uint64_t, 20> powers{};
  std::uint64_t p = 1;
  for (auto& power : powers) {
    power = p;
    p *= 10;
  }
  return powers;
}();

Error ShapeError(const std::string& where, const std::string& what) {
  return Error{Code::kJsonWrongType, "sf-json: " + where + " " + what};
}

std::string At(const std::string& where, std::size_t index) {
  return where + "[" + std::to_string(index) + "]";
}

// Returns the array `json` if it is an array of `size` elements (any size if 0), else null.
const bj::array* AsArray(const bj::value& json, std::size_t size = 0) {
  const bj::array* array = json.if_array();
  if (array == nullptr || (size != 0 && array->size() != size)) return nullptr;
  return array;
}

// RFC 9651 §4.1.5 step 2: rounds a double, read as its shortest round-trip decimal text, to
// thousandths, half to even. Working on that text (not the binary value) makes 0.0025 a tie
// (→ 0.002), which is what the JSON author wrote, while the binary value is slightly above.
Result<Decimal> DecimalFromDouble(double value, const std::string& where) {
  if (!std::isfinite(value)) return ShapeError(where, "is not a finite number");
  char text[64];
  auto [end, ec] = std::to_chars(text, text + sizeof text, value, std::chars_format::scientific);
  if (ec != std::errc()) return Error{Code::kInternal, "sf-json: cannot format a double"};
  // The form is [-]d[.ddd]e(+|-)dd.
  const char* p = text;
  bool negative = *p == '-';
  if (negative) ++p;
  std::uint64_t digits = 0;
  int digit_count = 0;
  for (; p < end && *p != 'e'; ++p) {
    if (*p == '.') continue;
    digits = digits * 10 + static_cast<std::uint64_t>(*p - '0');
    ++digit_count;
  }
  int exponent = 0;
  if (p < end) std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), end, exponent);
  // value = digits × 10^(exponent - (digit_count - 1)); thousandths = value × 10^3.
  int shift = exponent - (digit_count - 1) + 3;
  std::uint64_t thousandths;
  if (shift >= 0) {
    if (shift >= static_cast<int>(kPowersOfTen.size()) ||
        digits > std::numeric_limits<std::uint64_t>::max() / kPowersOfTen[shift]) {
      return Error{Code::kSfSerializeError, "sf-json: " + where + " decimal is out of range"};
    }
    thousandths = digits * kPowersOfTen[shift];
  } else if (-shift >= static_cast<int>(kPowersOfTen.size())) {
    thousandths = 0;  // at most 17 significant digits: far below half a thousandth
  } else {
    std::uint64_t divisor = kPowersOfTen[-shift];
    std::uint64_t quotient = digits / divisor, remainder = digits % divisor;
    std::uint64_t half = divisor / 2;  // divisor is a power of ten ≥ 10, so even
    if (remainder > half || (remainder == half && quotient % 2 == 1)) ++quotient;
    thousandths = quotient;
  }
  if (thousandths > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return Error{Code::kSfSerializeError, "sf-json: " + where + " decimal is out of range"};
  }
  auto signed_thousandths = static_cast<std::int64_t>(thousandths);
  return Decimal{negative ? -signed_thousandths : signed_thousandths};
}

Result<std::string> StringMember(const bj::value& json, const std::string& where) {
  const bj::string* s = json.if_string();
  if (s == nullptr) return ShapeError(where, "must be a string");
  return std::string(s->data(), s->size());
}

// {"__type": T, "value": V}
Result<BareItem> TypedBareItem(const bj::object& object, const std::string& where) {
  const bj::value* type = object.if_contains("__type");
  const bj::value* value = object.if_contains("value");
  if (object.size() != 2 || type == nullptr || value == nullptr || !type->is_string()) {
    return ShapeError(where, "must be {\"__type\": ..., \"value\": ...}");
  }
  std::string_view type_name(type->get_string().data(), type->get_string().size());
  std::string value_where = where + ".value";
  if (type_name == "token") {
    ZTM_ASSIGN_OR_RETURN(std::string token, StringMember(*value, value_where));
    return BareItem(Token{std::move(token)});
  }
  if (type_name == "binary") {
    ZTM_ASSIGN_OR_RETURN(std::string base32, StringMember(*value, value_where));
    Result<Bytes> bytes = Base32Decode(base32);
    if (!bytes.ok()) return ShapeError(value_where, "is not base32");
    return BareItem(std::move(bytes).value());
  }
  if (type_name == "date") {
    if (!value->is_int64()) return ShapeError(value_where, "must be an integer");
    return BareItem(Date{value->get_int64()});
  }
  if (type_name == "displaystring") {
    ZTM_ASSIGN_OR_RETURN(std::string text, StringMember(*value, value_where));
    return BareItem(DisplayString{std::move(text)});
  }
  return ShapeError(where, "has an unknown __type");
}

Result<BareItem> BareItemAt(const bj::value& json, const std::string& where) {
  switch (json.kind()) {
    case bj::kind::int64:
      return BareItem(json.get_int64());
    case bj::kind::uint64:  // only used by Boost.JSON for values above INT64_MAX
      return Error{Code::kSfSerializeError, "sf-json: " + where + " integer is out of range"};
    case bj::kind::double_: {
      ZTM_ASSIGN_OR_RETURN(Decimal decimal, DecimalFromDouble(json.get_double(), where));
      return BareItem(decimal);
    }
    case bj::kind::string:
      return BareItem(std::string(json.get_string().data(), json.get_string().size()));
    case bj::kind::bool_:
      return BareItem(json.get_bool());
    case bj::kind::object:
      return TypedBareItem(json.get_object(), where);
    case bj::kind::null:
    case bj::kind::array:
      break;
  }
  return ShapeError(where, "is not a bare item");
}

Result<Parameters> ParametersAt(const bj::value& json, const std::string& where) {
  const bj::array* array = AsArray(json);
  if (array == nullptr) return ShapeError(where, "must be an array of [name, value]");
  Parameters params;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const bj::array* pair = AsArray((*array)[i], 2);
    if (pair == nullptr) return ShapeError(At(where, i), "must be [name, value]");
    ZTM_ASSIGN_OR_RETURN(std::string name, StringMember((*pair)[0], At(At(where, i), 0)));
    ZTM_ASSIGN_OR_RETURN(BareItem value, BareItemAt((*pair)[1], At(At(where, i), 1)));
    params.emplace_back(std::move(name), std::move(value));
  }
  return params;
}

Result<Item> ItemAt(const bj::value& json, const std::string& where) {
  const bj::array* pair = AsArray(json, 2);
  if (pair == nullptr) return ShapeError(where, "must be [bare_item, parameters]");
  Item item;
  ZTM_ASSIGN_OR_RETURN(item.value, BareItemAt((*pair)[0], At(where, 0)));
  ZTM_ASSIGN_OR_RETURN(item.params, ParametersAt((*pair)[1], At(where, 1)));
  return item;
}

Result<InnerList> InnerListAt(const bj::value& json, const std::string& where) {
  const bj::array* pair = AsArray(json, 2);
  const bj::array* items = pair == nullptr ? nullptr : AsArray((*pair)[0]);
  if (items == nullptr) return ShapeError(where, "must be [[items...], parameters]");
  InnerList inner;
  for (std::size_t i = 0; i < items->size(); ++i) {
    ZTM_ASSIGN_OR_RETURN(Item item, ItemAt((*items)[i], At(At(where, 0), i)));
    inner.items.push_back(std::move(item));
  }
  ZTM_ASSIGN_OR_RETURN(inner.params, ParametersAt((*pair)[1], At(where, 1)));
  return inner;
}

// A bare item is never an array, so an array first element means an Inner List.
Result<ListMember> ListMemberAt(const bj::value& json, const std::string& where) {
  const bj::array* pair = AsArray(json, 2);
  if (pair != nullptr && (*pair)[0].is_array()) {
    ZTM_ASSIGN_OR_RETURN(InnerList inner, InnerListAt(json, where));
    return ListMember(std::move(inner));
  }
  ZTM_ASSIGN_OR_RETURN(Item item, ItemAt(json, where));
  return ListMember(std::move(item));
}

void WriteDouble(double value, std::string& out) {
  if (!std::isfinite(value)) {  // not representable in JSON; never produced by ToTestJson
    out += "null";
    return;
  }
  char text[64];
  auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  std::string_view written(text, ec == std::errc() ? static_cast<std::size_t>(end - text) : 0);
  out.append(written);
  if (written.find_first_of(".e") == std::string_view::npos) out += ".0";
}

void WriteJsonString(std::string_view text, std::string& out) {
  out += bj::serialize(bj::string(text));
}

void Write(const bj::value& json, std::string& out) {
  switch (json.kind()) {
    case bj::kind::null:
      out += "null";
      return;
    case bj::kind::bool_:
      out += json.get_bool() ? "true" : "false";
      return;
    case bj::kind::int64:
      out += std::to_string(json.get_int64());
      return;
    case bj::kind::uint64:
      out += std::to_string(json.get_uint64());
      return;
    case bj::kind::double_:
      WriteDouble(json.get_double(), out);
      return;
    case bj::kind::string:
      WriteJsonString(json.get_string(), out);
      return;
    case bj::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const bj::value& element : json.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        Write(element, out);
      }
      out.push_back(']');
      return;
    }
    case bj::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& member : json.get_object()) {
        if (!first) out.push_back(',');
        first = false;
        WriteJsonString(member.key(), out);
        out.push_back(':');
        Write(member.value(), out);
      }
      out.push_back('}');
      return;
    }
  }
}

bj::value Typed(const char* type, bj::value value) {
  bj::object object;
  object["__type"] = type;
  object["value"] = std::move(value);
  return object;
}

}  // namespace

boost::json::value ToTestJson(const BareItem& bare_item) {
  struct Visitor {
    bj::value operator()(std::int64_t v) { return v; }
    // thousandths / 1000.0 is the double nearest the exact decimal (one correctly rounded
    // division of exact operands), so its shortest form is the decimal itself.
    bj::value operator()(const Decimal& v) { return static_cast<double>(v.thousandths) / 1000.0; }
    bj::value operator()(const std::string& v) { return bj::string(v); }
    bj::value operator()(const Token& v) { return Typed("token", bj::string(v.value)); }
    bj::value operator()(const Bytes& v) { return Typed("binary", bj::string(Base32Encode(v))); }
    bj::value operator()(bool v) { return v; }
    bj::value operator()(const Date& v) { return Typed("date", v.seconds); }
    bj::value operator()(const DisplayString& v) {
      return Typed("displaystring", bj::string(v.value));
    }
  };
  return std::visit(Visitor{}, bare_item);
}

boost::json::value ToTestJson(const Parameters& params) {
  bj::array array;
  for (const auto& [name, value] : params) {
    array.push_back(bj::array{bj::string(name), ToTestJson(value)});
  }
  return array;
}

boost::json::value ToTestJson(const Item& item) {
  return bj::array{ToTestJson(item.value), ToTestJson(item.params)};
}

boost::json::value ToTestJson(const InnerList& inner_list) {
  bj::array items;
  for (const Item& item : inner_list.items) items.push_back(ToTestJson(item));
  return bj::array{std::move(items), ToTestJson(inner_list.params)};
}

boost::json::value ToTestJson(const ListMember& member) {
  if (const Item* item = std::get_if<Item>(&member)) return ToTestJson(*item);
  return ToTestJson(std::get<InnerList>(member));
}

boost::json::value ToTestJson(const List& list) {
  bj::array array;
  for (const ListMember& member : list) array.push_back(ToTestJson(member));
  return array;
}

boost::json::value ToTestJson(const Dictionary& dictionary) {
  bj::array array;
  for (const auto& [name, member] : dictionary) {
    array.push_back(bj::array{bj::string(name), ToTestJson(member)});
  }
  return array;
}

Result<BareItem> BareItemFromTestJson(const boost::json::value& json) {
  return BareItemAt(json, "$");
}

Result<Parameters> ParametersFromTestJson(const boost::json::value& json) {
  return ParametersAt(json, "$");
}

Result<Item> ItemFromTestJson(const boost::json::value& json) { return ItemAt(json, "$"); }

Result<InnerList> InnerListFromTestJson(const boost::json::value& json) {
  return InnerListAt(json, "$");
}

Result<ListMember> ListMemberFromTestJson(const boost::json::value& json) {
  return ListMemberAt(json, "$");
}

Result<List> ListFromTestJson(const boost::json::value& json) {
  const bj::array* array = AsArray(json);
  if (array == nullptr) return ShapeError("$", "must be an array of list members");
  List list;
  for (std::size_t i = 0; i < array->size(); ++i) {
    ZTM_ASSIGN_OR_RETURN(ListMember member, ListMemberAt((*array)[i], At("$", i)));
    list.push_back(std::move(member));
  }
  return list;
}

Result<Dictionary> DictionaryFromTestJson(const boost::json::value& json) {
  const bj::array* array = AsArray(json);
  if (array == nullptr) return ShapeError("$", "must be an array of [name, member]");
  Dictionary dictionary;
  for (std::size_t i = 0; i < array->size(); ++i) {
    std::string where = At("$", i);
    const bj::array* pair = AsArray((*array)[i], 2);
    if (pair == nullptr) return ShapeError(where, "must be [name, member]");
    ZTM_ASSIGN_OR_RETURN(std::string name, StringMember((*pair)[0], At(where, 0)));
    ZTM_ASSIGN_OR_RETURN(ListMember member, ListMemberAt((*pair)[1], At(where, 1)));
    dictionary.emplace_back(std::move(name), std::move(member));
  }
  return dictionary;
}

std::string WriteTestJson(const boost::json::value& json) {
  std::string out;
  Write(json, out);
  return out;
}

// RFC 4648 §6.
std::string Base32Encode(ByteView data) {
  std::string out;
  out.reserve((data.size() + 4) / 5 * kBase32QuantumChars);
  std::uint64_t buffer = 0;
  int bits = 0;
  for (std::uint8_t byte : data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32Alphabet[(buffer >> bits) & 31]);
    }
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 31]);
  while (out.size() % kBase32QuantumChars != 0) out.push_back('=');
  return out;
}

Result<Bytes> Base32Decode(std::string_view text) {
  auto invalid = [](const char* why) {
    return Error{Code::kJsonWrongType, std::string("base32: ") + why};
  };
  if (text.size() % kBase32QuantumChars != 0) return invalid("length is not a multiple of 8");
  std::size_t padding = 0;
  while (padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  // The last quantum holds 1-5 bytes: 2, 4, 5, 7 or 8 symbols, so 6, 4, 3, 1 or 0 '='.
  if (padding != 0 && padding != 1 && padding != 3 && padding != 4 && padding != 6) {
    return invalid("impossible padding");
  }
  std::string_view symbols = text.substr(0, text.size() - padding);
  Bytes out;
  out.reserve(symbols.size() * 5 / 8);
  std::uint64_t buffer = 0;
  int bits = 0;
  for (char c : symbols) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= '2' && c <= '7') {
      v = c - '2' + 26;
    } else {
      return invalid("character outside the alphabet");
    }
    buffer = (buffer << 5) | static_cast<std::uint64_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((buffer >> bits) & 0xff));
    }
  }
  if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0) {
    return invalid("non-canonical encoding (unused bits set)");
  }
  return out;
}

}  // namespace ztm::sf
