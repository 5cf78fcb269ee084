// The character classes of RFC 9651 §3 (keys, tokens, strings, display strings) and the
// helpers the Structured Field Values parser and serializer share. Internal to core/sf.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ztm::sf::syntax {

// RFC 9651 §3.3.1: Integers have at most 15 digits.
inline constexpr std::size_t kMaxIntegerDigits = 15;
// RFC 9651 §3.3.2: Decimals have at most 12 integer and 3 fractional digits.
inline constexpr std::size_t kMaxDecimalIntegerDigits = 12;
inline constexpr std::size_t kMaxDecimalFractionDigits = 3;
// RFC 9651 §4.1.4: the largest magnitude an Integer (and a Date, §4.1.10) may have.
inline constexpr std::int64_t kMaxInteger = 999'999'999'999'999;
// The largest Decimal magnitude, in thousandths: 999,999,999,999.999 (§4.1.5 step 1).
inline constexpr std::int64_t kMaxDecimalThousandths = 999'999'999'999'999;

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsLowerAlpha(char c) { return c >= 'a' && c <= 'z'; }
inline bool IsAlpha(char c) { return IsLowerAlpha(c) || (c >= 'A' && c <= 'Z'); }
inline bool IsLowerHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }

// RFC 9110 §5.6.2 tchar.
inline bool IsTchar(char c) {
  return IsAlpha(c) || IsDigit(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 9651 §3.1.2: key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" ).
inline bool IsKeyFirstChar(char c) { return IsLowerAlpha(c) || c == '*'; }
inline bool IsKeyChar(char c) {
  return IsLowerAlpha(c) || IsDigit(c) || c == '_' || c == '-' || c == '.' || c == '*';
}

// RFC 9651 §3.3.4: token = ( ALPHA / "*" ) *( tchar / ":" / "/" ).
inline bool IsTokenFirstChar(char c) { return IsAlpha(c) || c == '*'; }
inline bool IsTokenChar(char c) { return IsTchar(c) || c == ':' || c == '/'; }

// Printable ASCII (%x20-7E), the only characters a String may hold (RFC 9651 §3.3.3).
inline bool IsPrintableAscii(char c) { return c >= 0x20 && c <= 0x7e; }

// Describes a character for an error message ("'a'" or "byte 0x0a") without echoing
// control or non-ASCII bytes.
std::string Describe(char c);

// Returns true if `text` is well-formed UTF-8 (RFC 3629 §4): no overlong forms, no
// surrogates, nothing above U+10FFFF, no truncated sequences.
bool IsValidUtf8(std::string_view text);

}  // namespace ztm::sf::syntax
