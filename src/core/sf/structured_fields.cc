// Structured Field Values parsing (RFC 9651 §4.2), step by step. A parse either consumes
// the whole field value exactly as the RFC describes or fails with the offset where it
// went wrong.
#include "core/sf/structured_fields.h"

#include <string>
#include <unordered_map>

#include "core/encoding.h"
#include "core/sf/syntax.h"
#include "core/text.h"

namespace ztm::sf {
namespace {

using syntax::Describe;
using syntax::IsAlpha;
using syntax::IsDigit;
using syntax::IsKeyChar;
using syntax::IsKeyFirstChar;
using syntax::IsLowerHexDigit;
using syntax::IsPrintableAscii;
using syntax::IsTokenChar;
using syntax::IsTokenFirstChar;
using syntax::IsValidUtf8;
using syntax::kMaxDecimalFractionDigits;
using syntax::kMaxDecimalIntegerDigits;
using syntax::kMaxIntegerDigits;

// A cursor over one field value implementing the algorithms of RFC 9651 §4.2. Each Parse*
// method consumes what it parsed; on failure the whole field fails (§4.2: "fail parsing").
class Parser {
 public:
  explicit Parser(std::string_view input) : input_(input) {}

  // RFC 9651 §4.2 steps 1-2: the field must be ASCII; leading SP is discarded.
  Status Begin() {
    for (std::size_t i = 0; i < input_.size(); ++i) {
      if (static_cast<unsigned char>(input_[i]) > 0x7f) {
        return Error{Code::kSfParseError,
                     "sf: non-ASCII " + Describe(input_[i]) + " at offset " + std::to_string(i)};
      }
    }
    SkipSp();
    return OkStatus();
  }

  // RFC 9651 §4.2 steps 6-7: after trailing SP nothing may remain.
  Status End() {
    SkipSp();
    if (!AtEnd()) return Fail("unexpected " + Describe(Peek()));
    return OkStatus();
  }

  // RFC 9651 §4.2.1: sr-list.
  Result<List> ParseList() {
    List members;
    while (!AtEnd()) {
      ZTM_ASSIGN_OR_RETURN(ListMember member, ParseItemOrInnerList());
      members.push_back(std::move(member));
      ZTM_RETURN_IF_ERROR(ParseMemberSeparator("list"));
    }
    return members;
  }

  // RFC 9651 §4.2.2: sf-dictionary. A duplicate key overwrites the earlier value in place,
  // or fails the field with DuplicateKeys::kReject.
  Result<Dictionary> ParseDictionary(DuplicateKeys duplicates) {
    Dictionary members;
    std::unordered_map<std::string, std::size_t> index;
    while (!AtEnd()) {
      const std::size_t key_offset = pos_;
      ZTM_ASSIGN_OR_RETURN(std::string key, ParseKey());
      if (duplicates == DuplicateKeys::kReject && index.count(key) != 0) {
        return FailAt("duplicate dictionary key \"" + ForMessage(key) + "\"", key_offset);
      }
      ListMember member;
      if (!AtEnd() && Peek() == '=') {
        ++pos_;
        ZTM_ASSIGN_OR_RETURN(member, ParseItemOrInnerList());
      } else {
        // Boolean true shorthand: the member is `true` with the parameters that follow.
        Item item{true, {}};
        ZTM_ASSIGN_OR_RETURN(item.params, ParseParameters());
        member = std::move(item);
      }
      auto [it, inserted] = index.emplace(key, members.size());
      if (inserted) {
        members.emplace_back(std::move(key), std::move(member));
      } else {
        members[it->second].second = std::move(member);
      }
      ZTM_RETURN_IF_ERROR(ParseMemberSeparator("dictionary"));
    }
    return members;
  }

  // RFC 9651 §4.2.3: sf-item.
  Result<Item> ParseItem() {
    Item item;
    ZTM_ASSIGN_OR_RETURN(item.value, ParseBareItem());
    ZTM_ASSIGN_OR_RETURN(item.params, ParseParameters());
    return item;
  }

