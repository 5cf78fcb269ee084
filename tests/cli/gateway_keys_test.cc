// `ztm keys rotate|list` run as an operator runs them, against a real gateway database file
// (created by `ztm users add`, as an operator's first step) and a real master key file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

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

std::string MasterKey(const std::string& name, char fill, mode_t mode = 0600) {
  std::string path = WriteTempFile(name, std::string(32, fill));
  ::chmod(path.c_str(), mode);
  return path;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

TEST(CliGatewayKeys, RotateAndList) {
  const std::string db = FreshDb("keys.db");
  const std::string key = MasterKey("keys.key", 'k');
  auto first = RunCli({"keys", "rotate", "--db", db, "--master-key", key});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string first_kid = first.out.substr(0, first.out.size() - 1);
  EXPECT_EQ(first_kid.size(), 43u);  // an RFC 7638 thumbprint

  auto listed = RunCli({"keys", "list", "--db", db});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  auto lines = Lines(listed.out);
  ASSERT_EQ(lines.size(), 1u);
  auto words = Words(lines[0]);
  ASSERT_EQ(words.size(), 5u);
  EXPECT_EQ(words[0], first_kid);
  EXPECT_EQ(words[1], "active");
  EXPECT_EQ(words[3], "-");

  auto second = RunCli({"keys", "rotate", "--db", db, "--master-key", key});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const std::string second_kid = second.out.substr(0, second.out.size() - 1);
  EXPECT_NE(second_kid, first_kid);
  lines = Lines(RunCli({"keys", "list", "--db", db}).out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(Words(lines[0])[0], second_kid);
  EXPECT_EQ(Words(lines[0])[1], "active");
  EXPECT_EQ(Words(lines[1])[0], first_kid);
  EXPECT_EQ(Words(lines[1])[1], "retired");
  // With no retirement period the old key no longer verifies anything.
  lines = Lines(RunCli({"keys", "list", "--db", db, "--retirement-seconds", "0"}).out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(Words(lines[1])[1], "expired");

  auto audit = RunCli({"audit", "tail", "--db", db});
  EXPECT_NE(audit.out.find("signing_key_rotated"), std::string::npos);
}

TEST(CliGatewayKeys, AnotherMasterKeyIsRefused) {
  const std::string db = FreshDb("keys-wrong.db");
  ASSERT_EQ(
      RunCli({"keys", "rotate", "--db", db, "--master-key", MasterKey("right.key", 'r')}).exit_code,
      0);
  auto wrong = RunCli({"keys", "rotate", "--db", db, "--master-key", MasterKey("wrong.key", 'w')});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("unseal"), std::string::npos) << wrong.err;
  EXPECT_EQ(Lines(RunCli({"keys", "list", "--db", db}).out).size(), 1u);
}

TEST(CliGatewayKeys, UnsafeOrMissingFilesAreRefused) {
  const std::string db = FreshDb("keys-files.db");
  auto open_key =
      RunCli({"keys", "rotate", "--db", db, "--master-key", MasterKey("open.key", 'o', 0644)});
  EXPECT_EQ(open_key.exit_code, 1);
  EXPECT_NE(open_key.err.find("chmod 600"), std::string::npos) << open_key.err;
  auto short_key = WriteTempFile("short.key", "too short");
  ::chmod(short_key.c_str(), 0600);
  EXPECT_EQ(RunCli({"keys", "rotate", "--db", db, "--master-key", short_key}).exit_code, 1);
  const std::string absent_db = WriteTempFile("absent.db", "");
  std::remove(absent_db.c_str());
  auto no_db =
      RunCli({"keys", "rotate", "--db", absent_db, "--master-key", MasterKey("ok.key", 'o')});
  EXPECT_EQ(no_db.exit_code, 1);
  EXPECT_EQ(RunCli({"keys", "list", "--db", absent_db}).exit_code, 1);
}

TEST(CliGatewayKeys, UsageErrors) {
  EXPECT_EQ(RunCli({"keys"}).exit_code, 2);
  EXPECT_EQ(RunCli({"keys", "rotate", "--db", "x.db"}).exit_code, 2);
  EXPECT_EQ(RunCli({"keys", "list"}).exit_code, 2);
  EXPECT_EQ(RunCli({"keys", "list", "--db", "x.db", "--retirement-seconds", "-1"}).exit_code, 2);
}

}  // namespace
}  // namespace ztm::testing
