// Constant-time comparison and wiping, on OpenSSL's primitives (which the compiler cannot
// optimise away).
#include "core/bytes.h"

#include <openssl/crypto.h>

namespace ztm {

bool ConstantTimeEqual(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Secret& Secret::operator=(const Secret& other) {
  if (this != &other) {
    Wipe();
    data_ = other.data_;
  }
  return *this;
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    Wipe();
    data_ = std::move(other.data_);
    other.Wipe();
  }
  return *this;
}

void Secret::Wipe() {
  if (!data_.empty()) OPENSSL_cleanse(data_.data(), data_.size());
  data_.clear();
}

}  // namespace ztm
