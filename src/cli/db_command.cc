// `ztm db prune`: the gateway's store maintenance on demand (from cron when the gateway's own
// storage.prune_interval_seconds is 0, or before a backup). Safe while the gateway runs: the
// store deletes in small transactions, and only rows that no longer change a decision.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "core/clock.h"
#include "server/store/sqlite_store.h"

namespace ztm::cli {
namespace {

struct DbArgs {
  std::string db;
};

void AddDbCommands(CLI::App& app, Outcome& outcome) {
  CLI::App* db = app.add_subcommand("db", "Maintain the gateway's SQLite database");
  db->require_subcommand(1);

  CLI::App* prune = db->add_subcommand(
      "prune",
      "Delete expired challenges, and token families (with their refresh tokens) revoked or "
      "expired more than a day ago; print the rows deleted per table, one \"TABLE COUNT\" per "
      "line. Devices, users, signing keys and the audit trail are kept");
  auto args = std::make_shared<DbArgs>();
  prune->add_option("--db", args->db, "the gateway's SQLite database file")->required();
  prune->callback([args, &outcome] {
    ZTM_CLI_TRY(outcome, store,
                server::SqliteStore::Open(args->db, server::StoreOpenMode::kMustExist));
    const std::int64_t now = SystemClock::Instance().NowSeconds();
    ZTM_CLI_TRY(outcome, counts, (*store)->PruneExpired(now));
    const std::string summary = "challenges=" + std::to_string(counts->challenges) +
                                " refresh_tokens=" + std::to_string(counts->refresh_tokens) +
                                " token_families=" + std::to_string(counts->token_families);
    auto audited = (*store)->AppendAudit({0, now, "store_pruned", "", "", summary});
    std::printf("challenges %lld\nrefresh_tokens %lld\ntoken_families %lld\n",
                static_cast<long long>(counts->challenges),
                static_cast<long long>(counts->refresh_tokens),
                static_cast<long long>(counts->token_families));
    if (!audited.ok()) {
      outcome.exit_code =
          Fail("pruned, but the audit event was not recorded: " + audited.error().message);
      return;
    }
    outcome.exit_code = kExitOk;
  });
}

}  // namespace

ZTM_CLI_COMMANDS(74, AddDbCommands);

}  // namespace ztm::cli
