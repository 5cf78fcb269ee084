// Moved to the public include/ztm/error.h (libztm's API returns these types); kept so the
// sources' "core/error.h" includes stay short.
#pragma once

#include "ztm/error.h"
