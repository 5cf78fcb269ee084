// The one mapping from ztm::Code (precise, internal, growing) to ztm_status (the C ABI's
// stable categories an app acts on).
#pragma once

#include "core/error.h"
#include "ztm/ztm.h"

namespace ztm::c_api {

// StatusOf returns the ztm_status category of `code`. Total: every Code has one category, and
// a Code added without one is a compile error (the switch has no default).
ztm_status StatusOf(Code code) noexcept;

// CodeOf returns the Code standing for `status` when an app's callback reports a failure
// (the attestation provider), chosen so that StatusOf(CodeOf(status)) == status: the app gets
// back the category it returned. ZTM_OK, ZTM_ERR_BUFFER_TOO_SMALL and ZTM_ERR_NOT_FOUND (the
// ABI's own outcomes, no Code of their own) and values outside ztm_status give kInternal.
Code CodeOf(ztm_status status) noexcept;

}  // namespace ztm::c_api
