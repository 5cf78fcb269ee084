// The gateway operator's verbs, run against the gateway's SQLite file (--db FILE), also while
// the gateway runs (WAL): `ztm users add|remove|list`, `ztm devices list|revoke`,
// `ztm audit tail`.
#include <sodium.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "cli/command.h"
#include "core/clock.h"
#include "server/password.h"
#include "server/store/sqlite_store.h"

namespace ztm::cli {
namespace {

using server::SqliteStore;
using server::StoreOpenMode;

// Usernames are what a login form sends: letters, digits and ._@+- (an e-mail address fits),
// at most 64 bytes, so they print safely in `users list` and in the audit trail.
constexpr std::size_t kMaxUsernameBytes = 64;
constexpr std::size_t kDefaultAuditTail = 20;

Status CheckUsername(std::string_view username) {
  if (username.empty() || username.size() > kMaxUsernameBytes) {
    return Error{Code::kInvalidArgument, "username must be 1 to 64 characters"};
  }
  for (char c : username) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '_' || c == '@' || c == '+' || c == '-';
    if (!allowed) {
      return Error{Code::kInvalidArgument,
                   "username may contain only letters, digits and . _ @ + -"};
    }
  }
  return OkStatus();
}

// Unix seconds as ISO 8601 UTC, e.g. 2024-05-01T12:00:00Z.
std::string IsoTime(std::int64_t seconds) {
  time_t t = static_cast<time_t>(seconds);
  struct tm utc;
  if (gmtime_r(&t, &utc) == nullptr) return std::to_string(seconds);
  char buffer[32];
  std::size_t length = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(buffer, length);
}

// Makes a stored field safe for a terminal and for line-oriented tools: "-" when empty, and
// every byte that is not printable ASCII (escape sequences, newlines) shown as \xNN, as is a
// space when `escape_space` (fields other than the last). Audit fields can carry what a client
// sent (a subject, a device id), and must not be able to rewrite the operator's screen.
std::string Printable(std::string_view field, bool escape_space = true) {
  if (field.empty()) return "-";
  std::string out;
  for (unsigned char c : field) {
    bool plain = c > 0x20 && c < 0x7f && c != '\\';
    if (plain || (c == ' ' && !escape_space)) {
      out.push_back(static_cast<char>(c));
    } else {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    }
  }
  return out;
}

void PrintLine(const std::string& line) { std::printf("%s\n", line.c_str()); }

// Adds the required --db option to `command`.
std::shared_ptr<std::string> AddDbOption(CLI::App* command) {
  auto db = std::make_shared<std::string>();
  command->add_option("--db", *db, "the gateway's SQLite database file")->required();
  return db;
}

// Strips one trailing "\n" or "\r\n" from `line` and keeps it as the password.
Result<Secret> PasswordFromLine(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return Error{Code::kInvalidArgument, "password: empty (read from stdin)"};
  return Secret(AsBytes(line));
}

// On a terminal: prompts on stderr and reads one line with echo off, unbuffered (no copy left
// in stdio's buffer).
Result<Secret> ReadPasswordFromTerminal(const std::string& username) {
  std::fprintf(stderr, "password for %s: ", username.c_str());
  std::setvbuf(stdin, nullptr, _IONBF, 0);
  termios saved;
  const bool restore = tcgetattr(STDIN_FILENO, &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  // Room for the longest password, "\r\n" and the NUL.
  std::array<char, server::kMaxPasswordBytes + 3> line{};
  const bool got = std::fgets(line.data(), static_cast<int>(line.size()), stdin) != nullptr;
  if (restore) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  std::fputc('\n', stderr);
  std::string_view text = got ? std::string_view(line.data()) : std::string_view();
  Result<Secret> password =
      text.size() == line.size() - 1 && text.back() != '\n'
          ? Result<Secret>(Code::kInputTooLarge, "password: longer than 1024 bytes")
          : PasswordFromLine(text);
  sodium_memzero(line.data(), line.size());
  return password;
}

// The password for `username`: typed at a prompt on a terminal, otherwise the first line of
// standard input (a pipe, a file). Every copy read on the way is wiped.
Result<Secret> ReadPassword(const std::string& username) {
  if (isatty(STDIN_FILENO) == 1) return ReadPasswordFromTerminal(username);
  auto input = ReadStdin();
  if (!input.ok()) return std::move(input).error();
  std::string& text = *input;
  auto password = PasswordFromLine(std::string_view(text).substr(0, text.find('\n')));
  sodium_memzero(text.data(), text.size());
  return password;
}

void AddUsersCommands(CLI::App& app, Outcome& outcome) {
  CLI::App* users = app.add_subcommand("users", "Manage the gateway's users (grant_type=password)");
  users->require_subcommand(1);

  CLI::App* add = users->add_subcommand(
      "add",
      "Add USERNAME; the password is typed at a prompt (on a terminal) or is the first line of "
      "standard input, at least 8 characters, stored as an Argon2id hash. Creates the database "
      "file (mode 0600) if it does not exist. Records a user_added audit event");
  auto add_name = std::make_shared<std::string>();
  add->add_option("USERNAME", *add_name, "letters, digits and . _ @ + - (at most 64)")->required();
  auto add_db = AddDbOption(add);
  add->callback([add_name, add_db, &outcome] {
    if (auto valid = CheckUsername(*add_name); !valid.ok()) {
      outcome.exit_code = Fail(valid.error());
      return;
    }
    ZTM_CLI_TRY(outcome, password, ReadPassword(*add_name));
    ZTM_CLI_TRY(outcome, store, SqliteStore::Open(*add_db, StoreOpenMode::kCreateIfMissing));
    ZTM_CLI_TRY(outcome, hash, server::HashPassword(*password));
    auto added = (*store)->AddUser({*add_name, *hash, SystemClock::Instance().NowSeconds()});
    if (!added.ok()) {
      outcome.exit_code = added.code() == Code::kStoreConflict
                              ? Fail("user " + *add_name + " already exists")
                              : Fail(added.error());
      return;
    }
    // The user exists now; a failed audit append is reported but does not undo it.
    if (auto audited = (*store)->AppendAudit(
            {0, SystemClock::Instance().NowSeconds(), "user_added", *add_name, "", "admin"});
        !audited.ok()) {
      outcome.exit_code =
          Fail("user added, but the audit event was not recorded: " + audited.error().message);
      return;
    }
    PrintLine("user " + *add_name + " added");
    outcome.exit_code = kExitOk;
  });

  CLI::App* remove =
      users->add_subcommand("remove", "Remove USERNAME. Records a user_removed audit event");
  auto remove_name = std::make_shared<std::string>();
  remove->add_option("USERNAME", *remove_name, "the user to remove")->required();
  auto remove_db = AddDbOption(remove);
  remove->callback([remove_name, remove_db, &outcome] {
    ZTM_CLI_TRY(outcome, store, SqliteStore::Open(*remove_db, StoreOpenMode::kMustExist));
    auto removed = (*store)->RemoveUser(*remove_name);
    if (!removed.ok()) {
      outcome.exit_code = removed.code() == Code::kStoreNotFound
                              ? Fail("no such user " + Printable(*remove_name))
                              : Fail(removed.error());
      return;
    }
    if (auto audited = (*store)->AppendAudit(
            {0, SystemClock::Instance().NowSeconds(), "user_removed", *remove_name, "", "admin"});
        !audited.ok()) {
      outcome.exit_code =
          Fail("user removed, but the audit event was not recorded: " + audited.error().message);
      return;
    }
    PrintLine("user " + Printable(*remove_name) + " removed");
    outcome.exit_code = kExitOk;
  });

  CLI::App* list =
      users->add_subcommand("list", "List the users, one per line: USERNAME CREATED (ISO 8601)");
  auto list_db = AddDbOption(list);
  list->callback([list_db, &outcome] {
    ZTM_CLI_TRY(outcome, store, SqliteStore::Open(*list_db, StoreOpenMode::kMustExist));
    ZTM_CLI_TRY(outcome, all, (*store)->ListUsers());
    for (const auto& user : *all)
      PrintLine(Printable(user.username) + " " + IsoTime(user.created_at));
    outcome.exit_code = kExitOk;
  });
}

void AddDevicesCommands(CLI::App& app, Outcome& outcome) {
  CLI::App* devices = app.add_subcommand("devices", "Inspect and revoke registered devices");
  devices->require_subcommand(1);

  CLI::App* list = devices->add_subcommand(
      "list",
      "List the devices, one per line: DEVICE_ID FORMAT REGISTERED STATUS JKT, where STATUS is "
      "\"active\" or \"revoked:<time>\"");
  auto list_db = AddDbOption(list);
  list->callback([list_db, &outcome] {
    ZTM_CLI_TRY(outcome, store, SqliteStore::Open(*list_db, StoreOpenMode::kMustExist));
    ZTM_CLI_TRY(outcome, all, (*store)->ListDevices());
    for (const auto& device : *all) {
      std::string status =
          device.revoked_at ? "revoked:" + IsoTime(*device.revoked_at) : std::string("active");
      PrintLine(Printable(device.device_id) + " " + Printable(device.attestation_format) + " " +
                IsoTime(device.registered_at) + " " + status + " " + Printable(device.jkt));
    }
    outcome.exit_code = kExitOk;
  });

  CLI::App* revoke = devices->add_subcommand(
      "revoke",
      "Revoke DEVICE_ID: its requests and refresh tokens are refused from now on, and its token "
      "families are revoked. Records a device_revoked audit event");
  auto device_id = std::make_shared<std::string>();
  revoke->add_option("DEVICE_ID", *device_id, "the device to revoke")->required();
  auto revoke_db = AddDbOption(revoke);
  revoke->callback([device_id, revoke_db, &outcome] {
    ZTM_CLI_TRY(outcome, store, SqliteStore::Open(*revoke_db, StoreOpenMode::kMustExist));
    ZTM_CLI_TRY(outcome, found, (*store)->FindDevice(*device_id));
    if (!found->has_value()) {
      outcome.exit_code = Fail("no such device " + Printable(*device_id));
      return;
    }
    if ((*found)->revoked_at) {
      PrintLine("device " + Printable(*device_id) + " was already revoked at " +
                IsoTime(*(*found)->revoked_at));
      outcome.exit_code = kExitOk;
      return;
    }
    const std::int64_t now = SystemClock::Instance().NowSeconds();
    if (auto revoked = (*store)->RevokeDevice(*device_id, now); !revoked.ok()) {
      outcome.exit_code = Fail(revoked.error());
      return;
    }
    auto audited = (*store)->AppendAudit({0, now, "device_revoked", "", *device_id, "admin"});
    if (!audited.ok()) {
      outcome.exit_code =
          Fail("device revoked, but the audit event was not recorded: " + audited.error().message);
      return;
    }
    PrintLine("device " + Printable(*device_id) + " revoked");
    outcome.exit_code = kExitOk;
  });
}

void AddAuditCommands(CLI::App& app, Outcome& outcome) {
  CLI::App* audit = app.add_subcommand("audit", "Read the gateway's append-only audit trail");
  audit->require_subcommand(1);

  CLI::App* tail = audit->add_subcommand(
      "tail",
      "Print the newest audit events, oldest first, one per line: TIME TYPE SUBJECT DEVICE "
      "DETAIL (\"-\" for an empty field; unprintable bytes as \\xNN)");
  auto db = AddDbOption(tail);
  auto count = std::make_shared<std::size_t>(kDefaultAuditTail);
  tail->add_option("-n", *count, "how many events (1..10000)")
      ->check(CLI::Range(std::size_t{1}, server::kMaxAuditTail))
      ->capture_default_str();
  tail->callback([db, count, &outcome] {
    ZTM_CLI_TRY(outcome, store, SqliteStore::Open(*db, StoreOpenMode::kMustExist));
    ZTM_CLI_TRY(outcome, events, (*store)->TailAudit(*count));
    for (const auto& event : *events) {
      PrintLine(IsoTime(event.time) + " " + Printable(event.type) + " " + Printable(event.subject) +
                " " + Printable(event.device_id) + " " +
                Printable(event.detail, /*escape_space=*/false));
    }
    outcome.exit_code = kExitOk;
  });
}

void AddGatewayAdminCommands(CLI::App& app, Outcome& outcome) {
  AddUsersCommands(app, outcome);
  AddDevicesCommands(app, outcome);
  AddAuditCommands(app, outcome);
}

}  // namespace

ZTM_CLI_COMMANDS(70, AddGatewayAdminCommands);

}  // namespace ztm::cli
