// `ztm`: the operator's and developer's command line over the core protocol library.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/command.h"

int main(int argc, char** argv) {
  CLI::App app{
      "ztm: zero-trust toolkit for mobile apps (JWK, JWS, DPoP, structured fields, "
      "HTTP message signatures, pinning)"};
  app.require_subcommand(1);
  ztm::cli::Outcome outcome;
  ztm::cli::AddAllCommands(app, outcome);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the reason
    return ztm::cli::kExitUsage;
  }
  return outcome.exit_code;
}
