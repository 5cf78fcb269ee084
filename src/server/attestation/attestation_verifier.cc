#include "server/attestation/attestation_verifier.h"

namespace ztm::server {
namespace {

// Format names are short registry names ("software", "apple-appattest"); echoing a longer
// client-chosen string into an error is pointless.
constexpr std::size_t kMaxEchoedFormatChars = 32;

}  // namespace

Status AttestationRegistry::Add(std::unique_ptr<AttestationVerifier> verifier) {
  std::string name(verifier->format());
  if (verifiers_.contains(name)) {
    return Error{Code::kInvalidArgument, "attestation format registered twice: " + name};
  }
  verifiers_.emplace(std::move(name), std::move(verifier));
  return OkStatus();
}

Result<const AttestationVerifier*> AttestationRegistry::Find(std::string_view format) const {
  auto it = verifiers_.find(format);
  if (it == verifiers_.end()) {
    bool printable = format.size() <= kMaxEchoedFormatChars;
    for (char c : format) printable &= (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    return Error{Code::kAttestationFormatUnsupported,
                 printable ? "unsupported attestation format \"" + std::string(format) + "\""
                           : "unsupported attestation format"};
  }
  return it->second.get();
}

}  // namespace ztm::server
