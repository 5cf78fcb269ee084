// `ztm users|devices|audit` run as an operator runs them, against a real gateway database file.
// A device is seeded with the sqlite3 shell (scripts/install-deps.sh installs it), as the CLI
// has no verb that registers one: registration is the gateway's job.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cli/run_cli.h"

extern char** environ;

namespace ztm::testing {
namespace {

// A fresh database path (no file yet) in the CLI tests' temporary directory.
std::string FreshDb(const std::string& name) {
  std::string path = WriteTempFile(name, "");
  std::remove(path.c_str());
  return path;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs `sqlite3 DB SQL`, standard output to `out`; returns its exit status (127 if the shell
// is missing).
int Sqlite3Shell(const std::string& db, const std::string& sql, std::string* out = nullptr) {
  const std::string out_path = WriteTempFile("sqlite3.out", "");
  std::vector<std::string> args = {"sqlite3", db, sql};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_TRUNC, 0);
  pid_t pid = 0;
  int spawned = posix_spawnp(&pid, "sqlite3", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return 127;
  int status = 0;
  waitpid(pid, &status, 0);
  if (out != nullptr) *out = ReadAll(out_path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  return lines;
}

TEST(CliGatewayAdmin, UsersAddListRemove) {
  const std::string db = FreshDb("users.db");
  auto added = RunCli({"users", "add", "alice", "--db", db}, "correct horse battery staple\n");
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_EQ(added.out, "user alice added\n");
  struct stat info;
  ASSERT_EQ(stat(db.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(
      RunCli({"users", "add", "bob@example.com", "--db", db}, "another long password").exit_code,
      0);

  auto listed = RunCli({"users", "list", "--db", db});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  // "alice 2024-05-01T12:00:00Z\nbob@example.com …\n"
  ASSERT_EQ(listed.out.rfind("alice ", 0), 0u) << listed.out;
  EXPECT_EQ(listed.out.size(), std::string("alice 2024-05-01T12:00:00Z\n").size() +
                                   std::string("bob@example.com 2024-05-01T12:00:00Z\n").size());
  EXPECT_EQ(listed.out[10], '-');
  EXPECT_EQ(listed.out[16], 'T');
  EXPECT_EQ(listed.out[25], 'Z');
  EXPECT_NE(listed.out.find("\nbob@example.com "), std::string::npos);

  auto removed = RunCli({"users", "remove", "alice", "--db", db});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(removed.out, "user alice removed\n");
  listed = RunCli({"users", "list", "--db", db});
  EXPECT_EQ(listed.out.find("alice"), std::string::npos);

  auto again = RunCli({"users", "remove", "alice", "--db", db});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.err, "ztm: no such user alice\n");

  // Each change is in the audit trail, in order.
  auto tail = RunCli({"audit", "tail", "--db", db});
  ASSERT_EQ(tail.exit_code, 0) << tail.err;
  std::vector<std::string> lines = Lines(tail.out);
  ASSERT_EQ(lines.size(), 3u) << tail.out;
  EXPECT_EQ(lines[0].substr(20), " user_added alice - admin");
  EXPECT_EQ(lines[1].substr(20), " user_added bob@example.com - admin");
  EXPECT_EQ(lines[2].substr(20), " user_removed alice - admin");
}

TEST(CliGatewayAdmin, StoredHashIsArgon2idAndThePasswordIsNotInTheFile) {
  const std::string db = FreshDb("hash.db");
  const std::string password = "Tr0ub4dor&3-very-distinctive";
  ASSERT_EQ(RunCli({"users", "add", "carol", "--db", db}, password + "\n").exit_code, 0);
  // The process has exited: its connection checkpointed the WAL into the file. Read both in
  // case a -wal file is left.
  std::string bytes = ReadAll(db) + ReadAll(db + "-wal");
  EXPECT_NE(bytes.find("$argon2id$v=19$m=65536,t=2,p=1$"), std::string::npos);
  EXPECT_EQ(bytes.find(password), std::string::npos);
  EXPECT_EQ(bytes.find("Tr0ub4dor"), std::string::npos);
}

TEST(CliGatewayAdmin, DuplicateUserIsInvalid) {
  const std::string db = FreshDb("dup.db");
  ASSERT_EQ(RunCli({"users", "add", "alice", "--db", db}, "password-one\n").exit_code, 0);
  auto duplicate = RunCli({"users", "add", "alice", "--db", db}, "password-two\n");
  EXPECT_EQ(duplicate.exit_code, 1);
  EXPECT_EQ(duplicate.err, "ztm: user alice already exists\n");
}

TEST(CliGatewayAdmin, PasswordPolicyAndUsernameRules) {
  const std::string db = FreshDb("policy.db");
  auto empty = RunCli({"users", "add", "alice", "--db", db}, "\n");
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_EQ(empty.err, "ztm: password: empty (read from stdin)\n");
  auto short_one = RunCli({"users", "add", "alice", "--db", db}, "short\n");
  EXPECT_EQ(short_one.exit_code, 1);
  EXPECT_EQ(short_one.err, "ztm: password: shorter than 8 characters\n");
  // Only the first line is the password: "abc" + a long second line is still too short.
  auto first_line = RunCli({"users", "add", "alice", "--db", db}, "abc\nlong enough second line\n");
  EXPECT_EQ(first_line.exit_code, 1);
  auto bad_name = RunCli({"users", "add", "al ice", "--db", db}, "long enough password\n");
  EXPECT_EQ(bad_name.exit_code, 1);
  EXPECT_EQ(bad_name.err, "ztm: username may contain only letters, digits and . _ @ + -\n");
  auto long_name = RunCli({"users", "add", std::string(65, 'a'), "--db", db}, "long enough 1\n");
  EXPECT_EQ(long_name.exit_code, 1);
  // No user was added by any of these.
  auto listed = RunCli({"users", "list", "--db", db});
  EXPECT_EQ(listed.out, "");
}

TEST(CliGatewayAdmin, MissingDbIsUsage) {
  EXPECT_EQ(RunCli({"users", "add", "alice"}, "long enough password\n").exit_code, 2);
  EXPECT_EQ(RunCli({"users", "list"}).exit_code, 2);
  EXPECT_EQ(RunCli({"users", "remove", "alice"}).exit_code, 2);
  EXPECT_EQ(RunCli({"devices", "list"}).exit_code, 2);
  EXPECT_EQ(RunCli({"devices", "revoke", "d1"}).exit_code, 2);
  EXPECT_EQ(RunCli({"audit", "tail"}).exit_code, 2);
  EXPECT_EQ(RunCli({"users"}).exit_code, 2);
  EXPECT_EQ(RunCli({"devices", "revoke", "--db", "x.db"}).exit_code, 2);
  EXPECT_EQ(RunCli({"audit", "tail", "--db", "x.db", "-n", "0"}).exit_code, 2);
  EXPECT_EQ(RunCli({"audit", "tail", "--db", "x.db", "-n", "10001"}).exit_code, 2);
}

TEST(CliGatewayAdmin, ReadingVerbsDoNotCreateAMissingDatabase) {
  const std::string db = FreshDb("typo.db");
  auto listed = RunCli({"users", "list", "--db", db});
  EXPECT_EQ(listed.exit_code, 1);
  EXPECT_EQ(listed.err, "ztm: store: " + db + " does not exist\n");
  EXPECT_EQ(RunCli({"audit", "tail", "--db", db}).exit_code, 1);
  EXPECT_EQ(RunCli({"devices", "revoke", "d1", "--db", db}).exit_code, 1);
  struct stat info;
  EXPECT_NE(stat(db.c_str(), &info), 0);
}

TEST(CliGatewayAdmin, NotAGatewayDatabaseIsInvalid) {
  const std::string db = WriteTempFile("notes.db", "just some notes\n");
  chmod(db.c_str(), 0600);
  auto listed = RunCli({"users", "list", "--db", db});
  EXPECT_EQ(listed.exit_code, 1);
  EXPECT_EQ(listed.err,
            "ztm: store: " + db + " is not a ztm-gateway database (not an SQLite file)\n");
  EXPECT_EQ(ReadAll(db), "just some notes\n");
}

TEST(CliGatewayAdmin, DevicesRevokeAndAuditTail) {
  const std::string db = FreshDb("devices.db");
  ASSERT_EQ(RunCli({"users", "add", "alice", "--db", db}, "long enough password\n").exit_code, 0);
  ASSERT_EQ(Sqlite3Shell(db,
                         "INSERT INTO devices(device_id, jkt, public_jwk, attestation_format, "
                         "registered_at) VALUES('dev-1', 'thumb-1', '{}', 'software', 1714564800);"
                         "INSERT INTO token_families(family_id, subject, device_id, jkt, acr, "
                         "auth_time, created_at, expires_at) VALUES('fam-1', 'alice', 'dev-1', "
                         "'thumb-1', 'pwd', 1714564800, 1714564800, 99999999999);"
                         "INSERT INTO audit(time, type, subject, device_id, detail) VALUES("
                         "1714564800, 'device_registered', 'alice', 'dev-1', 'software');"),
            0)
      << "the sqlite3 shell is needed to seed a device (scripts/install-deps.sh)";

  auto listed = RunCli({"devices", "list", "--db", db});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out, "dev-1 software 2024-05-01T12:00:00Z active thumb-1\n");

  auto revoked = RunCli({"devices", "revoke", "dev-1", "--db", db});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_EQ(revoked.out, "device dev-1 revoked\n");
  listed = RunCli({"devices", "list", "--db", db});
  EXPECT_NE(listed.out.find(" revoked:"), std::string::npos) << listed.out;
  auto again = RunCli({"devices", "revoke", "dev-1", "--db", db});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(again.out.rfind("device dev-1 was already revoked at ", 0), 0u) << again.out;
  auto unknown = RunCli({"devices", "revoke", "dev-9", "--db", db});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(unknown.err, "ztm: no such device dev-9\n");

  auto tail = RunCli({"audit", "tail", "--db", db});
  ASSERT_EQ(tail.exit_code, 0) << tail.err;
  std::vector<std::string> lines = Lines(tail.out);
  ASSERT_EQ(lines.size(), 3u) << tail.out;
  EXPECT_EQ(lines[0].substr(20), " user_added alice - admin");
  EXPECT_EQ(lines[1], "2024-05-01T12:00:00Z device_registered alice dev-1 software");
  // One device_revoked event, from the first revocation only.
  EXPECT_EQ(lines[2].substr(20), " device_revoked - dev-1 admin");
  auto one = RunCli({"audit", "tail", "--db", db, "-n", "1"});
  EXPECT_EQ(one.out, lines[2] + "\n");

  // The device's token family was revoked with it.
  std::string reason;
  EXPECT_EQ(Sqlite3Shell(db, "SELECT revoked_reason FROM token_families", &reason), 0);
  EXPECT_EQ(reason, "device_revoked\n");
}

TEST(CliGatewayAdmin, AuditTailEscapesControlCharacters) {
  const std::string db = FreshDb("escape.db");
  ASSERT_EQ(RunCli({"users", "add", "alice", "--db", db}, "long enough password\n").exit_code, 0);
  ASSERT_EQ(Sqlite3Shell(db,
                         "INSERT INTO audit(time, type, subject, device_id, detail) VALUES("
                         "1714564800, 'login_failed', 'ev il' || char(27) || '[2J', '', "
                         "'bad password' || char(10) || 'forged line');"),
            0);
  auto tail = RunCli({"audit", "tail", "--db", db, "-n", "1"});
  ASSERT_EQ(tail.exit_code, 0) << tail.err;
  EXPECT_EQ(tail.out,
            "2024-05-01T12:00:00Z login_failed ev\\x20il\\x1b[2J - bad password\\x0aforged line\n");
}

}  // namespace
}  // namespace ztm::testing
