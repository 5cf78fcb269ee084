// Internal to jose/ and dpop/: splits and decodes a JWS Compact Serialization (RFC 7515
// §7.1) without checking its signature. Nothing returned here is trustworthy; only
// JwsVerifier turns it into a VerifiedJws.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "core/bytes.h"
#include "core/error.h"

namespace ztm::jose::internal {

// The three parts of a compact JWS, decoded. `signing_input` views the caller's text.
struct CompactJws {
  std::string_view signing_input;  // ASCII(BASE64URL(header) || '.' || BASE64URL(payload))
  boost::json::object header;
  std::string alg;
  Bytes payload;
  Bytes signature;
};

// Parses `compact`. Fails with kInputTooLarge above `max_bytes`; kJwsMalformed unless there
// are exactly three parts, each strictly canonical base64url (no padding, no whitespace, no
// non-alphabet characters, zero unused bits), with a non-empty header and signature;
// kJwsHeaderInvalid unless the header is a JSON object without duplicate members whose "alg"
// is a string, and it has neither "crit" (no extension is understood, RFC 7515 §4.1.11) nor
// "b64" (RFC 7797 unencoded payloads are not supported).
Result<CompactJws> ParseCompact(std::string_view compact, std::size_t max_bytes);

// RFC 7515 §4.1.9: "typ" is a media type compared case-insensitively, and a value without
// '/' stands for "application/<value>". True if `actual` names the same type as `expected`
// (given without the "application/" prefix).
bool TypeHeaderMatches(std::string_view actual, std::string_view expected);

}  // namespace ztm::jose::internal
