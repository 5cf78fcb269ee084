// Shared plumbing for the `ztm` verbs. Exit codes are a contract (docs/cli.md):
// 0 = valid/ok, 1 = invalid input or failed verification (one line on stderr), 2 = usage.
#pragma once

#include <cstddef>
#include <string>

#include "core/error.h"

namespace CLI {
class App;
}

namespace ztm::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalid = 1;
inline constexpr int kExitUsage = 2;

// Bounds for what the CLI reads: tokens, proofs, field lines and requests are small.
inline constexpr std::size_t kMaxStdinBytes = 1024 * 1024;
inline constexpr std::size_t kMaxFileBytes = 1024 * 1024;

// Where a verb's callback leaves its exit code.
struct Outcome {
  int exit_code = kExitOk;
};

// Each area's file (src/cli/<area>_command.cc) registers its verbs with
// ZTM_CLI_COMMANDS(order, AddFn); main() adds them in `order`, so no central list exists
// to edit when an area is added.
using AddCommandsFn = void (*)(CLI::App& app, Outcome& outcome);
struct CommandRegistration {
  CommandRegistration(int order, AddCommandsFn add);
};
// Calls every registered AddCommandsFn, in order.
void AddAllCommands(CLI::App& app, Outcome& outcome);

#define ZTM_CLI_COMMANDS(order, fn) \
  static const ::ztm::cli::CommandRegistration ztm_cli_registration_##fn(order, fn)

// Inside a verb's callback: evaluates `expr` (a Result) into `name`, or on error prints the
// one-line reason, sets `outcome.exit_code` to kExitInvalid and returns from the callback.
#define ZTM_CLI_TRY(outcome, name, expr)      \
  auto name = (expr);                         \
  if (!name.ok()) {                           \
    (outcome).exit_code = Fail(name.error()); \
    return;                                   \
  }

// Prints "ztm: <message>" on stderr and returns kExitInvalid.
int Fail(const Error& error);
int Fail(const std::string& message);

// Reads all of stdin (bounded by kMaxStdinBytes).
Result<std::string> ReadStdin();
// Reads a whole file (bounded by kMaxFileBytes).
Result<std::string> ReadFile(const std::string& path);
// Removes one trailing "\n" or "\r\n" (what `echo` and editors add to a token).
std::string TrimTrailingNewline(std::string text);

}  // namespace ztm::cli
