// ForMessage: the one way untrusted text enters an error message (see text.h).
#include "core/text.h"

namespace ztm {

std::string ForMessage(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string shown;
  shown.reserve(text.size() < kMaxShownBytes ? text.size() : kMaxShownBytes + 3);
  for (const char c : text.substr(0, kMaxShownBytes)) {
    const auto byte = static_cast<unsigned char>(c);
    // '"' and '\' are escaped too: messages quote names, and "\x" must only start an escape.
    if (byte >= 0x20 && byte <= 0x7e && c != '"' && c != '\\') {
      shown.push_back(c);
    } else {
      shown += "\\x";
      shown.push_back(kHex[byte >> 4]);
      shown.push_back(kHex[byte & 0x0f]);
    }
  }
  if (text.size() > kMaxShownBytes) shown += "...";
  return shown;
}

}  // namespace ztm
