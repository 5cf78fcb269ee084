// Alias validation shared by every KeyStore implementation and the SecureStore.
#include "client/keystore/key_store.h"

namespace ztm::client {

Status ValidateKeyAlias(std::string_view alias) {
  if (alias.empty() || alias.size() > kMaxKeyAliasBytes) {
    return Error{Code::kKeyAliasInvalid, "an alias has 1 to 64 characters"};
  }
  if (alias.front() == '.') return Error{Code::kKeyAliasInvalid, "an alias cannot start with '.'"};
  for (char c : alias) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!allowed) {
      return Error{Code::kKeyAliasInvalid, "an alias uses only the characters A-Z a-z 0-9 . _ -"};
    }
  }
  return OkStatus();
}

}  // namespace ztm::client
