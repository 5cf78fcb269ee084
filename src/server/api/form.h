// application/x-www-form-urlencoded bodies (the OAuth token and revocation endpoints,
// RFC 6749 §3.2, RFC 7009 §2.1), parsed strictly: a parameter sent twice is refused (RFC 6749
// §3.2: "Request and response parameters MUST NOT be included more than once"), and so is
// malformed percent-encoding.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace ztm::server {

// A token request has half a dozen parameters; 32 leaves room for extensions.
inline constexpr std::size_t kMaxFormParameters = 32;
// An ID token or a refresh token is a few KiB at most.
inline constexpr std::size_t kMaxFormBodyBytes = 64 * 1024;

class FormParameters {
 public:
  // Parses `body` (WHATWG URL application/x-www-form-urlencoded: '&'-separated name=value,
  // '+' is a space, %XX decoded). Fails with kOAuthInvalidRequest for a body over
  // kMaxFormBodyBytes or kMaxFormParameters, malformed percent-encoding, an empty name or a
  // repeated name.
  static Result<FormParameters> Parse(std::string_view body);

  // The value of `name`, or nullopt.
  std::optional<std::string_view> Get(std::string_view name) const;
  // The value of `name`; kOAuthInvalidRequest naming the parameter when absent or empty.
  Result<std::string_view> Required(std::string_view name) const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

// True if `content_type` is application/x-www-form-urlencoded (parameters such as charset
// allowed; the media type compared case-insensitively, RFC 9110 §8.3.1).
bool IsFormContentType(std::string_view content_type);
// True if `content_type` is application/json (parameters allowed).
bool IsJsonContentType(std::string_view content_type);

}  // namespace ztm::server
