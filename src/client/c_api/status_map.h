// The one mapping from ztm::Code (precise, internal, growing) to ztm_status (the C ABI's
// stable categories an app acts on).
#pragma once

#include "core/error.h"
#include "ztm/ztm.h"

namespace ztm::c_api {

// StatusOf returns the ztm_status category of `code`. Total: every Code has one category, and
// a Code added without one is a compile error (the switch has no default).
ztm_status StatusOf(Code code) noexcept;

}  // namespace ztm::c_api
