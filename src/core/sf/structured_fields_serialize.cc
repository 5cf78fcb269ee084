// Structured Field Values serialization (RFC 9651 §4.1): the canonical text of a value, or
// an error for a value that has none (so nothing unparseable is ever sent).
#include "core/sf/structured_fields.h"

#include <string>

#include "core/encoding.h"
#include "core/sf/syntax.h"

namespace ztm::sf {
namespace {

using syntax::Describe;
using syntax::IsKeyChar;
using syntax::IsKeyFirstChar;
using syntax::IsPrintableAscii;
using syntax::IsTokenChar;
using syntax::IsTokenFirstChar;
using syntax::IsValidUtf8;
using syntax::kMaxDecimalThousandths;
using syntax::kMaxInteger;

Error SerializeError(const std::string& what) {
  return Error{Code::kSfSerializeError, "sf: " + what};
}

// RFC 9651 §4.1.1.3.
Status AppendKey(std::string_view key, std::string& out) {
  if (key.empty()) return SerializeError("key is empty");
  if (!IsKeyFirstChar(key[0])) {
    return SerializeError("key cannot start with " + Describe(key[0]));
  }
  for (std::size_t i = 1; i < key.size(); ++i) {
    if (!IsKeyChar(key[i])) {
      return SerializeError(Describe(key[i]) + " is not allowed in a key (index " +
                            std::to_string(i) + ")");
    }
  }
  out.append(key);
  return OkStatus();
}

// RFC 9651 §4.1.4.
Status AppendInteger(std::int64_t value, std::string& out, const char* what) {
  if (value > kMaxInteger || value < -kMaxInteger) {
    return SerializeError(std::string(what) + " " + std::to_string(value) +
                          " is outside ±999,999,999,999,999");
  }
  out += std::to_string(value);
  return OkStatus();
}

// RFC 9651 §4.1.5. The model holds exact thousandths, so the rounding of step 2 has already
// happened where the value was made; what remains is the range check and the shortest
// fractional part (at least one digit).
Status AppendDecimal(Decimal value, std::string& out) {
  std::int64_t t = value.thousandths;
  if (t > kMaxDecimalThousandths || t < -kMaxDecimalThousandths) {
    return SerializeError("decimal has more than 12 integer digits");
  }
  if (t < 0) {
    out.push_back('-');
    t = -t;
  }
  out += std::to_string(t / 1000);
  out.push_back('.');
  std::int64_t fraction = t % 1000;
  std::string digits = {static_cast<char>('0' + fraction / 100),
                        static_cast<char>('0' + fraction / 10 % 10),
                        static_cast<char>('0' + fraction % 10)};
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  out += digits;
  return OkStatus();
}

// RFC 9651 §4.1.6.
Status AppendString(std::string_view value, std::string& out) {
  out.push_back('"');
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (!IsPrintableAscii(c)) {
      return SerializeError(Describe(c) + " is not allowed in a string (index " +
                            std::to_string(i) + ")");
    }
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return OkStatus();
}

// RFC 9651 §4.1.7.
Status AppendToken(std::string_view value, std::string& out) {
  if (value.empty()) return SerializeError("token is empty");
  if (!IsTokenFirstChar(value[0])) {
    return SerializeError("token cannot start with " + Describe(value[0]));
  }
  for (std::size_t i = 1; i < value.size(); ++i) {
    if (!IsTokenChar(value[i])) {
      return SerializeError(Describe(value[i]) + " is not allowed in a token (index " +
                            std::to_string(i) + ")");
    }
  }
  out.append(value);
  return OkStatus();
}

// RFC 9651 §4.1.11: percent-encode "%", DQUOTE and every byte outside %x20-7E, lowercase.
Status AppendDisplayString(std::string_view utf8, std::string& out) {
  if (!IsValidUtf8(utf8)) return SerializeError("display string is not valid UTF-8");
  static constexpr char kHex[] = "0123456789abcdef";
  out += "%\"";
  for (char c : utf8) {
    if (c == '%' || c == '"' || !IsPrintableAscii(c)) {
      auto byte = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 15]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return OkStatus();
}

// RFC 9651 §4.1.3.1.
Status AppendBareItem(const BareItem& bare_item, std::string& out) {
  struct Visitor {
    std::string& out;
    Status operator()(std::int64_t v) { return AppendInteger(v, out, "integer"); }
    Status operator()(const Decimal& v) { return AppendDecimal(v, out); }
    Status operator()(const std::string& v) { return AppendString(v, out); }
    Status operator()(const Token& v) { return AppendToken(v.value, out); }
    Status operator()(const Bytes& v) {  // §4.1.8
      out.push_back(':');
      out += Base64Encode(ByteView(v));
      out.push_back(':');
      return OkStatus();
    }
    Status operator()(bool v) {  // §4.1.9
      out += v ? "?1" : "?0";
      return OkStatus();
    }
    Status operator()(const Date& v) {  // §4.1.10
      out.push_back('@');
      return AppendInteger(v.seconds, out, "date");
    }
    Status operator()(const DisplayString& v) { return AppendDisplayString(v.value, out); }
  };
  return std::visit(Visitor{out}, bare_item);
}

bool IsBooleanTrue(const BareItem& value) {
  const bool* b = std::get_if<bool>(&value);
  return b != nullptr && *b;
}

// RFC 9651 §4.1.1.2: a parameter whose value is Boolean true is written as its key alone.
Status AppendParameters(const Parameters& params, std::string& out) {
  for (const auto& [key, value] : params) {
    out.push_back(';');
    ZTM_RETURN_IF_ERROR(AppendKey(key, out));
    if (!IsBooleanTrue(value)) {
      out.push_back('=');
      ZTM_RETURN_IF_ERROR(AppendBareItem(value, out));
    }
  }
  return OkStatus();
}

// RFC 9651 §4.1.3.
Status AppendItem(const Item& item, std::string& out) {
  ZTM_RETURN_IF_ERROR(AppendBareItem(item.value, out));
  return AppendParameters(item.params, out);
}

// RFC 9651 §4.1.1.1.
Status AppendInnerList(const InnerList& inner_list, std::string& out) {
  out.push_back('(');
  for (std::size_t i = 0; i < inner_list.items.size(); ++i) {
    if (i > 0) out.push_back(' ');
    ZTM_RETURN_IF_ERROR(AppendItem(inner_list.items[i], out));
  }
  out.push_back(')');
  return AppendParameters(inner_list.params, out);
}

Status AppendMember(const ListMember& member, std::string& out) {
  if (const Item* item = std::get_if<Item>(&member)) return AppendItem(*item, out);
  return AppendInnerList(std::get<InnerList>(member), out);
}

template <typename AppendFn>
Result<std::string> SerializeWith(AppendFn append) {
  std::string out;
  ZTM_RETURN_IF_ERROR(append(out));
  return out;
}

}  // namespace

Result<std::string> SerializeItem(const Item& item) {
  return SerializeWith([&](std::string& out) { return AppendItem(item, out); });
}

// RFC 9651 §4.1.1.
Result<std::string> SerializeList(const List& list) {
  return SerializeWith([&](std::string& out) -> Status {
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (i > 0) out += ", ";
      ZTM_RETURN_IF_ERROR(AppendMember(list[i], out));
    }
    return OkStatus();
  });
}

// RFC 9651 §4.1.2: a member whose value is an Item of Boolean true is written as its key
// and parameters alone.
Result<std::string> SerializeDictionary(const Dictionary& dictionary) {
  return SerializeWith([&](std::string& out) -> Status {
    for (std::size_t i = 0; i < dictionary.size(); ++i) {
      const auto& [key, member] = dictionary[i];
      if (i > 0) out += ", ";
      ZTM_RETURN_IF_ERROR(AppendKey(key, out));
      const Item* item = std::get_if<Item>(&member);
      if (item != nullptr && IsBooleanTrue(item->value)) {
        ZTM_RETURN_IF_ERROR(AppendParameters(item->params, out));
      } else {
        out.push_back('=');
        ZTM_RETURN_IF_ERROR(AppendMember(member, out));
      }
    }
    return OkStatus();
  });
}

Result<std::string> SerializeInnerList(const InnerList& inner_list) {
  return SerializeWith([&](std::string& out) { return AppendInnerList(inner_list, out); });
}

Result<std::string> SerializeBareItem(const BareItem& bare_item) {
  return SerializeWith([&](std::string& out) { return AppendBareItem(bare_item, out); });
}

Result<std::string> SerializeParameters(const Parameters& params) {
  return SerializeWith([&](std::string& out) { return AppendParameters(params, out); });
}

}  // namespace ztm::sf
