#include "testdata.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ztm::testing {

std::string TestdataPath(const std::string& relative) {
  return std::string(ZTM_TESTDATA_DIR) + "/" + relative;
}

std::string ReadTestdata(const std::string& relative) {
  std::ifstream in(TestdataPath(relative), std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read testdata file %s\n", TestdataPath(relative).c_str());
    std::abort();
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace ztm::testing
