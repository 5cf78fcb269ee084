// Refresh tokens (RFC 6749 §1.5) as ztm mints them: opaque 256-bit values, stored only as
// SHA-256 hashes, rotated on every use (RFC 9700 §4.14.2). A successor is derived from the
// token it replaces with a keyed MAC, so a retry of a just-rotated token within the grace
// window gets the same successor back without the store ever holding a usable token.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace ztm::server {

// 256 bits: unguessable, and the same size as the successor MAC.
inline constexpr std::size_t kRefreshTokenBytes = 32;
// The base64url length of a refresh token; anything else is refused before any lookup.
inline constexpr std::size_t kRefreshTokenChars = 43;
// HKDF "info" of the successor key: versioned so a future scheme derives a different key.
inline constexpr std::string_view kRefreshSuccessorKeyInfo = "ztm refresh successor v1";

class RefreshTokenMinter {
 public:
  // Derives the successor key from the master key (HKDF-SHA-256, info kRefreshSuccessorKeyInfo).
  // Fails with kInvalidArgument for an empty master key.
  static Result<RefreshTokenMinter> Create(const Secret& master_key);

  // A first token of a family: 256 random bits, base64url.
  std::string NewToken() const;
  // The token that replaces `presented`: base64url(HMAC-SHA-256(successor key, presented)).
  std::string Successor(std::string_view presented) const;
  // What the store keeps: SHA-256 of the token's ASCII.
  static Bytes Hash(std::string_view token);
  // True if `token` has the shape of a ztm refresh token (43 base64url characters).
  static bool WellFormed(std::string_view token);

 private:
  explicit RefreshTokenMinter(Secret key) : successor_key_(std::move(key)) {}
  Secret successor_key_;
};

}  // namespace ztm::server
