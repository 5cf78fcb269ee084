// Strict JSON for security-relevant documents (JOSE headers, claims, JWKs): Boost.JSON
// values, parsed with a size bound, a depth bound and duplicate member names rejected
// (RFC 7515 §5.2 requires rejecting or taking the last; ztm rejects, since two parsers that
// pick different duplicates is a known signature-bypass).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "core/error.h"

namespace ztm::json {

// JOSE objects are small; 64 KiB is far above any legitimate header or claim set and
// bounds the work an attacker can make a verifier do before the signature check.
inline constexpr std::size_t kMaxDocumentBytes = 64 * 1024;
// Legitimate JOSE documents nest two or three levels deep.
inline constexpr int kMaxDepth = 16;

// Parses `text` as one JSON value. Fails on malformed JSON, invalid UTF-8, comments,
// trailing commas, duplicate member names in any object, nesting deeper than `max_depth`,
// or input longer than `max_bytes`.
Result<boost::json::value> Parse(std::string_view text, std::size_t max_bytes = kMaxDocumentBytes,
                                 int max_depth = kMaxDepth);

// Parses and requires the top-level value to be an object.
Result<boost::json::object> ParseObject(std::string_view text,
                                        std::size_t max_bytes = kMaxDocumentBytes);

// Serialises compactly (no whitespace), members in insertion order.
std::string Serialize(const boost::json::value& value);

// Typed member access. Each returns std::nullopt when the member is absent and an error
// when it is present with the wrong type.
Result<std::optional<std::string>> GetString(const boost::json::object& obj, std::string_view key);
Result<std::optional<std::int64_t>> GetInt(const boost::json::object& obj, std::string_view key);

}  // namespace ztm::json
