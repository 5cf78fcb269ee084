// The attestation callback behind ztm::AttestationProvider: shared ownership of the app's
// ctx, NUL-terminated copies of the inputs, and strict handling of what comes back.
#include "client/c_api/callback_attestation_provider.h"

#include <memory>
#include <string_view>
#include <utility>

#include "client/c_api/status_map.h"

namespace ztm::client {
namespace {

// Owns the app's ctx once TakeOwnership is called: released once, when the last copy of the
// provider goes away (the options and every client opened with them).
class CallbackOwner {
 public:
  CallbackOwner(ztm_attestation_callback callback, void* ctx, void (*release)(void*))
      : callback_(callback), ctx_(ctx), release_(release) {}
  ~CallbackOwner() {
    if (!owns_ctx_ || release_ == nullptr) return;
    try {
      release_(ctx_);
    } catch (...) {
      // A destructor cannot report it, and nothing is left to clean up on this side.
    }
  }
  CallbackOwner(const CallbackOwner&) = delete;
  CallbackOwner& operator=(const CallbackOwner&) = delete;

  void TakeOwnership() noexcept { owns_ctx_ = true; }

  Result<AttestationEvidence> Attest(std::string_view challenge,
                                     std::string_view public_jwk_json) const {
    // Copies: the callback gets NUL-terminated strings.
    const std::string challenge_text(challenge);
    const std::string jwk_text(public_jwk_json);
    ztm_attestation_out out;
    ztm_status status;
    try {
      status = callback_(ctx_, challenge_text.c_str(), jwk_text.c_str(), &out);
    } catch (...) {
      return Error{Code::kInternal, "the platform attestation provider threw an exception"};
    }
    if (status != ZTM_OK) return Error{c_api::CodeOf(status), kAttestationProviderFailed};
    if (!out.set) {
      return Error{Code::kInvalidArgument,
                   "the platform attestation provider returned ZTM_OK without evidence "
                   "(ztm_attestation_set was not called)"};
    }
    return AttestationEvidence{std::move(out.format), std::move(out.evidence)};
  }

 private:
  const ztm_attestation_callback callback_;
  void* const ctx_;
  void (*const release_)(void*);
  bool owns_ctx_ = false;
};

}  // namespace

AttestationProvider MakeCallbackAttestationProvider(ztm_attestation_callback callback, void* ctx,
                                                    void (*release)(void* ctx)) {
  // Everything that can throw (allocations) happens before the owner takes ctx: a failure
  // takes nothing, as ztm.h promises.
  auto owner = std::make_shared<CallbackOwner>(callback, ctx, release);
  AttestationProvider provider = [owner](std::string_view challenge,
                                         std::string_view public_jwk_json) {
    return owner->Attest(challenge, public_jwk_json);
  };
  owner->TakeOwnership();
  return provider;
}

}  // namespace ztm::client