 private:
  bool AtEnd() const { return pos_ >= input_.size(); }
  char Peek() const { return input_[pos_]; }
  void SkipSp() {
    while (!AtEnd() && Peek() == ' ') ++pos_;
  }
  // OWS = *( SP / HTAB ) (RFC 9110 §5.6.3), allowed only around list/dictionary commas.
  void SkipOws() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t')) ++pos_;
  }
  Error Fail(const std::string& what) const { return FailAt(what, pos_); }
  static Error FailAt(const std::string& what, std::size_t offset) {
    return Error{Code::kSfParseError, "sf: " + what + " at offset " + std::to_string(offset)};
  }

  // RFC 9651 §4.2.1 steps 2.3-2.7 and §4.2.2 steps 2.4-2.8: OWS "," OWS between members,
  // and no trailing comma.
  Status ParseMemberSeparator(const char* container) {
    SkipOws();
    if (AtEnd()) return OkStatus();
    if (Peek() != ',') {
      return Fail("expected ',' between " + std::string(container) + " members, found " +
                  Describe(Peek()));
    }
    ++pos_;
    SkipOws();
    if (AtEnd()) return Fail(std::string("trailing comma in ") + container);
    return OkStatus();
  }

  // RFC 9651 §4.2.1.1.
  Result<ListMember> ParseItemOrInnerList() {
    if (!AtEnd() && Peek() == '(') {
      ZTM_ASSIGN_OR_RETURN(InnerList inner, ParseInnerList());
      return ListMember(std::move(inner));
    }
    ZTM_ASSIGN_OR_RETURN(Item item, ParseItem());
    return ListMember(std::move(item));
  }

  // RFC 9651 §4.2.1.2: items separated by SP only, then ")" and parameters.
  Result<InnerList> ParseInnerList() {
    std::size_t start = pos_;
    ++pos_;  // "("
    InnerList inner;
    while (!AtEnd()) {
      SkipSp();
      if (AtEnd()) break;
      if (Peek() == ')') {
        ++pos_;
        ZTM_ASSIGN_OR_RETURN(inner.params, ParseParameters());
        return inner;
      }
      ZTM_ASSIGN_OR_RETURN(Item item, ParseItem());
      inner.items.push_back(std::move(item));
      if (AtEnd()) break;
      if (Peek() != ' ' && Peek() != ')') {
        return Fail("expected SP or ')' in inner list, found " + Describe(Peek()));
      }
    }
    return FailAt("inner list is not closed", start);
  }

  // RFC 9651 §4.2.3.2: *( ";" *SP key [ "=" bare-item ] ); a duplicate key overwrites.
  Result<Parameters> ParseParameters() {
    Parameters params;
    std::unordered_map<std::string, std::size_t> index;
    while (!AtEnd() && Peek() == ';') {
      ++pos_;
      SkipSp();
      ZTM_ASSIGN_OR_RETURN(std::string key, ParseKey());
      BareItem value = true;
      if (!AtEnd() && Peek() == '=') {
        ++pos_;
        ZTM_ASSIGN_OR_RETURN(value, ParseBareItem());
      }
      auto [it, inserted] = index.emplace(key, params.size());
      if (inserted) {
        params.emplace_back(std::move(key), std::move(value));
      } else {
        params[it->second].second = std::move(value);
      }
    }
    return params;
  }

  // RFC 9651 §4.2.3.3.
  Result<std::string> ParseKey() {
    if (AtEnd()) return Fail("expected a key, found end of field");
    if (!IsKeyFirstChar(Peek())) return Fail("key cannot start with " + Describe(Peek()));
    std::size_t start = pos_;
    while (!AtEnd() && IsKeyChar(Peek())) ++pos_;
    return std::string(input_.substr(start, pos_ - start));
  }

  // RFC 9651 §4.2.3.1: the first character selects the type.
  Result<BareItem> ParseBareItem() {
    if (AtEnd()) return Fail("expected an item, found end of field");
    char c = Peek();
    if (c == '-' || IsDigit(c)) return ParseNumber();
    if (c == '"') return ParseString();
    if (IsTokenFirstChar(c)) return ParseToken();
    if (c == ':') return ParseByteSequence();
    if (c == '?') return ParseBoolean();
    if (c == '@') return ParseDate();
    if (c == '%') return ParseDisplayString();
    return Fail("an item cannot start with " + Describe(c));
  }

