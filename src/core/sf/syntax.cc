// Shared Structured Field Values syntax helpers: error-message character descriptions and
// UTF-8 validation (RFC 9651 §4.2.10 step 4.4.1, §4.1.11).
#include "core/sf/syntax.h"

namespace ztm::sf::syntax {

std::string Describe(char c) {
  if (IsPrintableAscii(c) && c != '\'') return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  auto byte = static_cast<unsigned char>(c);
  return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 15];
}

// RFC 3629 §4 (UTF8-2, UTF8-3, UTF8-4): the lead byte fixes the length and the range of the
// second byte; every other continuation byte is 80-BF.
bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto b0 = static_cast<unsigned char>(text[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t length;
    unsigned char min_second = 0x80, max_second = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      length = 2;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      length = 3;
      if (b0 == 0xe0) min_second = 0xa0;  // overlong
      if (b0 == 0xed) max_second = 0x9f;  // surrogates
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      length = 4;
      if (b0 == 0xf0) min_second = 0x90;  // overlong
      if (b0 == 0xf4) max_second = 0x8f;  // above U+10FFFF
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    auto b1 = static_cast<unsigned char>(text[i + 1]);
    if (b1 < min_second || b1 > max_second) return false;
    for (std::size_t k = 2; k < length; ++k) {
      auto b = static_cast<unsigned char>(text[i + k]);
      if (b < 0x80 || b > 0xbf) return false;
    }
    i += length;
  }
  return true;
}

}  // namespace ztm::sf::syntax
