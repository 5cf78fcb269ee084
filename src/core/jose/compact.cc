// Splitting and strict decoding of the JWS Compact Serialization (RFC 7515 §7.1, §5.2).
#include "core/jose/compact.h"

#include <algorithm>
#include <utility>

#include <boost/json/value.hpp>

#include "core/encoding.h"
#include "core/json.h"

namespace ztm::jose::internal {
namespace {

namespace bj = boost::json;

Error Malformed(std::string message) {
  return Error{Code::kJwsMalformed, "jws: " + std::move(message)};
}
Error HeaderInvalid(std::string message) {
  return Error{Code::kJwsHeaderInvalid, "jws: " + std::move(message)};
}

Result<Bytes> DecodePart(std::string_view text, const char* name) {
  auto decoded = Base64UrlDecode(text);
  if (!decoded.ok()) {
    return Malformed(std::string(name) + " is not canonical base64url (" + decoded.error().message +
                     ")");
  }
  return std::move(decoded).value();
}

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

}  // namespace

Result<CompactJws> ParseCompact(std::string_view compact, std::size_t max_bytes) {
  if (compact.size() > max_bytes) {
    return Error{Code::kInputTooLarge,
                 "jws: token larger than " + std::to_string(max_bytes) + " bytes"};
  }
  // RFC 7515 §7.1: BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature).
  std::size_t first = compact.find('.');
  std::size_t second = first == std::string_view::npos ? first : compact.find('.', first + 1);
  if (second == std::string_view::npos || compact.find('.', second + 1) != std::string_view::npos) {
    return Malformed("a compact JWS has exactly three parts separated by two dots");
  }
  std::string_view header_text = compact.substr(0, first);
  std::string_view payload_text = compact.substr(first + 1, second - first - 1);
  std::string_view signature_text = compact.substr(second + 1);
  if (header_text.empty()) return Malformed("empty header");
  if (signature_text.empty()) return Malformed("empty signature (unsecured JWS)");

  CompactJws parts;
  parts.signing_input = compact.substr(0, second);
  ZTM_ASSIGN_OR_RETURN(Bytes header_bytes, DecodePart(header_text, "header"));

  // RFC 7515 §5.2 step 3-4: the header is a UTF-8 JSON object; ztm rejects duplicate
  // member names instead of taking the last one (json.h says why).
  auto header = json::ParseObject(AsString(header_bytes));
  if (!header.ok()) return HeaderInvalid("header is not a JSON object: " + header.error().message);
  parts.header = std::move(header).value();

  const bj::value* alg = parts.header.if_contains("alg");
  if (alg == nullptr) return HeaderInvalid("header has no \"alg\"");
  if (!alg->is_string()) return HeaderInvalid("header \"alg\" must be a string");
  parts.alg = std::string(alg->as_string());

  // RFC 7515 §4.1.11: a recipient MUST reject a JWS whose "crit" lists an extension it does
  // not understand; ztm understands none, so any "crit" is refused.
  if (parts.header.contains("crit")) return HeaderInvalid("header \"crit\" is not supported");
  // RFC 7797: "b64":false changes what the signature covers. Refused outright (with or
  // without "crit") so no caller can be confused about the signed bytes.
  if (parts.header.contains("b64")) return HeaderInvalid("header \"b64\" is not supported");

  ZTM_ASSIGN_OR_RETURN(parts.payload, DecodePart(payload_text, "payload"));
  ZTM_ASSIGN_OR_RETURN(parts.signature, DecodePart(signature_text, "signature"));
  return parts;
}

bool TypeHeaderMatches(std::string_view actual, std::string_view expected) {
  constexpr std::string_view kPrefix = "application/";
  if (actual.find('/') != std::string_view::npos) {
    if (actual.size() < kPrefix.size() ||
        !EqualsIgnoreCase(actual.substr(0, kPrefix.size()), kPrefix)) {
      return false;
    }
    actual.remove_prefix(kPrefix.size());
  }
  return EqualsIgnoreCase(actual, expected);
}

}  // namespace ztm::jose::internal