  // RFC 9651 §4.2.4: Integer or Decimal. Digit counts are checked while reading, so an
  // over-long number is rejected without reading it to its end.
  Result<BareItem> ParseNumber() {
    std::size_t start = pos_;
    bool negative = false;
    if (Peek() == '-') {
      negative = true;
      ++pos_;
    }
    if (AtEnd()) return Fail("expected a digit after '-', found end of field");
    if (!IsDigit(Peek())) return Fail("expected a digit, found " + Describe(Peek()));
    std::int64_t integer_part = 0;
    std::size_t integer_digits = 0;
    std::int64_t fraction = 0;
    std::size_t fraction_digits = 0;
    bool is_decimal = false;
    while (!AtEnd()) {
      char c = Peek();
      if (IsDigit(c)) {
        if (is_decimal) {
          if (fraction_digits == kMaxDecimalFractionDigits) {
            return Fail("decimal has more than 3 fractional digits");
          }
          fraction = fraction * 10 + (c - '0');
          ++fraction_digits;
        } else {
          if (integer_digits == kMaxIntegerDigits) {
            return Fail("integer has more than 15 digits");
          }
          integer_part = integer_part * 10 + (c - '0');
          ++integer_digits;
        }
      } else if (c == '.' && !is_decimal) {
        if (integer_digits > kMaxDecimalIntegerDigits) {
          return Fail("decimal has more than 12 integer digits");
        }
        is_decimal = true;
      } else {
        break;
      }
      ++pos_;
    }
    if (!is_decimal) return BareItem(negative ? -integer_part : integer_part);
    if (fraction_digits == 0) return FailAt("decimal has no fractional digits", start);
    for (std::size_t i = fraction_digits; i < kMaxDecimalFractionDigits; ++i) fraction *= 10;
    std::int64_t thousandths = integer_part * 1000 + fraction;
    return BareItem(Decimal{negative ? -thousandths : thousandths});
  }

  // RFC 9651 §4.2.5: DQUOTE *( unescaped / "\" ( DQUOTE / "\" ) ) DQUOTE.
  Result<BareItem> ParseString() {
    std::size_t start = pos_;
    ++pos_;  // DQUOTE
    std::string out;
    while (!AtEnd()) {
      char c = input_[pos_];
      if (c == '\\') {
        ++pos_;
        if (AtEnd()) break;
        char next = Peek();
        if (next != '"' && next != '\\') {
          return Fail("invalid escape " + Describe(next) + " in string");
        }
        out.push_back(next);
      } else if (c == '"') {
        ++pos_;
        return BareItem(std::move(out));
      } else if (!IsPrintableAscii(c)) {
        return Fail(Describe(c) + " is not allowed in a string");
      } else {
        out.push_back(c);
      }
      ++pos_;
    }
    return FailAt("string is not terminated", start);
  }

  // RFC 9651 §4.2.6.
  Result<BareItem> ParseToken() {
    std::size_t start = pos_;
    while (!AtEnd() && IsTokenChar(Peek())) ++pos_;
    return BareItem(Token{std::string(input_.substr(start, pos_ - start))});
  }

  // RFC 9651 §4.2.7: ":" base64 ":". ztm requires canonical base64 (padding present, unused
  // bits zero): §4.2.7 lets parsers accept other spellings, but two spellings of the same
  // bytes (e.g. a Content-Digest) is the kind of ambiguity a signature check must not have.
  Result<BareItem> ParseByteSequence() {
    std::size_t start = pos_;
    ++pos_;  // ":"
    std::size_t end = input_.find(':', pos_);
    if (end == std::string_view::npos) return FailAt("byte sequence is not terminated", start);
    std::string_view content = input_.substr(pos_, end - pos_);
    for (std::size_t i = 0; i < content.size(); ++i) {
      char c = content[i];
      if (!IsAlpha(c) && !IsDigit(c) && c != '+' && c != '/' && c != '=') {
        return FailAt(Describe(c) + " is not allowed in a byte sequence", pos_ + i);
      }
    }
    Result<Bytes> decoded = Base64Decode(content, Base64Padding::kRequired);
    if (!decoded.ok()) {
      return FailAt(
          "byte sequence is not canonical padded base64 (" + decoded.error().message + ")", pos_);
    }
    pos_ = end + 1;
    return BareItem(std::move(decoded).value());
  }

