// Runs the real `ztm` binary as a user would: arguments, standard input, exit code,
// standard output and standard error.
#pragma once

#include <string>
#include <vector>

namespace ztm::testing {

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `ztm args...` with `stdin_data` on standard input.
CliRun RunCli(const std::vector<std::string>& args, const std::string& stdin_data = "");

// Writes `content` to a fresh file in a per-process temporary directory; returns its path.
std::string WriteTempFile(const std::string& name, const std::string& content);

}  // namespace ztm::testing
