// ztm-demo: a command-line "mobile app" built on libztm (ztm::Client), run by scripts/demo.sh
// against a real ztm-gateway over TLS, next to a man in the middle (examples/demo_network.py).
// It narrates each step: register the device, sign in, a signed API call, a restart whose
// first call refreshes the session, then the attacks, which must fail: the interceptor, which
// pinning refuses (and reports), but which an app without pins lets read everything; what the
// interceptor does with what it read (replay, tampering, proofs for other URLs, a stolen token
// with its own key); a stolen copy of the app's files (the refresh token used twice); and
// logout with the wipe. The attacker's requests that libztm would never send are crafted with
// demo_protocol.h and sent with https_client.h.
//
//   ztm-demo --gateway URL --interceptor URL --ca CA.pem --pin PIN --pin BACKUP_PIN
//            --report-uri URL --work-dir DIR --interceptor-log F --interceptor-rules F
//            --collector-log F --upstream-log F [--username U] [--password-file F] [--json]
//
// Without --password-file the password is read from the first line of standard input.
// Exit codes: 0 every legitimate step succeeded and every attack was refused for the expected
// reason; 1 something misbehaved; 2 usage error.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "demo_story.h"
#include "https_client.h"
#include "narrator.h"

namespace ztm::demo {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitMisbehaved = 1;
constexpr int kExitUsage = 2;
// A password file holds one line; anything longer is not a password file.
constexpr std::size_t kMaxPasswordBytes = 1024;
// The app's key store passphrase: 144 random bits, more than any user-chosen one.
constexpr std::size_t kPassphraseBytes = 18;

// The first line of `path` (or of standard input for an empty path), without its line end.
std::optional<std::string> ReadPassword(const std::string& path) {
  std::string text;
  if (path.empty()) {
    std::getline(std::cin, text);
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    text = text.substr(0, text.find('\n'));
  }
  if (!text.empty() && text.back() == '\r') text.pop_back();
  if (text.empty() || text.size() > kMaxPasswordBytes) return std::nullopt;
  return text;
}

int Main(int argc, char** argv) {
  CLI::App app{"ztm-demo: an app on libztm against ztm-gateway, with the attacks it refuses"};
  DemoSetup setup;
  std::string password_file;
  bool json_output = false;
  app.add_option("--gateway", setup.gateway_url, "the gateway, e.g. https://localhost:8443")
      ->required();
  app.add_option("--interceptor", setup.interceptor_url,
                 "the man in the middle (demo_network.py intercept), e.g. https://localhost:9443")
      ->required();
  app.add_option("--ca", setup.ca_file, "PEM file of the CA the app trusts (its system store)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--pin", setup.pins,
                 "an SPKI pin (sha256/<base64>) of the gateway; twice: live key and backup key")
      ->required()
      ->expected(2, 32);
  app.add_option("--report-uri", setup.report_uri, "https URL of the pin failure report collector")
      ->required();
  app.add_option("--work-dir", setup.work_dir, "directory for the apps' data directories")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--interceptor-log", setup.interceptor_log, "what the interceptor recorded")
      ->required();
  app.add_option("--interceptor-rules", setup.interceptor_rules,
                 "the interceptor's tampering rules file (the demo writes it)")
      ->required();
  app.add_option("--collector-log", setup.collector_log, "what the report collector received")
      ->required();
  app.add_option("--upstream-log", setup.upstream_log, "what the upstream API received")
      ->required();
  app.add_option("--username", setup.username, "the user to sign in as (default: alice)");
  app.add_option("--password-file", password_file,
                 "file whose first line is the password (default: read it from stdin)");
  app.add_flag("--json", json_output, "one JSON object per step instead of the narration");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? kExitOk : kExitUsage;
  }

  auto interceptor = ParseGatewayOrigin(setup.interceptor_url);
  if (!interceptor.ok()) {
    std::cerr << "ztm-demo: --interceptor: " << interceptor.error().message << '\n';
    return kExitUsage;
  }
  if (auto gateway = ParseGatewayOrigin(setup.gateway_url); !gateway.ok()) {
    std::cerr << "ztm-demo: --gateway: " << gateway.error().message << '\n';
    return kExitUsage;
  }
  std::optional<std::string> password = ReadPassword(password_file);
  if (!password) {
    std::cerr << "ztm-demo: no password (an empty or unreadable first line, or longer than "
              << kMaxPasswordBytes << " bytes)\n";
    return kExitUsage;
  }
  setup.password = std::move(*password);
  setup.passphrase = Secret(AsBytes(Base64UrlEncode(crypto::RandomBytes(kPassphraseBytes))));
  // The attacker's own client: it trusts the same CA (any client would) and sends through the
  // interceptor, whose host name the captured requests were signed for.
  auto attacker = HttpsClient::Create(*interceptor, setup.ca_file);
  if (!attacker.ok()) {
    std::cerr << "ztm-demo: --ca: " << attacker.error().message << '\n';
    return kExitUsage;
  }
  Narrator narrator(json_output, isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr);
  Demo demo(std::move(setup), std::move(attacker).value(), narrator);
  return demo.Run() ? kExitOk : kExitMisbehaved;
}

}  // namespace
}  // namespace ztm::demo

int main(int argc, char** argv) { return ztm::demo::Main(argc, argv); }