  // RFC 9651 §4.2.8: "?0" or "?1".
  Result<BareItem> ParseBoolean() {
    ++pos_;  // "?"
    if (AtEnd()) return Fail("expected '0' or '1' after '?', found end of field");
    char c = Peek();
    if (c != '0' && c != '1') return Fail("expected '0' or '1' after '?', found " + Describe(c));
    ++pos_;
    return BareItem(c == '1');
  }

  // RFC 9651 §4.2.9: "@" followed by an Integer (a Decimal fails).
  Result<BareItem> ParseDate() {
    std::size_t start = pos_;
    ++pos_;  // "@"
    if (AtEnd()) return Fail("expected a date after '@', found end of field");
    if (Peek() != '-' && !IsDigit(Peek())) {
      return Fail("expected a date after '@', found " + Describe(Peek()));
    }
    ZTM_ASSIGN_OR_RETURN(BareItem number, ParseNumber());
    if (!std::holds_alternative<std::int64_t>(number)) {
      return FailAt("date is not an integer", start);
    }
    return BareItem(Date{std::get<std::int64_t>(number)});
  }

  // RFC 9651 §4.2.10: %" then printable ASCII with "%" hh (lowercase hex) escapes, then
  // DQUOTE; the decoded bytes must be valid UTF-8.
  Result<BareItem> ParseDisplayString() {
    std::size_t start = pos_;
    if (input_.size() - pos_ < 2 || input_[pos_ + 1] != '"') {
      return Fail("expected '\"' after '%' in display string");
    }
    pos_ += 2;
    std::string bytes;
    while (!AtEnd()) {
      char c = Peek();
      if (!IsPrintableAscii(c)) return Fail(Describe(c) + " is not allowed in a display string");
      if (c == '%') {
        if (input_.size() - pos_ < 3) return Fail("truncated percent-encoding in display string");
        char hi = input_[pos_ + 1], lo = input_[pos_ + 2];
        if (!IsLowerHexDigit(hi) || !IsLowerHexDigit(lo)) {
          return Fail("percent-encoding in display string is not two lowercase hex digits");
        }
        auto nibble = [](char h) { return IsDigit(h) ? h - '0' : h - 'a' + 10; };
        bytes.push_back(static_cast<char>((nibble(hi) << 4) | nibble(lo)));
        pos_ += 3;
      } else if (c == '"') {
        if (!IsValidUtf8(bytes)) return FailAt("display string is not valid UTF-8", start);
        ++pos_;
        return BareItem(DisplayString{std::move(bytes)});
      } else {
        bytes.push_back(c);
        ++pos_;
      }
    }
    return FailAt("display string is not terminated", start);
  }

  std::string_view input_;
  std::size_t pos_ = 0;
};

// RFC 9651 §4.2 steps 1-7 around one of the three top-level algorithms.
template <typename T, typename ParseFn>
Result<T> ParseField(std::string_view field_value, ParseFn parse) {
  if (field_value.size() > kMaxFieldBytes) {
    return Error{Code::kInputTooLarge,
                 "sf: field value is larger than " + std::to_string(kMaxFieldBytes) + " bytes"};
  }
  Parser parser(field_value);
  ZTM_RETURN_IF_ERROR(parser.Begin());
  ZTM_ASSIGN_OR_RETURN(T value, parse(parser));
  ZTM_RETURN_IF_ERROR(parser.End());
  return value;
}

}  // namespace

Result<Item> ParseItem(std::string_view field_value) {
  return ParseField<Item>(field_value, [](Parser& p) { return p.ParseItem(); });
}

Result<List> ParseList(std::string_view field_value) {
  return ParseField<List>(field_value, [](Parser& p) { return p.ParseList(); });
}

Result<Dictionary> ParseDictionary(std::string_view field_value, DuplicateKeys duplicates) {
  return ParseField<Dictionary>(field_value,
                                [duplicates](Parser& p) { return p.ParseDictionary(duplicates); });
}

const BareItem* FindParam(const Parameters& params, std::string_view key) {
  for (const auto& [name, value] : params) {
    if (name == key) return &value;
  }
  return nullptr;
}

const ListMember* FindMember(const Dictionary& dictionary, std::string_view key) {
  for (const auto& [name, member] : dictionary) {
    if (name == key) return &member;
  }
  return nullptr;
}

}  // namespace ztm::sf
