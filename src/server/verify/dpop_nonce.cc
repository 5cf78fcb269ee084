#include "server/verify/dpop_nonce.h"

#include <array>

#include "core/crypto/crypto.h"
#include "core/encoding.h"

namespace ztm::server {
namespace {

// 128 bits of MAC: forging a nonce is as hard as forging the MAC.
constexpr std::size_t kMacBytes = 16;

}  // namespace

Result<DpopNonceService> DpopNonceService::Create(const Secret& master_key) {
  if (master_key.empty()) return Error{Code::kInvalidArgument, "master key is empty"};
  ZTM_ASSIGN_OR_RETURN(Secret key, crypto::Hkdf(crypto::HashAlgorithm::kSha256, master_key.view(),
                                                {}, AsBytes(kDpopNonceKeyInfo), 32));
  return DpopNonceService(std::move(key));
}

std::string DpopNonceService::ForStep(std::int64_t step) const {
  std::array<std::uint8_t, 8> encoded{};
  auto value = static_cast<std::uint64_t>(step);
  for (int i = 7; i >= 0; --i) {
    encoded[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value & 0xff);
    value >>= 8;
  }
  Bytes mac = crypto::HmacSha256(key_.view(), encoded);
  Bytes nonce(encoded.begin(), encoded.end());
  nonce.insert(nonce.end(), mac.begin(), mac.begin() + kMacBytes);
  return Base64UrlEncode(nonce);
}

std::string DpopNonceService::Issue(std::int64_t now) const { return ForStep(now / kStepSeconds); }

bool DpopNonceService::Valid(std::string_view nonce, std::int64_t now) const {
  const std::int64_t step = now / kStepSeconds;
  // Both comparisons always run, in constant time.
  const bool current = ConstantTimeEqual(nonce, ForStep(step));
  const bool previous = ConstantTimeEqual(nonce, ForStep(step - 1));
  return current | previous;
}

}  // namespace ztm::server
