// Server-provided DPoP nonces (RFC 9449 §8 and §9): values the gateway hands out in the
// DPoP-Nonce header and requires in proofs, limiting how long a pre-computed proof is useful.
// Stateless: a nonce is a time step and a MAC over it, so any gateway holding the same master
// key accepts it and nothing needs storing. Replay of a proof is stopped by the jti cache.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace ztm::server {

// HKDF "info" of the nonce MAC key.
inline constexpr std::string_view kDpopNonceKeyInfo = "ztm dpop nonce v1";

class DpopNonceService {
 public:
  // A nonce issued in time step t is accepted in steps t and t+1: it lives between one and two
  // steps. A minute keeps pre-computed proofs short-lived while a client needs a fresh nonce
  // at most every minute or two.
  static constexpr std::int64_t kStepSeconds = 60;

  // Derives the MAC key from the master key. Fails with kInvalidArgument for an empty key.
  static Result<DpopNonceService> Create(const Secret& master_key);

  // A nonce for `now`: base64url(8-byte big-endian step || first 16 bytes of
  // HMAC-SHA-256(key, step)).
  std::string Issue(std::int64_t now) const;
  // True if `nonce` was issued by a gateway with this key in the current or previous step.
  bool Valid(std::string_view nonce, std::int64_t now) const;

 private:
  explicit DpopNonceService(Secret key) : key_(std::move(key)) {}
  std::string ForStep(std::int64_t step) const;
  Secret key_;
};

}  // namespace ztm::server
