// Moved to the public include/ztm/bytes.h (libztm's API takes Secret); kept so the sources'
// "core/bytes.h" includes stay short.
#pragma once

#include "ztm/bytes.h"
