// The exit-code contract of `ztm` for usage errors.
#include <gtest/gtest.h>

#include "cli/run_cli.h"

namespace ztm::testing {
namespace {

TEST(CliUsage, NoVerbIsAUsageError) { EXPECT_EQ(RunCli({}).exit_code, 2); }

TEST(CliUsage, UnknownVerbIsAUsageError) {
  auto run = RunCli({"no-such-verb"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_FALSE(run.err.empty());
}

TEST(CliUsage, HelpSucceeds) {
  auto run = RunCli({"--help"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_NE(run.out.find("ztm"), std::string::npos);
}

}  // namespace
}  // namespace ztm::testing
