// Test helpers: locating and reading files under testdata/.
#pragma once

#include <string>

#include "core/bytes.h"

namespace ztm::testing {

// Absolute path of `relative` under the project's testdata/ directory.
std::string TestdataPath(const std::string& relative);
// Contents of testdata/`relative`; aborts the test binary if it cannot be read (a missing
// conformance file must never turn into zero test cases).
std::string ReadTestdata(const std::string& relative);

}  // namespace ztm::testing
