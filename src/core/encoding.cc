#include "core/encoding.h"

#include <array>
#include <cstdint>

namespace ztm {
namespace {

constexpr char kStdAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> MakeTable(const char* alphabet) {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i)
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return table;
}
constexpr auto kStdTable = MakeTable(kStdAlphabet);
constexpr auto kUrlTable = MakeTable(kUrlAlphabet);

std::string Encode(ByteView data, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v =
        (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  std::size_t rest = data.size() - i;
  if (rest == 1) {
    std::uint32_t v = std::uint32_t{data[i]} << 16;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    if (pad) out += "==";
  } else if (rest == 2) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    if (pad) out += "=";
  }
  return out;
}

// Decodes unpadded symbols (the caller has removed and checked any padding).
Result<Bytes> DecodeUnpadded(std::string_view text, const std::array<std::int8_t, 256>& table) {
  if (text.size() % 4 == 1) return Error{Code::kBase64Invalid, "base64: impossible length"};
  Bytes out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    std::int8_t v = table[static_cast<unsigned char>(c)];
    if (v < 0) return Error{Code::kBase64Invalid, "base64: character outside the alphabet"};
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xff));
    }
  }
  // Unused low bits of the last symbol must be zero (RFC 4648 §3.5): otherwise several
  // encodings decode to the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return Error{Code::kBase64Invalid, "base64: non-canonical encoding (unused bits set)"};
  }
  return out;
}

}  // namespace

std::string Base64UrlEncode(ByteView data) { return Encode(data, kUrlAlphabet, false); }

Result<Bytes> Base64UrlDecode(std::string_view text) { return DecodeUnpadded(text, kUrlTable); }

std::string Base64Encode(ByteView data) { return Encode(data, kStdAlphabet, true); }

Result<Bytes> Base64Decode(std::string_view text, Base64Padding padding) {
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  std::string_view body = text.substr(0, text.size() - pad);
  if (pad > 0 || padding == Base64Padding::kRequired) {
    if (text.size() % 4 != 0) return Error{Code::kBase64Invalid, "base64: wrong padding"};
    std::size_t needed = (4 - body.size() % 4) % 4;
    if (needed != pad) return Error{Code::kBase64Invalid, "base64: wrong padding"};
  }
  return DecodeUnpadded(body, kStdTable);
}

std::string HexEncode(ByteView data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (std::uint8_t b : data) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

Result<Bytes> HexDecode(std::string_view text) {
  if (text.size() % 2 != 0) return Error{Code::kHexInvalid, "hex: odd length"};
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Bytes out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return Error{Code::kHexInvalid, "hex: invalid character"};
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

std::string FormUrlEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  auto append = [](std::string& out, std::string_view text) {
    for (unsigned char c : text) {
      const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                              c == '~';
      if (unreserved) {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back('%');
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0x0F]);
      }
    }
  };
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out.push_back('&');
    append(out, name);
    out.push_back('=');
    append(out, value);
  }
  return out;
}

}  // namespace ztm
