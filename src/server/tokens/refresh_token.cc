#include "server/tokens/refresh_token.h"

#include "core/crypto/crypto.h"
#include "core/encoding.h"

namespace ztm::server {

Result<RefreshTokenMinter> RefreshTokenMinter::Create(const Secret& master_key) {
  if (master_key.empty()) return Error{Code::kInvalidArgument, "master key is empty"};
  ZTM_ASSIGN_OR_RETURN(Secret key, crypto::Hkdf(crypto::HashAlgorithm::kSha256, master_key.view(),
                                                {}, AsBytes(kRefreshSuccessorKeyInfo), 32));
  return RefreshTokenMinter(std::move(key));
}

std::string RefreshTokenMinter::NewToken() const {
  return Base64UrlEncode(crypto::RandomBytes(kRefreshTokenBytes));
}

std::string RefreshTokenMinter::Successor(std::string_view presented) const {
  return Base64UrlEncode(crypto::HmacSha256(successor_key_.view(), AsBytes(presented)));
}

Bytes RefreshTokenMinter::Hash(std::string_view token) { return crypto::Sha256(token); }

bool RefreshTokenMinter::WellFormed(std::string_view token) {
  if (token.size() != kRefreshTokenChars) return false;
  auto decoded = Base64UrlDecode(token);
  return decoded.ok() && decoded->size() == kRefreshTokenBytes;
}

}  // namespace ztm::server
