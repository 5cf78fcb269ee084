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
    auto data = ReadFile(*file);
    if (!data.ok()) {
      outcome.exit_code = Fail(data.error());
      return;
    }
    auto pin_value = crypto::SpkiPinOfCertificate(AsBytes(*data));
    if (!pin_value.ok()) {
      outcome.exit_code = Fail(pin_value.error());
      return;
    }
    std::printf("%s\n", pin_value->c_str());
    outcome.exit_code = kExitOk;
  });
}

}  // namespace

ZTM_CLI_COMMANDS(60, AddPinCommands);

}  // namespace ztm::cli
