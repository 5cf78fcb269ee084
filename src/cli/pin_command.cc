// `ztm pin spki FILE`: the SPKI pin ("sha256/<base64>") of a certificate, as libztm's pin
// sets and TrustKit-style configurations expect it.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/command.h"
#include "core/crypto/keys.h"

namespace ztm::cli {
namespace {

void AddPinCommands(CLI::App& app, Outcome& outcome) {
  CLI::App* pin = app.add_subcommand("pin", "Certificate pinning helpers");
  pin->require_subcommand(1);
  CLI::App* spki =
      pin->add_subcommand("spki",
                          "Print the SHA-256 SPKI pin (sha256/<base64>) of a PEM or DER "
                          "certificate");
  auto file = std::make_shared<std::string>();
  spki->add_option("FILE", *file, "certificate file (PEM or DER)")->required();
  spki->callback([file, &outcome] {
    ZTM_CLI_TRY(outcome, data, ReadFile(*file));
    ZTM_CLI_TRY(outcome, pin_value, crypto::SpkiPinOfCertificate(AsBytes(*data)));
    std::printf("%s\n", pin_value->c_str());
    outcome.exit_code = kExitOk;
  });
}

}  // namespace

ZTM_CLI_COMMANDS(60, AddPinCommands);

}  // namespace ztm::cli
