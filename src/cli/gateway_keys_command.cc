// `ztm keys rotate|list`: the gateway's token-signing keys in its SQLite file. Rotation makes a
// fresh P-256 key the active one (sealed under the master key); the previous key retires and
// keeps verifying for the retirement period, so tokens it signed stay valid until they expire.
// Running gateways pick the new key up within KeyRing::kReloadIntervalSeconds.
#include <time.h>
#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "core/clock.h"
#include "server/store/sqlite_store.h"
#include "server/tokens/key_ring.h"
#include "server/tokens/master_key.h"

namespace ztm::cli {
namespace {

// The default retirement period of tokens.key_retirement_seconds, for `keys list`.
constexpr std::int64_t kDefaultRetirementSeconds = 3600;
// A key retired for longer than a year verifies nothing useful; the bound keeps the date
// arithmetic far from overflow.
constexpr std::int64_t kMaxRetirementSeconds = 366 * 24 * 3600;

std::string IsoTime(std::int64_t seconds) {
  time_t t = static_cast<time_t>(seconds);
  struct tm utc;
  if (gmtime_r(&t, &utc) == nullptr) return std::to_string(seconds);
  char buffer[32];
  std::size_t length = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(buffer, length);
}

struct KeysArgs {
  std::string db;
  std::string master_key;
  std::int64_t retirement_seconds = kDefaultRetirementSeconds;
};

// Rotates after checking that `master_key` opens the current active key: a key sealed under
// another master key would leave the gateway unable to start.
Result<std::string> Rotate(server::SqliteStore& store, const Secret& master_key, std::int64_t now) {
  ZTM_ASSIGN_OR_RETURN(std::vector<server::SigningKeyRecord> keys, store.ListSigningKeys());
  if (!keys.empty()) {
    ZTM_ASSIGN_OR_RETURN(std::unique_ptr<server::KeyRing> ring,
                         server::KeyRing::Load(store, master_key, now, kDefaultRetirementSeconds));
    (void)ring;
  }
  return server::RotateSigningKey(store, master_key, now);
}

void AddGatewayKeysCommands(CLI::App& app, Outcome& outcome) {
  CLI::App* keys = app.add_subcommand("keys", "Manage the gateway's token-signing keys");
  keys->require_subcommand(1);

  CLI::App* rotate = keys->add_subcommand(
      "rotate",
      "Make a fresh P-256 key the active token-signing key and print its kid; the previous key "
      "retires now and keeps verifying for tokens.key_retirement_seconds. The master key must "
      "be the one the gateway uses (it must open the current key)");
  auto r = std::make_shared<KeysArgs>();
  rotate->add_option("--db", r->db, "the gateway's SQLite database file")->required();
  rotate->add_option("--master-key", r->master_key, "the gateway's master key file (32 bytes)")
      ->required();
  rotate->callback([r, &outcome] {
    ZTM_CLI_TRY(outcome, master_key, server::LoadMasterKey(r->master_key));
    ZTM_CLI_TRY(outcome, store,
                server::SqliteStore::Open(r->db, server::StoreOpenMode::kMustExist));
    const std::int64_t now = SystemClock::Instance().NowSeconds();
    ZTM_CLI_TRY(outcome, kid, Rotate(**store, *master_key, now));
    auto audited = (*store)->AppendAudit({0, now, "signing_key_rotated", "", "", "kid=" + *kid});
    if (!audited.ok()) {
      outcome.exit_code =
          Fail("key rotated, but the audit event was not recorded: " + audited.error().message);
      return;
    }
    std::printf("%s\n", kid->c_str());
    outcome.exit_code = kExitOk;
  });

  CLI::App* list = keys->add_subcommand(
      "list",
      "List the signing keys, active first, one per line: KID STATE CREATED RETIRED "
      "VERIFIES_UNTIL, where STATE is active, retired (still verifying) or expired, and \"-\" "
      "stands for no time");
  auto l = std::make_shared<KeysArgs>();
  list->add_option("--db", l->db, "the gateway's SQLite database file")->required();
  list->add_option("--retirement-seconds", l->retirement_seconds,
                   "the gateway's tokens.key_retirement_seconds")
      ->check(CLI::Range(std::int64_t{0}, kMaxRetirementSeconds))
      ->capture_default_str();
  list->callback([l, &outcome] {
    ZTM_CLI_TRY(outcome, store,
                server::SqliteStore::Open(l->db, server::StoreOpenMode::kMustExist));
    ZTM_CLI_TRY(outcome, keys_status, server::ListSigningKeyStatus(**store, l->retirement_seconds));
    const std::int64_t now = SystemClock::Instance().NowSeconds();
    for (const server::SigningKeyStatus& key : *keys_status) {
      std::string state = "active";
      if (!key.active) state = now < *key.verifies_until ? "retired" : "expired";
      std::printf("%s %s %s %s %s\n", key.kid.c_str(), state.c_str(),
                  IsoTime(key.created_at).c_str(),
                  key.retired_at ? IsoTime(*key.retired_at).c_str() : "-",
                  key.verifies_until ? IsoTime(*key.verifies_until).c_str() : "-");
    }
    outcome.exit_code = kExitOk;
  });
}

}  // namespace

ZTM_CLI_COMMANDS(72, AddGatewayKeysCommands);

}  // namespace ztm::cli
