// `ztm db prune` run as an operator runs it, against a real gateway database file (created by
// `ztm users add`) seeded with ended rows through Python's sqlite3 module, as an old gateway
// would have left them.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/run_cli.h"

namespace ztm::testing {
namespace {

std::string FreshDb(const std::string& name) {
  std::string path = WriteTempFile(name, "");
  std::remove(path.c_str());
  auto added = RunCli({"users", "add", "alice", "--db", path}, "correct horse battery staple\n");
  EXPECT_EQ(added.exit_code, 0) << added.err;
  return path;
}

// Runs `sql` on `db` with Python's sqlite3 module; returns the exit status.
int RunSql(const std::string& db, const std::string& sql) {
  const std::string script = WriteTempFile("seed.sql", sql);
  const std::string command =
      "/usr/bin/python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
      "c.executescript(open(sys.argv[2]).read()); c.commit()' '" +
      db + "' '" + script + "'";
  return std::system(command.c_str());
}

TEST(CliDb, PruneDeletesEndedRowsAndPrintsCounts) {
  const std::string db = FreshDb("prune.db");
  // A challenge that expired in 2001, a family revoked then with one refresh token, and a
  // family that is live until 2999.
  ASSERT_EQ(RunSql(db,
                   "INSERT INTO challenges VALUES (randomblob(32), 1000000000);"
                   "INSERT INTO devices VALUES ('d1', 'jkt-d1', '{}', 'software', 1, NULL);"
                   "INSERT INTO token_families VALUES ('old', 'alice', 'd1', 'jkt-d1', '', 1, 1, "
                   "  1000000000, 1000000000, 'logout');"
                   "INSERT INTO refresh_tokens(hash, family_id, generation, issued_at) "
                   "  VALUES (randomblob(32), 'old', 0, 1);"
                   "INSERT INTO token_families VALUES ('live', 'alice', 'd1', 'jkt-d1', '', 1, 1, "
                   "  32503680000, NULL, '');"
                   "INSERT INTO refresh_tokens(hash, family_id, generation, issued_at, used_at) "
                   "  VALUES (randomblob(32), 'live', 0, 1, 2);"),
            0);
  auto pruned = RunCli({"db", "prune", "--db", db});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_EQ(pruned.out, "challenges 1\nrefresh_tokens 1\ntoken_families 1\n");
  auto again = RunCli({"db", "prune", "--db", db});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "challenges 0\nrefresh_tokens 0\ntoken_families 0\n");
  // The operator action is in the audit trail.
  auto audit = RunCli({"audit", "tail", "--db", db});
  EXPECT_NE(audit.out.find("store_pruned"), std::string::npos) << audit.out;
  EXPECT_NE(audit.out.find("token_families=1"), std::string::npos) << audit.out;
}

TEST(CliDb, PruneRefusesAMissingDatabaseAndCreatesNothing) {
  std::string path = WriteTempFile("absent.db", "");
  std::remove(path.c_str());
  auto run = RunCli({"db", "prune", "--db", path});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("does not exist"), std::string::npos) << run.err;
  EXPECT_EQ(std::fopen(path.c_str(), "r"), nullptr);
}

TEST(CliDb, UsageErrors) {
  EXPECT_EQ(RunCli({"db", "prune"}).exit_code, 2);
  EXPECT_EQ(RunCli({"db"}).exit_code, 2);
  EXPECT_EQ(RunCli({"db", "vacuum", "--db", "x"}).exit_code, 2);
}

}  // namespace
}  // namespace ztm::testing
