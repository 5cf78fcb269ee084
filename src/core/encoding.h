// Strict text encodings of bytes: base64url (RFC 4648 §5, unpadded, as JOSE uses it),
// base64 (RFC 4648 §4) and lowercase hex. Decoders accept only the canonical form: a
// decoder that accepts two spellings of the same bytes lets an attacker change a signed
// value without changing what it means.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"

namespace ztm {

// base64url without padding (RFC 7515 §2).
std::string Base64UrlEncode(ByteView data);
inline std::string Base64UrlEncode(std::string_view data) { return Base64UrlEncode(AsBytes(data)); }

// Decodes unpadded base64url. Rejects '=' padding, characters outside the base64url
// alphabet (including '+', '/', whitespace), a length of 1 mod 4, and non-zero unused
// bits in the last character (non-canonical encodings).
Result<Bytes> Base64UrlDecode(std::string_view text);

// Standard base64 with '=' padding.
std::string Base64Encode(ByteView data);
inline std::string Base64Encode(std::string_view data) { return Base64Encode(AsBytes(data)); }

enum class Base64Padding {
  kRequired,  // the length must be a multiple of 4, padded with '='
  kOptional,  // padding may be omitted, but if present it must be right
};

// Decodes standard base64. Rejects characters outside the alphabet, misplaced or wrong
// padding, and non-zero unused bits.
Result<Bytes> Base64Decode(std::string_view text, Base64Padding padding = Base64Padding::kRequired);

// Lowercase hex.
std::string HexEncode(ByteView data);
// Decodes hex (either case). Rejects odd lengths and non-hex characters.
Result<Bytes> HexDecode(std::string_view text);

// An application/x-www-form-urlencoded body (the OAuth token endpoint's, RFC 6749 §4.3):
// name=value pairs joined with '&', every byte of a name or value outside the RFC 3986 §2.3
// unreserved set percent-encoded (so '+', '&', '=' and spaces in a password survive).
std::string FormUrlEncode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace ztm
